"""Reservations (OCPP 1.6 §5.13/§5.3 ReserveNow/CancelReservation, 2.0.1 H01–H04).

A reservation's OCPP id is the id of the ReserveNow command that made it, so the station's later
messages (StartTransaction.reservationId, ReservationStatusUpdate) find it without a second counter.
"""
from __future__ import annotations

from django.db import models

from commands.models import Command
from sessions.models import Session
from stations.models import Station, StationScopedQuerySet


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    # The station refused (its word is kept: Faulted, Occupied, Rejected, Unavailable).
    REFUSED = "refused", "Refused by the station"
    USED = "used", "Used (transaction started)"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    # 2.0.1 ReservationStatusUpdate Removed: the station dropped it (EVSE faulted, unavailable...).
    REMOVED = "removed", "Removed by the station"


OPEN_STATUSES = (ReservationStatus.RESERVED,)


class ReservationQuerySet(StationScopedQuerySet):
    def open(self) -> ReservationQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Reservation(models.Model):
    reservation_id = models.PositiveIntegerField("reservation id", unique=True, help_text="The id sent to the station.")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="reservations")
    command = models.OneToOneField(Command, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservation")
    evse_id = models.PositiveIntegerField(
        "EVSE", null=True, blank=True, help_text="2.0.1: empty for any EVSE. 1.6: the connectorId (0: any connector)."
    )
    connector_type = models.CharField(max_length=30, blank=True, help_text="2.0.1: any EVSE with this connector type.")
    id_token = models.CharField("id token", max_length=36)
    id_token_type = models.CharField("id token type", max_length=20, blank=True)
    group_id_token = models.CharField(
        "group id token", max_length=36, blank=True, help_text="2.0.1 groupIdToken / 1.6 parentIdTag: its tokens may use it too."
    )
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.RESERVED)
    station_status = models.CharField(max_length=20, blank=True, help_text="The station's answer to ReserveNow.")
    session = models.ForeignKey(Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations")
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="reservation_open_expiry")]

    def __str__(self) -> str:
        return f"Reservation {self.reservation_id} on {self.station.identity}"
