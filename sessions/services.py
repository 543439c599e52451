"""Charging sessions from OCPP 1.6 transactions and 2.0.1 TransactionEvents.

The gateway's handlers call these functions (wrapped in database_sync_to_async); they hold the
business rules. They run for every MeterValues of every station, so each is a handful of indexed
queries inside one transaction.

Idempotence is the rule: stations resend after a lost answer, replay their queue after a
reconnect and send 2.0.1 events queued offline out of order. So a session is found by a unique
key ((station, transactionId), or for a 1.6 start the StartTransaction's own fields), and its energy
comes from the earliest and latest energy-register readings by timestamp, never by arrival.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models.constants import OnConflict
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ocpp.charge_point import camel_to_snake_case

from sessions.models import (
    AuthorizationStatus,
    Export,
    ExportStatus,
    IdToken,
    MeterSample,
    Session,
    SessionStatus,
)
from stations.models import OcppVersion, Station

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
SOC = "SoC"
# 1.6 §7.45 / 2.0.1 UnitOfMeasureType: scale to Wh, W and A.
UNIT_SCALE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0, "A": 1.0, "Percent": 1.0}
NATURAL_UNIT = {ENERGY_REGISTER: "Wh", POWER: "W", CURRENT: "A", SOC: "Percent"}
# Token types the station or the platform itself vouches for (2.0.1 IdTokenEnumType): a free-vend
# station (NoAuthorization) or a RequestStartTransaction the CSMS sent (Central).
SELF_AUTHORIZED_TYPES = frozenset({"NoAuthorization", "Central"})


@dataclass(frozen=True, slots=True)
class Reading:
    """The values of one meterValue element that matter for sessions and charts."""

    timestamp: datetime
    context: str = ""
    energy_wh: float | None = None
    power_w: float | None = None
    current_a: float | None = None
    soc: float | None = None


# --- parsing ----------------------------------------------------------------------------------


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"Not an ISO 8601 timestamp: {value!r}")
        value = parsed
    if timezone.is_naive(value):
        # OCPP timestamps are UTC (1.6 §3.1.5, 2.0.1 §2.1.2); a station that omits the offset means UTC.
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _phase_total(values: dict[str | None, float], *, combine) -> float | None:
    if None in values:
        return values[None]
    # Per-phase readings only: L1/L2/L3 (or L1-N...), never the neutral or line-to-line values.
    phases = [v for p, v in values.items() if p in ("L1", "L2", "L3", "L1-N", "L2-N", "L3-N")]
    return combine(phases) if phases else None


def readings_from_meter_values(meter_value: Iterable[dict[str, Any]] | None) -> list[Reading]:
    """1.6 MeterValue or 2.0.1 MeterValueType elements, camelCase or snake_case keys, as Readings.

    Signed values and measurands the platform does not chart are skipped; a value that does not
    parse is skipped rather than failing the whole message (the station would only resend it).
    """
    readings: list[Reading] = []
    # Keys are read in both spellings rather than converted: this runs for every MeterValues.
    for element in meter_value or []:
        try:
            timestamp = _as_datetime(element["timestamp"])
        except (KeyError, TypeError, ValueError):
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
            try:
                value = float(sampled["value"]) * scale * 10 ** int(unit_of_measure.get("multiplier") or 0)
            except (KeyError, TypeError, ValueError):
                continue
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
    return readings


# --- shared session bookkeeping ----------------------------------------------------------------


def _merge_readings(session: Session, readings: Iterable[Reading]) -> None:
    """Fold readings into the session's aggregates; order-independent and idempotent."""
    for reading in readings:
        if reading.energy_wh is not None:
            if session.meter_start_at is None or reading.timestamp < session.meter_start_at:
                session.meter_start_wh, session.meter_start_at = reading.energy_wh, reading.timestamp
            if session.meter_stop_at is None or reading.timestamp >= session.meter_stop_at:
                session.meter_stop_wh, session.meter_stop_at = reading.energy_wh, reading.timestamp
        if reading.power_w is not None and (session.peak_power_w is None or reading.power_w > session.peak_power_w):
            session.peak_power_w = reading.power_w
    if session.meter_start_wh is not None and session.meter_stop_wh is not None:
        session.energy_wh = session.meter_stop_wh - session.meter_start_wh


