"""Finding, creating and locking a transaction's Session row, and folding readings into it.

Idempotence is the rule: stations resend after a lost answer, replay their queue after a
reconnect and send 2.0.1 events queued offline out of order. So a session is found by a unique
key ((station, transactionId), or for a 1.6 start the StartTransaction's own fields), and its energy
comes from the earliest and latest energy-register readings by timestamp, never by arrival.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from sessions.models import Session, SessionStatus
from sessions.readings import Reading
from stations import bounds
from stations.models import OcppVersion, Station

AGGREGATE_FIELDS = [
    "meter_start_wh",
    "meter_start_at",
    "meter_stop_wh",
    "meter_stop_at",
    "energy_wh",
    "peak_power_w",
    "updated_at",
]


def merge_readings(session: Session, readings: Iterable[Reading]) -> None:
    """Fold readings into the session's aggregates; order-independent and idempotent.

    The readings are bounded (sessions.readings) and inside the transaction's window
    (``in_window``), so the difference of two registers is a physical amount of energy.
    """
    for reading in readings:
        if reading.energy_wh is not None:
            if session.meter_start_at is None or reading.timestamp < session.meter_start_at:
                session.meter_start_wh, session.meter_start_at = reading.energy_wh, reading.timestamp
            if session.meter_stop_at is None or reading.timestamp >= session.meter_stop_at:
                session.meter_stop_wh, session.meter_stop_at = reading.energy_wh, reading.timestamp
        if reading.power_w is not None and (session.peak_power_w is None or reading.power_w > session.peak_power_w):
            session.peak_power_w = reading.power_w
    if session.meter_start_wh is not None and session.meter_stop_wh is not None:
        # An import register never runs backwards (1.6 §7.31, 2.0.1 Energy.Active.Import.Register): a
        # latest reading below the earliest is a reset or broken meter, not energy given back (the
        # fuzz test's station made a session of -1.679 kWh). Nothing was delivered that we can tell.
        session.energy_wh = max(0.0, session.meter_stop_wh - session.meter_start_wh)


def in_window(session: Session, readings: Iterable[Reading]) -> tuple[list[Reading], list[Reading]]:
    """The readings inside the session's time window and those outside it (stations.bounds.TRANSACTION_SLACK).

    A reading dated before the transaction started or after it ended is the station's clock or
    another transaction, never this session's energy. An INCOMPLETE session (the platform never saw
    its start) has no window of its own: only the clock window the edge applied holds.
    """
    if session.status == SessionStatus.INCOMPLETE:
        return list(readings), []
    inside: list[Reading] = []
    outside: list[Reading] = []
    for r in readings:
        ok = bounds.in_transaction_window(r.timestamp, started_at=session.started_at, ended_at=session.ended_at)
        (inside if ok else outside).append(r)
    return inside, outside


def locked_session(*, station: Station, transaction_id: str) -> Session | None:
    # select_for_update serialises two messages of the same transaction on PostgreSQL; on SQLite
    # the IMMEDIATE transaction mode already holds the write lock.
    return (
        Session.objects.select_for_update()
        .filter(station_id=station.pk, transaction_id=transaction_id)
        .order_by()
        .first()
    )


def new_session(*, station: Station, **fields: Any) -> Session:
    # The network and location are copied from the station as it is now: history stays put when
    # a station moves later.
    return Session.objects.create(
        network_id=station.network_id, location_id=station.location_id, station=station, **fields
    )


def create_or_lock(*, station: Station, transaction_id: str, defaults: dict[str, Any]) -> tuple[Session, bool]:
    session = locked_session(station=station, transaction_id=transaction_id)
    if session is not None:
        return session, False
    try:
        with transaction.atomic():
            session = new_session(station=station, transaction_id=transaction_id, **defaults)
        return session, True
    except IntegrityError:
        # Another worker created it between our read and insert (unique (station, transaction_id)).
        return locked_session(station=station, transaction_id=transaction_id), False


def v16_session(*, station: Station, transaction_id: int, evse_id: int | None, at: datetime) -> Session:
    """The session of a 1.6 transactionId; an INCOMPLETE one if the platform never saw it start."""
    session, _ = create_or_lock(
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
