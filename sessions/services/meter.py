"""Meter samples: the one writer of MeterSample rows, and the gateway's batched MeterValues.

MeterValues arrive through the gateway's write buffer (ocpp_gateway/write_buffer.py), which calls
``meter_values_record`` with every report that accumulated in a flush interval. Transactions
(sessions.services.transactions) write the readings their own frames carry with ``samples_store``.
Both go through ``samples_insert``.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models.constants import OnConflict

from sessions.models import MeterSample, Session, SessionStatus
from sessions.readings import MeterReport, Reading
from sessions.services.bookkeeping import AGGREGATE_FIELDS, in_window, merge_readings, v16_session
from stations.models import Station
from stations.services import station_inputs_ignored
from switchplatform.prepared import batch_cursor, in_values

SAMPLE_COLUMNS = ["session_id", "station_id", "evse_id", "timestamp", "context", "energy_wh", "power_w", "current_a", "soc"]


def sample_rows(*, station: Station, evse_id: int, session: Session | None, readings: Iterable[Reading]) -> list[tuple[Any, ...]]:
    """MeterSample rows (SAMPLE_COLUMNS) for readings, as ``samples_insert`` takes them."""
    adapt_time = connection.ops.adapt_datetimefield_value
    session_id = session.pk if session is not None else None
    return [
        (session_id, station.pk, evse_id, adapt_time(r.timestamp), r.context[:30], r.energy_wh, r.power_w, r.current_a, r.soc)
        for r in readings
    ]


def samples_insert(rows: list[tuple[Any, ...]]) -> None:
    """executemany, not bulk_create: a model instance per sample cost ~70 us of CPU, several times the
    INSERT. A replayed message hits the (session, timestamp) or (station, evse, timestamp)
    constraint and is skipped."""
    if not rows:
        return
    ops = connection.ops
    # IGNORE: "INSERT OR IGNORE" on SQLite, "ON CONFLICT DO NOTHING" on PostgreSQL (no fields needed).
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None)
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {MeterSample._meta.db_table} "
        f"({', '.join(SAMPLE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(SAMPLE_COLUMNS))}) {suffix}"
    )
    with batch_cursor() as cursor:
        for start in range(0, len(rows), 500):
            cursor.executemany(sql, rows[start : start + 500])


def samples_store(*, station: Station, evse_id: int, session: Session | None, readings: Iterable[Reading]) -> None:
    """Store one transaction frame's readings (StartTransaction, StopTransaction, TransactionEvent)."""
    samples_insert(sample_rows(station=station, evse_id=evse_id, session=session, readings=readings))


def outside_window_note(session: Session, outside: list[Reading]) -> str:
    first = min(r.timestamp for r in outside)
    return (
        f"{len(outside)} reading(s) of transaction {session.transaction_id} dated outside it "
        f"(first {first.isoformat()}, transaction started {session.started_at.isoformat()}); not counted"
    )


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
    station_ids = list({k[0] for k in keys})
    where, params = in_values("station_id", station_ids)
    with batch_cursor() as cursor:
        # Plain SQL first: most batches come from stations not charging, and the ORM's compile of
        # the locking query cost more than running it (switchplatform.prepared.in_values).
        cursor.execute(
            f"SELECT 1 FROM {Session._meta.db_table} WHERE status = %s AND {where} LIMIT 1",
            [SessionStatus.ACTIVE.value, *params],
        )
        if cursor.fetchone() is None:
            return {}
    rows = Session.objects.select_for_update().filter(
        station_id__in=station_ids, evse_id__in={k[1] for k in keys}, status=SessionStatus.ACTIVE
    ).order_by("started_at")
    # Ascending, so the newest started_at of a pair is written last and wins.
    return {(row.station_id, row.evse_id): row for row in rows if (row.station_id, row.evse_id) in wanted}


def meter_values_record(*, reports: Iterable[MeterReport]) -> int:
    """A batch of MeterValues (1.6 and 2.0.1) in one transaction; return the number of samples offered.

    Each session is looked up, merged and saved once per batch, and every sample goes in one
    bulk INSERT. Merging is order-independent (earliest and latest register reading by
    timestamp), so batching gives the same sessions as writing the messages one by one.
    Readings dated outside their transaction are charted without a session, never counted, and a
    station event says so; so are the readings the edge ignored (``MeterReport.ignored``).
    """
    tagged: dict[tuple[int, int], list[MeterReport]] = {}
    untagged: dict[tuple[int, int], list[MeterReport]] = {}
    notes: list[tuple[Station, str, list[str]]] = []
    for report in reports:
        if report.ignored:
            notes.append((report.station, "MeterValues", list(report.ignored)))
        if not report.readings:
            continue
        if report.transaction_id is None:
            untagged.setdefault((report.station.pk, report.evse_id), []).append(report)
        else:
            tagged.setdefault((report.station.pk, report.transaction_id), []).append(report)
    samples: list[tuple[Any, ...]] = []

    with transaction.atomic():
        # One query per kind for the whole batch: building a Session query through the ORM costs
        # more CPU than running it, and a batch touches hundreds of sessions.
        known = _sessions_by_transaction(keys=tagged.keys())
        for key, group in tagged.items():
            station = group[0].station
            readings = [r for report in group for r in report.readings]
            session = known.get(key) or v16_session(
                station=station,
                transaction_id=key[1],
                evse_id=group[0].evse_id,
                at=min(r.timestamp for r in readings),
            )
            evse_id = session.evse_id or group[0].evse_id
            inside, outside = in_window(session, readings)
            samples += sample_rows(station=station, evse_id=evse_id, session=session, readings=inside)
            if outside:
                samples += sample_rows(station=station, evse_id=evse_id, session=None, readings=outside)
                notes.append((station, "MeterValues", [outside_window_note(session, outside)]))
            if inside:
                merge_readings(session, inside)
                session.save(update_fields=AGGREGATE_FIELDS)
        running = _active_sessions_on(keys=untagged.keys())
        for key, group in untagged.items():
            station, evse_id = group[0].station, key[1]
            readings = [r for report in group for r in report.readings]
            session = running.get(key)
            if session is None:
                samples += sample_rows(station=station, evse_id=evse_id, session=None, readings=readings)
                continue
            # Clock-aligned values from before the session started belong to no session: charted, not counted.
            inside = [r for r in readings if r.timestamp >= session.started_at]
            outside = [r for r in readings if r.timestamp < session.started_at]
            samples += sample_rows(station=station, evse_id=evse_id, session=session, readings=inside)
            samples += sample_rows(station=station, evse_id=evse_id, session=None, readings=outside)
            if inside:
                merge_readings(session, inside)
                session.save(update_fields=AGGREGATE_FIELDS)
        samples_insert(samples)
        if notes:
            station_inputs_ignored(notes=notes)
    return len(samples)
