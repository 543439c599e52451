"""Charging sessions from OCPP 1.6 transactions and 2.0.1 TransactionEvents.

The gateway's handlers build a bounded report (sessions.readings) and call these functions through
database_sync_to_async; they hold the business rules. A session is keyed by (station,
transactionId), or for a 1.6 start by the StartTransaction's own fields, so a resent or replayed
frame changes nothing (sessions.services.bookkeeping).
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from sessions.models import Session, SessionStatus
from sessions.readings import Reading, StartTransactionReport, StopTransactionReport, TransactionEventReport
from sessions.services.authorization import Purpose, id_token_authorize
from sessions.services.bookkeeping import (
    AGGREGATE_FIELDS,
    create_or_lock,
    in_window,
    merge_readings,
    new_session,
    v16_session,
)
from sessions.services.meter import outside_window_note, samples_store
from stations.models import OcppVersion, Station
from stations.services import station_inputs_ignored

# --- OCPP 1.6 ----------------------------------------------------------------------------------


def transaction_start_v16(*, station: Station, report: StartTransactionReport) -> tuple[int, str]:
    """1.6 StartTransaction: return (transactionId, idTagInfo.status).

    Always assigns an id, even for a refused idTag: the station then stops the transaction itself
    (1.6 §5.18, and OCTT expects it). A repeated StartTransaction gets the same id back.
    """
    at, connector_id, id_tag = report.at, report.connector_id, report.id_tag
    status = id_token_authorize(station=station, id_token=id_tag, purpose="start")
    begin = Reading(timestamp=at, context="Transaction.Begin", energy_wh=report.meter_start_wh)
    start_key = f"{connector_id}|{id_tag.lower()}|{at.isoformat()}|{int(report.meter_start_wh)}"
    with transaction.atomic():
        if report.ignored:
            station_inputs_ignored(notes=[(station, "StartTransaction", list(report.ignored))])
        existing = (
            Session.objects.filter(station_id=station.pk, start_key=start_key).values_list("transaction_id", flat=True).first()
        )
        if existing is not None:
            return int(existing), status
        try:
            with transaction.atomic():
                session = new_session(
                    station=station,
                    ocpp_version=OcppVersion.V16,
                    start_key=start_key,
                    evse_id=connector_id,
                    connector_id=connector_id,
                    id_token=id_tag,
                    authorization_status=str(status),
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
        merge_readings(session, [begin])
        session.save(update_fields=["transaction_id", *AGGREGATE_FIELDS])
        samples_store(station=station, evse_id=connector_id, session=session, readings=[begin])
    return transaction_id, status


def transaction_stop_v16(*, station: Station, report: StopTransactionReport) -> str | None:
    """1.6 StopTransaction: return idTagInfo.status when an idTag was sent, else None."""
    at = report.at
    status = id_token_authorize(station=station, id_token=report.id_tag, purpose="stop") if report.id_tag else None
    earliest = min([at, *(r.timestamp for r in report.readings)])
    notes = list(report.ignored)
    with transaction.atomic():
        session = v16_session(station=station, transaction_id=report.transaction_id, evse_id=None, at=earliest)
        if earliest < session.started_at and session.status == SessionStatus.INCOMPLETE:
            session.started_at = earliest
        if at < session.started_at:
            # A stop before its start: the start was dated by the platform's clock (the station's was
            # wrong) and the station's clock is behind it. The stop reading is the session's last.
            notes.append(f"timestamp {at.isoformat()} is before the transaction's start; the start time is used")
            at = session.started_at
        stop = Reading(timestamp=at, context="Transaction.End", energy_wh=report.meter_stop_wh)
        if session.ended_at is None:
            session.ended_at = at
            # 1.6 §6.49: reason may be omitted only when it is Local.
            session.stop_reason = report.reason or "Local"
        inside, outside = in_window(session, [*report.readings, stop])
        if outside:
            notes.append(outside_window_note(session, outside))
        merge_readings(session, inside)
        if session.status == SessionStatus.ACTIVE:
            session.status = SessionStatus.COMPLETED
        session.save(update_fields=[*AGGREGATE_FIELDS, "started_at", "ended_at", "stop_reason", "status"])
        if session.evse_id is not None:
            samples_store(station=station, evse_id=session.evse_id, session=session, readings=inside)
        if notes:
            station_inputs_ignored(notes=[(station, "StopTransaction", notes)])
    return status


# --- OCPP 2.0.1 --------------------------------------------------------------------------------


# 2.0.1 TriggerReasonEnumType: the idToken of these events was presented to begin charging.
_START_TRIGGERS = frozenset({"Authorized", "RemoteStart"})


def _token_purpose(report: TransactionEventReport) -> Purpose:
    """Why the event's idToken was presented: a master pass token may stop (C16), never start."""
    if report.event_type == "Ended" or report.trigger_reason == "StopAuthorized":
        return "stop"
    if report.trigger_reason in _START_TRIGGERS or report.event_type == "Started":
        return "start"
    return "ask"


def transaction_event_v201(*, station: Station, report: TransactionEventReport) -> str | None:
    """2.0.1 TransactionEvent. Return idTokenInfo.status when an idToken was sent.

    Started, Updated and Ended may arrive in any order and more than once (offline queue, E04/E05):
    the session is keyed by the station's transactionId and every field merges monotonically.
    """
    at = report.at
    status = None
    if report.id_token is not None:
        status = id_token_authorize(
            station=station, id_token=report.id_token, token_type=report.id_token_type, purpose=_token_purpose(report)
        )
    notes = list(report.ignored)

    with transaction.atomic():
        session, created = create_or_lock(
            station=station,
            transaction_id=report.transaction_id,
            defaults={"ocpp_version": OcppVersion.V201, "started_at": at},
        )
        # Started carries the earliest timestamp of a transaction; when it is late or lost the
        # earliest event seen stands in for it.
        session.started_at = min(session.started_at, at)
        if report.evse_id is not None and session.evse_id is None:
            session.evse_id = report.evse_id
            session.connector_id = report.connector_id
            # Samples of events that came before the EVSE was known (an Ended first) move to it.
            session.samples.update(evse_id=session.evse_id)
        if report.id_token and not session.id_token:
            session.id_token = report.id_token[:36]
            session.id_token_type = report.id_token_type[:20]
            session.authorization_status = str(status)
        if report.seq_no is not None and (session.seq_no is None or report.seq_no >= session.seq_no):
            session.seq_no = report.seq_no
            session.trigger_reason = report.trigger_reason
        session.offline = session.offline or report.offline
        if report.event_type == "Ended":
            if session.ended_at is None:
                session.ended_at = at
                # 2.0.1 TransactionType.stoppedReason: omitted only when the reason is Local.
                session.stop_reason = (report.stopped_reason or "Local")[:40]
            session.status = SessionStatus.COMPLETED
        # The window is the session's as it stands after this event. The first event seen of a
        # transaction (an Ended queued offline may come first) has no window yet: its readings
        # are bounded by the clock window alone.
        inside, outside = (list(report.readings), []) if created else in_window(session, report.readings)
        if outside:
            notes.append(outside_window_note(session, outside))
        merge_readings(session, inside)
        session.save()
        samples_store(station=station, evse_id=session.evse_id or 0, session=session, readings=inside)
        if notes:
            station_inputs_ignored(notes=[(station, "TransactionEvent", notes)])
    return status
