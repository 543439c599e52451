"""Reservation life cycle: made by the station's answer to ReserveNow, ended by a transaction that
uses it, a cancellation, the station's status update, or its expiry (the platform's own clock too)."""
from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from commands.models import Command, CommandStatus
from reservations.models import OPEN_STATUSES, Reservation, ReservationStatus
from sessions.models import Session
from stations.models import Station


def reservation_command_finished(command: Command) -> None:
    """ReserveNow answered: record the reservation the station holds, or the refusal with its word."""
    if command.status not in (CommandStatus.ACCEPTED, CommandStatus.REJECTED):
        return  # never reached the station: nothing is reserved there
    p = command.parameters
    Reservation.objects.update_or_create(
        reservation_id=command.pk,
        defaults={
            "station": command.station,
            "command": command,
            "evse_id": p.get("evse_id", p.get("connector_id")),
            "connector_type": p.get("connector_type", ""),
            "id_token": p["id_token"],
            "id_token_type": p.get("id_token_type", ""),
            "group_id_token": p.get("group_id_token", ""),
            "expires_at": parse_datetime(p["expiry_date_time"]),
            "status": ReservationStatus.RESERVED if command.status == CommandStatus.ACCEPTED else ReservationStatus.REFUSED,
            "station_status": command.result[:20],
        },
    )


def cancel_command_finished(command: Command) -> None:
    """CancelReservation answered Accepted: the reservation is over."""
    if command.status == CommandStatus.ACCEPTED:
        _end(station=command.station, reservation_id=command.parameters["reservation_id"], status=ReservationStatus.CANCELLED)


def _end(*, station: Station, reservation_id: int, status: str, session: Session | None = None) -> bool:
    ended = Reservation.objects.filter(station=station, reservation_id=reservation_id, status__in=OPEN_STATUSES).update(
        status=status, ended_at=timezone.now(), **({"session": session} if session is not None else {})
    )
    return bool(ended)


def reservation_status_update(*, station: Station, reservation_id: int, update_status: str) -> bool:
    """2.0.1 ReservationStatusUpdate (H04): Expired or Removed by the station."""
    status = ReservationStatus.EXPIRED if update_status == "Expired" else ReservationStatus.REMOVED
    return _end(station=station, reservation_id=reservation_id, status=status)


def reservation_used(*, station: Station, reservation_id: int, transaction_id: str | int) -> bool:
    """A transaction started on the reservation (1.6 StartTransaction.reservationId, 2.0.1
    TransactionEvent.reservationId): the reservation ends, tied to the session."""
    with transaction.atomic():
        session = Session.objects.filter(station=station, transaction_id=str(transaction_id)).first()
        return _end(station=station, reservation_id=reservation_id, status=ReservationStatus.USED, session=session)


def reservations_expire(*, now: datetime | None = None) -> int:
    """Reservations past their expiry end on the platform's clock too: a station that went offline
    never sends the 2.0.1 status update, and 1.6 has none."""
    now = now or timezone.now()
    return Reservation.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now).update(
        status=ReservationStatus.EXPIRED, ended_at=now
    )