def _store_samples(*, station: Station, evse_id: int, session: Session | None, readings: Iterable[Reading]) -> None:
    rows = [
        MeterSample(
            session=session,
            station=station,
            evse_id=evse_id,
            timestamp=r.timestamp,
            context=r.context[:30],
            energy_wh=r.energy_wh,
            power_w=r.power_w,
            current_a=r.current_a,
            soc=r.soc,
        )
        for r in readings
    ]
    if rows:
        # A replayed message hits the (session, timestamp) or (station, evse, timestamp) constraint
        # and is skipped.
        MeterSample.objects.bulk_create(rows, ignore_conflicts=True)


_AGGREGATE_FIELDS = [
    "meter_start_wh",
    "meter_start_at",
    "meter_stop_wh",
    "meter_stop_at",
    "energy_wh",
    "peak_power_w",
    "updated_at",
]


def _locked_session(*, station: Station, transaction_id: str) -> Session | None:
    # select_for_update serialises two messages of the same transaction on PostgreSQL; on SQLite
    # the IMMEDIATE transaction mode already holds the write lock.
    return (
        Session.objects.select_for_update()
        .filter(station_id=station.pk, transaction_id=transaction_id)
        .order_by()
        .first()
    )


def _new_session(*, station: Station, **fields: Any) -> Session:
    # The network and location are copied from the station as it is now: history stays put when
    # a station moves later.
    return Session.objects.create(
        network_id=station.network_id, location_id=station.location_id, station=station, **fields
    )


def _create_or_lock(*, station: Station, transaction_id: str, defaults: dict[str, Any]) -> tuple[Session, bool]:
    session = _locked_session(station=station, transaction_id=transaction_id)
    if session is not None:
        return session, False
    try:
        with transaction.atomic():
            session = _new_session(station=station, transaction_id=transaction_id, **defaults)
        return session, True
    except IntegrityError:
        # Another worker created it between our read and insert (unique (station, transaction_id)).
        return _locked_session(station=station, transaction_id=transaction_id), False


def _active_session_on(*, station: Station, evse_id: int) -> Session | None:
    if not evse_id:
        return None  # connector/EVSE 0 is the station's main meter, never a transaction's.
    return (
        Session.objects.select_for_update()
        .filter(station_id=station.pk, evse_id=evse_id, status=SessionStatus.ACTIVE)
        .order_by("-started_at")
        .first()
    )


def _record_untagged_meter_values(*, station: Station, evse_id: int, readings: list[Reading]) -> None:
    """Meter values without a transactionId: charted, and counted for the session running on that EVSE."""
    with transaction.atomic():
        session = _active_session_on(station=station, evse_id=evse_id)
        if session is None:
            _store_samples(station=station, evse_id=evse_id, session=None, readings=readings)
            return
        # Clock-aligned values from before the session started belong to no session.
        inside = [r for r in readings if r.timestamp >= session.started_at]
        outside = [r for r in readings if r.timestamp < session.started_at]
        _store_samples(station=station, evse_id=evse_id, session=session, readings=inside)
        _store_samples(station=station, evse_id=evse_id, session=None, readings=outside)
        if inside:
            _merge_readings(session, inside)
            session.save(update_fields=_AGGREGATE_FIELDS)


# --- authorization -----------------------------------------------------------------------------


def id_token_authorize(*, station: Station, id_token: str, token_type: str = "ISO14443") -> str:
    """Return the authorization status for an id token: Accepted, Invalid, Blocked or Expired.

    Tokens are accepted by default. A network's allow-list is its Accepted IdToken entries: once
    it has one, unknown tokens are Invalid. Blocked entries are refused either way.
    """
    if token_type in SELF_AUTHORIZED_TYPES:
        return AuthorizationStatus.ACCEPTED
    entries = IdToken.objects.filter(network_id=station.network_id)
    entry = (
        entries.annotate(token_lower=Lower("token"))
        .filter(token_lower=(id_token or "").lower())
        .values_list("status", "expires_at")
        .first()
    )
    if entry is not None:
        status, expires_at = entry
        if status == AuthorizationStatus.BLOCKED:
            return AuthorizationStatus.BLOCKED
        if expires_at is not None and expires_at <= timezone.now():
            return AuthorizationStatus.EXPIRED
        return AuthorizationStatus.ACCEPTED
    if entries.filter(status=AuthorizationStatus.ACCEPTED).exists():
        return AuthorizationStatus.INVALID
    return AuthorizationStatus.ACCEPTED


