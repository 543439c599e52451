"""The edge of the sessions app: OCPP meter values and transaction events as small typed values.

The gateway's handlers hand the payload as the station sent it to the builders here; what comes out
(``Reading``, ``MeterReport``, ``TransactionEventReport``) holds only numbers that passed the physical
bounds of ``stations.bounds``. The services never see a raw payload, so nothing computes on a value
that was not bounded first.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone
from ocpp.charge_point import camel_to_snake_case

from stations import bounds
from stations.models import Station

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
SOC = "SoC"
# 1.6 §7.45 / 2.0.1 UnitOfMeasureType: scale to Wh, W and A.
UNIT_SCALE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0, "A": 1.0, "Percent": 1.0}
NATURAL_UNIT = {ENERGY_REGISTER: "Wh", POWER: "W", CURRENT: "A", SOC: "Percent"}
# The physical range of each measurand after scaling (stations.bounds says why).
RANGES = {
    ENERGY_REGISTER: (0.0, bounds.MAX_ENERGY_WH),
    POWER: (-bounds.MAX_POWER_W, bounds.MAX_POWER_W),
    CURRENT: (-bounds.MAX_CURRENT_A, bounds.MAX_CURRENT_A),
    SOC: (bounds.MIN_SOC, bounds.MAX_SOC),
}
_PHASES = ("L1", "L2", "L3", "L1-N", "L2-N", "L3-N")


@dataclass(frozen=True, slots=True)
class Reading:
    """The values of one meterValue element that matter for sessions and charts."""

    timestamp: datetime
    context: str = ""
    energy_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    soc: float | None = None


@dataclass(frozen=True, slots=True)
class MeterReport:
    """One MeterValues as the gateway's write buffer holds it until its batch is written.

    ``transaction_id`` is a 1.6 transactionId; None for untagged 1.6 values and every 2.0.1
    MeterValues (counted for the session running on the EVSE). ``ignored`` says which readings
    were left out (their timestamp outside the clock window); the writer records it as a station event.
    """

    station: Station
    evse_id: int
    transaction_id: int | None
    readings: tuple[Reading, ...]
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionEventReport:
    """A 2.0.1 TransactionEvent, bounded (E01-E15)."""

    event_type: str
    at: datetime
    transaction_id: str
    trigger_reason: str
    seq_no: int | None
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    id_token_type: str
    stopped_reason: str | None
    offline: bool
    readings: tuple[Reading, ...]
    ignored: tuple[str, ...] = ()


def sampled_value_count(meter_value: Iterable[dict[str, Any]] | None) -> int:
    """How many sampled values a meterValue list holds: a len() per element, no parsing."""
    return sum(len(e.get("sampledValue") or e.get("sampled_value") or ()) for e in meter_value or ())


def parse_cost(meter_value: Iterable[dict[str, Any]] | None) -> int:
    """What parsing a meterValue list costs, in sampled values (stations.bounds.INLINE_PARSE_COST)."""
    elements = list(meter_value or ())
    return sampled_value_count(elements) + bounds.ELEMENT_COST * len(elements)


T = TypeVar("T")


async def off_loop_if_large(build: Callable[[], T], *, size: int) -> T:
    """Run a payload builder inline when the frame is small, on a worker thread when large.

    ``size`` is ``parse_cost``: a frame of INLINE_PARSE_COST stays under a millisecond on the event
    loop every station shares; a larger one (a station replaying its offline queue) would stall the
    others, so it goes to a thread.
    """
    if size <= bounds.INLINE_PARSE_COST:
        return build()
    return await asyncio.to_thread(build)


def _number(raw: Any, *, field: str) -> float | None:
    """A sampled value as sent (1.6: a decimal string; 2.0.1: a JSON number), or None if it is no number."""
    if isinstance(raw, str):
        if len(raw) > bounds.MAX_VALUE_CHARS:
            raise bounds.OutOfBounds(field, raw, f"{bounds.MAX_VALUE_CHARS} characters")
        try:
            return float(raw)
        except ValueError:
            return None
    if type(raw) is int or type(raw) is float:
        try:
            return float(raw)
        except OverflowError:  # an integer of hundreds of digits
            raise bounds.OutOfBounds(field, raw, "a float") from None
    return None


def _phase_total(values: dict[str | None, float], *, combine) -> float | None:
    if None in values:
        return values[None]
    # Per-phase readings only: L1/L2/L3 (or L1-N...), never the neutral or line-to-line values.
    phases = [v for p, v in values.items() if p in _PHASES]
    return combine(phases) if phases else None


def readings_from_meter_values(
    meter_value: Iterable[dict[str, Any]] | None, *, ocpp_version: str, now: datetime | None = None
) -> tuple[list[Reading], list[str]]:
    """1.6 MeterValue or 2.0.1 MeterValueType elements (camelCase or snake_case keys) as bounded Readings.

    Returns the readings and what was ignored: elements whose timestamp is unreadable or outside the
    clock window. Raises ``bounds.OutOfBounds`` (a value, unit multiplier outside its physical range)
    or ``bounds.TooMany``. Signed values and measurands the platform does not chart are skipped, as is
    a value that is not a number (the station would only resend it).
    """
    meter_value = list(meter_value or ())
    count = sampled_value_count(meter_value)
    if count > bounds.MAX_SAMPLED_VALUES:
        raise bounds.TooMany("sampledValue", count, bounds.MAX_SAMPLED_VALUES, ocpp_version=ocpp_version)
    now = now or timezone.now()
    readings: list[Reading] = []
    ignored: list[str] = []
    # Keys are read in both spellings rather than converted: this runs for every MeterValues.
    for element in meter_value:
        try:
            timestamp = bounds.ocpp_datetime(element["timestamp"])
        except (KeyError, TypeError, ValueError):
            ignored.append(f"meterValue with unreadable timestamp {str(element.get('timestamp'))[:40]!r}")
            continue
        if not bounds.in_clock_window(timestamp, now=now):
            ignored.append(f"meterValue dated {timestamp.isoformat()}, outside the clock window")
            continue
        by_measurand: dict[str, dict[str | None, float]] = {}
        context = ""
        for sampled in element.get("sampledValue") or element.get("sampled_value") or []:
            # 1.6: value is a string, unit/format sit on the sampled value; 2.0.1: a number and unitOfMeasure.
            if sampled.get("format") == "SignedData":
                continue
            measurand = sampled.get("measurand") or ENERGY_REGISTER
            if measurand not in NATURAL_UNIT:
                continue
            unit_of_measure = sampled.get("unitOfMeasure") or sampled.get("unit_of_measure") or {}
            unit = sampled.get("unit") or unit_of_measure.get("unit") or NATURAL_UNIT[measurand]
            scale = UNIT_SCALE.get(unit)
            if scale is None:
                continue
            # Bounded before 10 ** multiplier: an exact power of a huge int holds the GIL for minutes.
            multiplier = bounds.bounded_int(
                unit_of_measure.get("multiplier", 0),
                field="unitOfMeasure.multiplier",
                low=bounds.MIN_MULTIPLIER,
                high=bounds.MAX_MULTIPLIER,
            )
            value = _number(sampled.get("value"), field=f"{measurand} value")
            if value is None:
                continue
            low, high = RANGES[measurand]
            value = bounds.bounded_float(value * scale * 10.0**multiplier, field=measurand, low=low, high=high)
            context = context or sampled.get("context") or ""
            by_measurand.setdefault(measurand, {})[sampled.get("phase")] = value
        if not by_measurand:
            continue
        readings.append(
            Reading(
                timestamp=timestamp,
                context=context,
                energy_wh=_phase_total(by_measurand.get(ENERGY_REGISTER, {}), combine=sum),
                power_w=_phase_total(by_measurand.get(POWER, {}), combine=sum),
                current_a=_phase_total(by_measurand.get(CURRENT, {}), combine=max),
                soc=_phase_total(by_measurand.get(SOC, {}), combine=max),
            )
        )
    return readings, ignored


def meter_report(
    *,
    station: Station,
    ocpp_version: str,
    evse_id: Any,
    transaction_id: Any,
    meter_value: list[dict[str, Any]] | None,
    now: datetime | None = None,
) -> MeterReport:
    """A MeterValues frame (1.6 connectorId/transactionId, 2.0.1 evseId) as a bounded MeterReport."""
    evse = bounds.evse_id(evse_id, field="connectorId" if ocpp_version == "1.6" else "evseId")
    if transaction_id is not None:
        transaction_id = bounds.transaction_id_v16(transaction_id)
    readings, ignored = readings_from_meter_values(meter_value, ocpp_version=ocpp_version, now=now)
    return MeterReport(
        station=station, evse_id=evse, transaction_id=transaction_id, readings=tuple(readings), ignored=tuple(ignored)
    )


def transaction_time(value: Any, *, field: str, now: datetime, ignored: list[str]) -> datetime:
    """A transaction's own timestamp; the receive time when it is unreadable or outside the clock window.

    A station whose clock is wrong (1970 after a power cut, a year ahead) still starts and stops
    charging; its session is dated by the platform's clock instead, and a station event says so.
    """
    try:
        at = bounds.ocpp_datetime(value)
    except (TypeError, ValueError):
        ignored.append(f"{field} {str(value)[:40]!r} unreadable; the receive time is used")
        return now
    if not bounds.in_clock_window(at, now=now):
        ignored.append(f"{field} {at.isoformat()} outside the clock window; the receive time is used")
        return now
    return at


def transaction_event_report(*, payload: dict[str, Any], now: datetime | None = None) -> TransactionEventReport:
    """A 2.0.1 TransactionEvent payload (camelCase as sent, or snake_case) as a bounded report."""
    now = now or timezone.now()
    ignored: list[str] = []
    meter_value = payload.get("meterValue", payload.get("meter_value"))
    event = camel_to_snake_case({k: v for k, v in payload.items() if k not in ("meterValue", "meter_value")})
    info = event.get("transaction_info") or {}
    evse = event.get("evse") or {}
    token = event.get("id_token") or None
    seq_no = event.get("seq_no")
    readings, skipped = readings_from_meter_values(meter_value, ocpp_version="2.0.1", now=now)
    return TransactionEventReport(
        event_type=event["event_type"],
        at=transaction_time(event["timestamp"], field="timestamp", now=now, ignored=ignored),
        transaction_id=str(info["transaction_id"])[:36],
        trigger_reason=(event.get("trigger_reason") or "")[:40],
        seq_no=None if seq_no is None else bounds.bounded_int(seq_no, field="seqNo", low=0, high=bounds.MAX_SEQ_NO),
        evse_id=None if evse.get("id") is None else bounds.evse_id(evse["id"], field="evse.id"),
        connector_id=None
        if evse.get("connector_id") is None
        else bounds.connector_id(evse["connector_id"], field="evse.connectorId"),
        id_token=None if token is None else str(token.get("id_token", "")),
        id_token_type="" if token is None else str(token.get("type") or ""),
        stopped_reason=info.get("stopped_reason"),
        offline=bool(event.get("offline")),
        readings=tuple(readings),
        ignored=(*ignored, *skipped),
    )


@dataclass(frozen=True, slots=True)
class StartTransactionReport:
    """A 1.6 StartTransaction, bounded (§5.18 / §6.45)."""

    connector_id: int
    id_tag: str
    meter_start_wh: float
    at: datetime
    reservation_id: int | None = None
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StopTransactionReport:
    """A 1.6 StopTransaction with its transactionData, bounded (§5.19 / §6.47)."""

    transaction_id: int
    meter_stop_wh: float
    at: datetime
    reason: str | None
    id_tag: str | None
    readings: tuple[Reading, ...]
    ignored: tuple[str, ...] = ()


def start_transaction_report(
    *, connector_id: Any, id_tag: str, meter_start: Any, timestamp: Any, reservation_id: Any = None, now: datetime | None = None
) -> StartTransactionReport:
    now = now or timezone.now()
    ignored: list[str] = []
    return StartTransactionReport(
        # A transaction runs on a connector, never on the charge point itself (connectorId > 0).
        connector_id=bounds.bounded_int(connector_id, field="connectorId", low=1, high=bounds.MAX_EVSE_ID),
        id_tag=id_tag,
        meter_start_wh=bounds.energy_wh(meter_start, field="meterStart"),
        at=transaction_time(timestamp, field="timestamp", now=now, ignored=ignored),
        reservation_id=reservation_id,
        ignored=tuple(ignored),
    )


def stop_transaction_report(
    *,
    transaction_id: Any,
    meter_stop: Any,
    timestamp: Any,
    reason: str | None = None,
    id_tag: str | None = None,
    transaction_data: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> StopTransactionReport:
    now = now or timezone.now()
    ignored: list[str] = []
    at = transaction_time(timestamp, field="timestamp", now=now, ignored=ignored)
    readings, skipped = readings_from_meter_values(transaction_data, ocpp_version="1.6", now=now)
    return StopTransactionReport(
        transaction_id=bounds.transaction_id_v16(transaction_id),
        meter_stop_wh=bounds.energy_wh(meter_stop, field="meterStop"),
        at=at,
        reason=reason,
        id_tag=id_tag,
        readings=tuple(readings),
        ignored=(*ignored, *skipped),
    )
