"""Physical bounds of every number a station reports, checked before any arithmetic on it.

The OCPP JSON schemas give `integer` and `number` with no bound, and Python's json module reads an
integer of thousands of digits or a float of 1e308 without complaint. Arithmetic on such a value is
where one station hurts the others: ``10 ** multiplier`` with a multiplier of 20,000,000 is computed
exactly while holding the GIL (80 s for the whole server), a "1e308" kWh reading stores infinite
energy, a connectorId of 2**63 overflows SQLite's 64-bit integer and fails every row of its batch.

So the gateway's edge (where a payload becomes ``StatusReport``, ``MeterReport`` or ``Reading``) checks
each number here first. The bounds are generous: they hold for every charger built (megawatt truck
charging included) and for every meter register over a station's life, so a legitimate station never
meets one; a value outside them is a broken or hostile station, never a reading to compute on.

What the platform answers (OCPP-J 1.6 §4.2.3 and 2.0.1 Part 4 §4.3, CallError codes):
- a number outside its physical range: CALLERROR PropertyConstraintViolation ("Payload is syntactically
  correct but at least one field contains an invalid value"), nothing of the frame is stored;
- more elements than the platform reads in one frame: OccurrenceConstraintViolation;
- a timestamp outside the clock window or the transaction's window is not the station's data being
  invalid but its clock being wrong, and a CALLERROR would only make it resend: the frame is answered,
  the readings are not counted, and a station event says what was ignored. A transaction's own
  start/stop time outside the clock window is replaced by the time the platform received it, with a
  station event (1.6 §4.8 / 2.0.1 E: a station whose clock is wrong still charges).

This module is the one place the platform parses an OCPP dateTime (``ocpp_datetime``).
"""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.exceptions import OCPPError

# --- identifiers ------------------------------------------------------------------------------

# EVSE ids (2.0.1) and 1.6 connectorIds (one EVSE per connector). The largest stations built are
# hubs of a few dozen outlets; 255 leaves room and keeps the equipment rows one station can make
# bounded. 0 is the station itself (1.6 connectorId 0, 2.0.1 evse 0 in StatusNotification is not
# allowed but MeterValues' evseId 0 is the main meter).
MAX_EVSE_ID = 255
# Connectors of one 2.0.1 EVSE: 1-3 in practice (a CCS and a CHAdeMO behind one power module).
MAX_CONNECTOR_ID = 16
# 1.6 transactionId is an `integer` the CSMS hands out (here a session's primary key). Firmwares
# store it as a signed 32-bit integer, and the column holding it is at most 36 characters.
MIN_TRANSACTION_ID = -(2**31)
MAX_TRANSACTION_ID = 2**31 - 1
# 2.0.1 TransactionEvent seqNo and other counters: the PositiveIntegerField's range.
MAX_SEQ_NO = 2**31 - 1
# A requestId the station quotes back (2.0.1 FirmwareStatusNotification, NotifyReport, LogStatusNotification,
# 1.6 security extension): the platform hands them out (a row's primary key, a random 31-bit number), so one
# outside 0..2**31-1 names nothing it asked for; looked up unbounded, 2**63 overflows SQLite's integer.
MAX_REQUEST_ID = 2**31 - 1

# --- measured values (after the unit and multiplier are applied) -------------------------------

# An import energy register over a station's life: 3.75 MW (megawatt charging) for 30 years is
# ~1e12 Wh; registers never run backwards below 0 (1.6 §7.31 / 2.0.1 Energy.Active.Import.Register).
MAX_ENERGY_WH = 1e12
# Active power: megawatt charging (MCS) tops out at 3.75 MW; negative values are export (V2G).
MAX_POWER_W = 1e7
# Current per phase: MCS is 3,000 A.
MAX_CURRENT_A = 1e4
MIN_SOC, MAX_SOC = 0.0, 100.0
# 2.0.1 UnitOfMeasureType.multiplier: the exponent of 10. kilo (3) and mega (6) are what stations
# send; anything past ±9 would put every legitimate value outside the ranges above anyway.
MIN_MULTIPLIER, MAX_MULTIPLIER = -9, 9
# 1.6 SampledValue.value is a string: longer than any decimal a meter prints ("-123456789.123456e+12").
MAX_VALUE_CHARS = 40

# --- counts per frame ------------------------------------------------------------------------

# The parse cost of a frame parsed on the event loop, in sampled values plus ELEMENT_COST per
# meterValue element (its timestamp is parsed and checked): measured ~1.7 us per sampled value and
# ~10 us per element, so a frame of this cost parses in well under a millisecond (a 1.6 frame of 33
# elements of 6 values: ~0.35 ms). Larger frames (a station replaying its queue) go to a worker thread.
INLINE_PARSE_COST = 400
ELEMENT_COST = 6
# Sampled values the platform reads from one frame at all (MeterValues, StopTransaction's
# transactionData, TransactionEvent): a day of one-minute readings of 6 measurands on 3 phases.
MAX_SAMPLED_VALUES = 30_000