# --- OCPP 1.6 ----------------------------------------------------------------------------------


def _v16_session(*, station: Station, transaction_id: int, evse_id: int | None, at: datetime) -> Session:
    """The session of a 1.6 transactionId; an INCOMPLETE one if the platform never saw it start."""
    session, _ = _create_or_lock(
        station=station,
        transaction_id=str(transaction_id),
        defaults={
            "ocpp_version": OcppVersion.V16,
            "status": SessionStatus.INCOMPLETE,
            "started_at": at,
            "evse_id": evse_id,
        },
    )
    return session


def transaction_start_v16(
    *,
    station: Station,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime | str,
    reservation_id: int | None = None,
) -> tuple[int, str]:
    """1.6 StartTransaction: return (transactionId, idTagInfo.status).

    Always assigns an id, even for a refused idTag: the station then stops the transaction itself
    (1.6 §5.18, and OCTT expects it). A repeated StartTransaction gets the same id back.
    """
    at = _as_datetime(timestamp)
    status = id_token_authorize(station=station, id_token=id_tag)
    start_key = f"{connector_id}|{id_tag.lower()}|{at.isoformat()}|{meter_start}"
    with transaction.atomic():
        existing = (
            Session.objects.filter(station_id=station.pk, start_key=start_key).values_list("transaction_id", flat=True).first()
        )
        if existing is not None:
            return int(existing), status
        try:
            with transaction.atomic():
                session = _new_session(
                    station=station,
                    ocpp_version=OcppVersion.V16,
                    start_key=start_key,
                    evse_id=connector_id,
                    connector_id=connector_id,
                    id_token=id_tag,
                    authorization_status=status,
                    started_at=at,
                )
        except IntegrityError:
            existing = Session.objects.filter(station_id=station.pk, start_key=start_key).values_list(
                "transaction_id", flat=True
            )
            return int(existing.get()), status
        # The session's own id is the transactionId: unique without a counter table. It is moved on
        # only if this station already reported that number itself (an INCOMPLETE session).
        transaction_id = session.pk
        while Session.objects.filter(station_id=station.pk, transaction_id=str(transaction_id)).exists():
            transaction_id += 1
        session.transaction_id = str(transaction_id)
        _merge_readings(session, [Reading(timestamp=at, context="Transaction.Begin", energy_wh=float(meter_start))])
        session.save(update_fields=["transaction_id", *_AGGREGATE_FIELDS])
        _store_samples(
            station=station,
            evse_id=connector_id,
            session=session,
            readings=[Reading(timestamp=at, context="Transaction.Begin", energy_wh=float(meter_start))],
        )
    return transaction_id, status


def transaction_stop_v16(
    *,
    station: Station,
    transaction_id: int,
    meter_stop: int,
    timestamp: datetime | str,
    reason: str | None = None,
    id_tag: str | None = None,
    transaction_data: list[dict[str, Any]] | None = None,
) -> str | None:
    """1.6 StopTransaction: return idTagInfo.status when an idTag was sent, else None."""
    at = _as_datetime(timestamp)
    status = id_token_authorize(station=station, id_token=id_tag) if id_tag else None
    readings = readings_from_meter_values(transaction_data)
    stop = Reading(timestamp=at, context="Transaction.End", energy_wh=float(meter_stop))
    earliest = min([at, *(r.timestamp for r in readings)])
    with transaction.atomic():
        session = _v16_session(station=station, transaction_id=transaction_id, evse_id=None, at=earliest)
        if earliest < session.started_at and session.status == SessionStatus.INCOMPLETE:
            session.started_at = earliest
        _merge_readings(session, [*readings, stop])
        if session.ended_at is None:
            session.ended_at = at
            # 1.6 §6.49: reason may be omitted only when it is Local.
            session.stop_reason = reason or "Local"
        if session.status == SessionStatus.ACTIVE:
            session.status = SessionStatus.COMPLETED
        session.save(update_fields=[*_AGGREGATE_FIELDS, "started_at", "ended_at", "stop_reason", "status"])
        if session.evse_id is not None:
            _store_samples(station=station, evse_id=session.evse_id, session=session, readings=[*readings, stop])
    return status


