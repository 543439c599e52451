"""Reads for remote actions. Every list starts from ``Command.objects.for_user``."""
from __future__ import annotations

from commands.models import Command
from sessions.models import Session
from stations.models import Station


def command_list(*, user, station: Station | None = None):
    qs = Command.objects.for_user(user).select_related("station", "requested_by")
    if station is not None:
        qs = qs.filter(station=station)
    return qs


def station_has_running_session(*, station: Station) -> bool:
    """Whether the platform has a session on the station that has not ended.

    The session record, not the connectors' last status: a connector status can stay "Charging"
    when a StatusNotification is lost, and a reset held on it would never be sent.
    """
    return Session.objects.filter(station=station).active().exists()