# --- time ------------------------------------------------------------------------------------

# A station's clock ahead of ours: drift plus a station that sends local time as UTC (up to +14 h).
MAX_CLOCK_AHEAD = timedelta(hours=24)
# How old a reading may be: a station queues readings while offline (1.6 §4.7, 2.0.1 E04) and
# replays them; a year covers any outage that still has a battery-backed clock.
MAX_READING_AGE = timedelta(days=366)
# A transaction's readings may start slightly before its start time (a clock-aligned sample taken
# as the plug went in) and end slightly after its stop.
TRANSACTION_SLACK = timedelta(minutes=5)
# datetime's own range is 1..9999; OCPP did not exist before this.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)


class OutOfBounds(OCPPError):
    """A number outside its physical range: CALLERROR PropertyConstraintViolation.

    Not a subclass of the library's PropertyConstraintViolationError: the gateway re-derives those
    from the JSON schema, and this payload is schema-valid.
    """

    code = "PropertyConstraintViolation"

    def __init__(self, field: str, value: Any, bound: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(description=f"{field} {shown} is outside {bound}", details={"field": field})
        self.field = field


class TooMany(OCPPError):
    """More elements than the platform reads in one frame: CALLERROR OccurrenceConstraintViolation."""

    def __init__(self, field: str, count: int, limit: int, *, ocpp_version: str) -> None:
        super().__init__(description=f"{field}: {count} elements, at most {limit} are read", details={"field": field})
        # OCPP-J 1.6 §4.2.3 spells the code with one r (kept by the errata); 2.0.1 corrects it.
        self.code = "OccurenceConstraintViolation" if ocpp_version == "1.6" else "OccurrenceConstraintViolation"


def bounded_int(value: Any, *, field: str, low: int, high: int) -> int:
    """An integer field within [low, high]; bool and float are not integers here."""
    if type(value) is not int or not low <= value <= high:
        raise OutOfBounds(field, value, f"{low}..{high}")
    return value


def evse_id(value: Any, *, field: str = "evseId") -> int:
    return bounded_int(value, field=field, low=0, high=MAX_EVSE_ID)


def connector_id(value: Any, *, field: str = "connectorId") -> int:
    return bounded_int(value, field=field, low=0, high=MAX_CONNECTOR_ID)


def transaction_id_v16(value: Any, *, field: str = "transactionId") -> int:
    return bounded_int(value, field=field, low=MIN_TRANSACTION_ID, high=MAX_TRANSACTION_ID)


def request_id(value: Any, *, field: str = "requestId") -> int:
    return bounded_int(value, field=field, low=0, high=MAX_REQUEST_ID)


def energy_wh(value: Any, *, field: str) -> float:
    return bounded_float(value, field=field, low=0.0, high=MAX_ENERGY_WH)


def bounded_float(value: Any, *, field: str, low: float, high: float) -> float:
    """A finite float within [low, high]. Huge integers are compared before conversion (float() of a
    300-digit int raises OverflowError, not a bound error)."""
    if type(value) is int:
        if not low <= value <= high:
            raise OutOfBounds(field, value, f"{low:g}..{high:g}")
        return float(value)
    if type(value) is not float or not math.isfinite(value) or not low <= value <= high:
        raise OutOfBounds(field, value, f"{low:g}..{high:g}")
    return value


# --- timestamps --------------------------------------------------------------------------------


def ocpp_datetime(value: datetime | str) -> datetime:
    """An OCPP dateTime (RFC 3339, 1.6 §3.1.5 / 2.0.1 Part 2 §2.1.2) as an aware UTC datetime.

    Raises ValueError when unreadable. A timestamp without an offset means UTC: OCPP timestamps are
    UTC, and a station that omits the 'Z' means it. This is the platform's one dateTime parser.
    """
    if isinstance(value, str):
        if len(value) > 40:  # "2026-11-02T08:00:00.123456789+14:00" is 35.
            raise ValueError("Not an OCPP dateTime: too long")
        text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
        parsed = datetime.fromisoformat(text)
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise ValueError(f"Not an OCPP dateTime: {type(value).__name__}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59:59-14:00 (or year 1 at +14:00) is outside datetime's range once in UTC.
        raise ValueError("Not an OCPP dateTime: out of range") from None


def in_clock_window(at: datetime, *, now: datetime) -> bool:
    """Whether a station's timestamp is one its clock could give now (not years back, not tomorrow)."""
    return max(EARLIEST_TIMESTAMP, now - MAX_READING_AGE) <= at <= now + MAX_CLOCK_AHEAD


def in_transaction_window(at: datetime, *, started_at: datetime, ended_at: datetime | None) -> bool:
    """Whether a reading's timestamp falls within its transaction (with TRANSACTION_SLACK either side)."""
    if at < started_at - TRANSACTION_SLACK:
        return False
    return ended_at is None or at <= ended_at + TRANSACTION_SLACK