def meter_values_v16(
    *, station: Station, connector_id: int, transaction_id: int | None, meter_value: list[dict[str, Any]]
) -> None:
    """1.6 MeterValues, with or without a transactionId."""
    readings = readings_from_meter_values(meter_value)
    if not readings:
        return
    if transaction_id is None:
        _record_untagged_meter_values(station=station, evse_id=connector_id, readings=readings)
        return
    with transaction.atomic():
        session = _v16_session(
            station=station, transaction_id=transaction_id, evse_id=connector_id, at=min(r.timestamp for r in readings)
        )
        _merge_readings(session, readings)
        session.save(update_fields=_AGGREGATE_FIELDS)
        _store_samples(station=station, evse_id=session.evse_id or connector_id, session=session, readings=readings)


@dataclass(frozen=True, slots=True)
class MeterReport:
    """One MeterValues as the gateway's write buffer holds it until its batch is written.

    ``transaction_id`` is a 1.6 transactionId; None for untagged 1.6 values and every 2.0.1
    MeterValues (counted for the session running on the EVSE).
    """

    station: Station
    evse_id: int
    transaction_id: int | None
    readings: tuple[Reading, ...]


def _sessions_by_transaction(*, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Session]:
    """The sessions of (station id, 1.6 transactionId) pairs, locked, in one query."""
    keys = list(keys)
    if not keys:
        return {}
    wanted = {(station_id, str(transaction_id)) for station_id, transaction_id in keys}
    rows = Session.objects.select_for_update().filter(
        station_id__in={k[0] for k in keys}, transaction_id__in={k[1] for k in wanted}
    ).order_by()
    return {
        (row.station_id, int(row.transaction_id)): row for row in rows if (row.station_id, row.transaction_id) in wanted
    }


def _active_sessions_on(*, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Session]:
    """The running session of each (station id, EVSE id) pair, locked, in one query; the newest if several."""
    keys = [k for k in keys if k[1]]  # EVSE 0 is the station's main meter, never a transaction's.
    if not keys:
        return {}
    wanted = set(keys)
    rows = Session.objects.select_for_update().filter(
        station_id__in={k[0] for k in keys}, evse_id__in={k[1] for k in keys}, status=SessionStatus.ACTIVE
    ).order_by("started_at")
    # Ascending, so the newest started_at of a pair is written last (as _active_session_on picks it).
    return {(row.station_id, row.evse_id): row for row in rows if (row.station_id, row.evse_id) in wanted}


