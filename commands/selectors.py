"""Reads for remote actions. Every list starts from ``Command.objects.for_user``."""
from __future__ import annotations

from commands.models import Command
from stations.models import Station


def command_list(*, user, station: Station | None = None):
    qs = Command.objects.for_user(user).select_related("station", "requested_by")
    if station is not None:
        qs = qs.filter(station=station)
    return qs
