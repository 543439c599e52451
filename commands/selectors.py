"""Reads for remote actions. Every list starts from ``Command.objects.for_user``."""
from __future__ import annotations

from commands.models import Command
from stations.models import Connector, EquipmentStatus, Station

# Connector states in which a 1.6 transaction is running (OCPP 1.6 §4.9: Charging, or suspended
# by the EV or the EVSE while the transaction continues).
SESSION_STATUSES = (EquipmentStatus.CHARGING, EquipmentStatus.SUSPENDED_EV, EquipmentStatus.SUSPENDED_EVSE)


def command_list(*, user, station: Station | None = None):
    qs = Command.objects.for_user(user).select_related("station", "requested_by")
    if station is not None:
        qs = qs.filter(station=station)
    return qs


def station_has_running_session(*, station: Station) -> bool:
    """Whether a session runs on the station, judged by its connectors' last reported status."""
    return Connector.objects.filter(evse__station=station, status__in=SESSION_STATUSES).exists()