def meter_values_record(*, reports: Iterable[MeterReport]) -> int:
    """A batch of MeterValues in one transaction; return the number of samples offered.

    Each session is looked up, merged and saved once per batch, and every sample goes in one
    bulk INSERT. Merging is order-independent (earliest and latest register reading by
    timestamp), so batching gives the same sessions as writing the messages one by one.
    """
    tagged: dict[tuple[int, int], list[MeterReport]] = {}
    untagged: dict[tuple[int, int], list[MeterReport]] = {}
    for report in reports:
        if not report.readings:
            continue
        if report.transaction_id is None:
            untagged.setdefault((report.station.pk, report.evse_id), []).append(report)
        else:
            tagged.setdefault((report.station.pk, report.transaction_id), []).append(report)
    samples: list[tuple[Any, ...]] = []
    adapt_time = connection.ops.adapt_datetimefield_value

    def add_samples(*, station: Station, evse_id: int, session: Session | None, readings: Iterable[Reading]) -> None:
        samples.extend(
            (
                session.pk if session is not None else None,
                station.pk,
                evse_id,
                adapt_time(r.timestamp),
                r.context[:30],
                r.energy_wh,
                r.power_w,
                r.current_a,
                r.soc,
            )
            for r in readings
        )

    with transaction.atomic():
        # One query per kind for the whole batch: building a Session query through the ORM costs
        # more CPU than running it, and a batch touches hundreds of sessions.
        known = _sessions_by_transaction(keys=tagged.keys())
        for key, group in tagged.items():
            station = group[0].station
            readings = [r for report in group for r in report.readings]
            session = known.get(key) or _v16_session(
                station=station,
                transaction_id=key[1],
                evse_id=group[0].evse_id,
                at=min(r.timestamp for r in readings),
            )
            _merge_readings(session, readings)
            session.save(update_fields=_AGGREGATE_FIELDS)
            for report in group:
                add_samples(
                    station=station, evse_id=session.evse_id or report.evse_id, session=session, readings=report.readings
                )
        running = _active_sessions_on(keys=untagged.keys())
        for key, group in untagged.items():
            station, evse_id = group[0].station, key[1]
            readings = [r for report in group for r in report.readings]
            session = running.get(key)
            if session is None:
                add_samples(station=station, evse_id=evse_id, session=None, readings=readings)
                continue
            # Clock-aligned values from before the session started belong to no session.
            inside = [r for r in readings if r.timestamp >= session.started_at]
            add_samples(station=station, evse_id=evse_id, session=session, readings=inside)
            add_samples(
                station=station,
                evse_id=evse_id,
                session=None,
                readings=[r for r in readings if r.timestamp < session.started_at],
            )
            if inside:
                _merge_readings(session, inside)
                session.save(update_fields=_AGGREGATE_FIELDS)
        if samples:
            _insert_samples(samples)
    return len(samples)


_SAMPLE_COLUMNS = ["session_id", "station_id", "evse_id", "timestamp", "context", "energy_wh", "power_w", "current_a", "soc"]


def _insert_samples(rows: list[tuple[Any, ...]]) -> None:
    """executemany, not bulk_create: a model instance per sample cost ~70 us of CPU, several times the
    INSERT. A replayed message hits the (session, timestamp) or (station, evse, timestamp)
    constraint and is skipped, as bulk_create(ignore_conflicts=True) does in _store_samples."""
    ops = connection.ops
    # IGNORE: "INSERT OR IGNORE" on SQLite, "ON CONFLICT DO NOTHING" on PostgreSQL (no fields needed).
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {MeterSample._meta.db_table} "
        f"({', '.join(_SAMPLE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_SAMPLE_COLUMNS))}) {suffix}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            cursor.executemany(sql, rows[start : start + 500])


# --- OCPP 2.0.1 --------------------------------------------------------------------------------


def transaction_event_v201(*, station: Station, payload: dict[str, Any]) -> str | None:
    """2.0.1 TransactionEvent (camelCase as sent, or snake_case). Return idTokenInfo.status when an idToken was sent.

    Started, Updated and Ended may arrive in any order and more than once (offline queue, E04/E05):
    the session is keyed by the station's transactionId and every field merges monotonically.
    """
    meter_value = payload.get("meterValue", payload.get("meter_value"))
    event = camel_to_snake_case({k: v for k, v in payload.items() if k not in ("meterValue", "meter_value")})
    event_type = event["event_type"]
    at = _as_datetime(event["timestamp"])
    info = event.get("transaction_info") or {}
    transaction_id = str(info["transaction_id"])
    seq_no = event.get("seq_no")
    evse = event.get("evse") or {}
    token = event.get("id_token") or None
    status = None
    if token is not None:
        status = id_token_authorize(
            station=station, id_token=token.get("id_token", ""), token_type=token.get("type", "")
        )
    readings = readings_from_meter_values(meter_value)

    with transaction.atomic():
        session, _ = _create_or_lock(
            station=station,
            transaction_id=transaction_id,
            defaults={"ocpp_version": OcppVersion.V201, "started_at": at},
        )
        # Started carries the earliest timestamp of a transaction; when it is late or lost the
        # earliest event seen stands in for it.
        session.started_at = min(session.started_at, at)
        if evse.get("id") is not None and session.evse_id is None:
            session.evse_id = evse["id"]
            session.connector_id = evse.get("connector_id")
            # Samples of events that came before the EVSE was known (an Ended first) move to it.
            session.samples.update(evse_id=session.evse_id)
        if token is not None and token.get("id_token") and not session.id_token:
            session.id_token = token["id_token"][:36]
            session.id_token_type = (token.get("type") or "")[:20]
            session.authorization_status = status
        if seq_no is not None and (session.seq_no is None or seq_no >= session.seq_no):
            session.seq_no = seq_no
            session.trigger_reason = (event.get("trigger_reason") or "")[:40]
        session.offline = session.offline or bool(event.get("offline"))
        if event_type == "Ended":
            if session.ended_at is None:
                session.ended_at = at
                # 2.0.1 TransactionType.stoppedReason: omitted only when the reason is Local.
                session.stop_reason = (info.get("stopped_reason") or "Local")[:40]
            session.status = SessionStatus.COMPLETED
        _merge_readings(session, readings)
        session.save()
        _store_samples(station=station, evse_id=session.evse_id or 0, session=session, readings=readings)
    return status


def meter_values_v201(*, station: Station, evse_id: int, meter_value: list[dict[str, Any]]) -> None:
    """2.0.1 MeterValues: outside a transaction's events, but counted for the session running on that EVSE."""
    readings = readings_from_meter_values(meter_value)
    if readings:
        _record_untagged_meter_values(station=station, evse_id=evse_id, readings=readings)


# --- exports -----------------------------------------------------------------------------------


class ExportScopeError(ValueError):
    """The export's network scope is ambiguous or not the user's."""


def export_request(*, user, filters: dict[str, str], network=None) -> Export:
    """Record a background CSV export of the sessions `user` sees through `filters`; queue it after commit.

    The export belongs to one network (its users may download it). Without one, the filters' network
    or the user's only network is used; only account admins may export every network at once.
    """
    from networks.models import Network
    from networks.querysets import is_account_admin
    from sessions.filters import SessionFilter
    from sessions.tasks import export_sessions

    form = SessionFilter(data=filters, queryset=Session.objects.none()).form
    if not form.is_valid():
        raise ExportScopeError("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    visible = Network.objects.for_user(user)
    if network is None and filters.get("network"):
        network = visible.filter(name=filters["network"]).first()
        if network is None:
            raise ExportScopeError("network: no such network.")
    if network is None and not is_account_admin(user):
        mine = list(visible[:2])
        if len(mine) != 1:
            raise ExportScopeError("network: pick the network to export.")
        network = mine[0]
    if network is not None and not visible.filter(pk=network.pk).exists():
        raise ExportScopeError("network: no such network.")
    export = Export.objects.create(requested_by=user, network=network, filters=filters)
    transaction.on_commit(lambda: export_sessions.delay(export.pk))
    return export


def export_queryset(*, export: Export):
    from sessions.filters import SessionFilter

    # Scoped again at run time: a user who lost access since asking gets nothing more.
    sessions = Session.objects.for_user(export.requested_by).in_network(export.network_id)
    return SessionFilter(data=export.filters, queryset=sessions).qs


def export_run(*, export_id: int) -> bool:
    """Write the export's CSV to default storage. Returns False if another worker claimed it."""
    import tempfile

    from django.core.files import File
    from django.core.files.storage import default_storage

    from sessions.exports import csv_write

    # Claimed with a conditional UPDATE: two workers handed the same job never both run it.
    if not Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(status=ExportStatus.RUNNING):
        return False
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    rows = Export.objects.filter(pk=export_id)
    try:
        sessions = export_queryset(export=export)
        total = sessions.count()
        rows.update(total_rows=total)

        def progress(count: int) -> None:
            rows.update(row_count=count, progress=min(99, count * 100 // max(total, 1)))

        with tempfile.TemporaryFile() as spool:
            csv_write(sessions, spool, on_rows=progress)
            spool.seek(0)
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            name = default_storage.save(f"exports/sessions-{export_id}-{stamp}.csv", File(spool))
    except Exception as exc:
        rows.update(status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    rows.update(status=ExportStatus.DONE, file=name, progress=100, finished_at=timezone.now())
    return True


def export_delete(*, export: Export) -> None:
    """Delete an export and its file from the storage (a row alone would leave the file behind)."""
    from django.core.files.storage import default_storage

    if export.file:
        default_storage.delete(export.file.name)
    export.delete()
