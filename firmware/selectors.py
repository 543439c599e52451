"""Firmware reads; every one starts from ``for_user``."""
from __future__ import annotations

from django.db.models import QuerySet

from firmware.models import FirmwareUpdate, FirmwareUpdateEvent
from stations.models import Station


def station_firmware_updates(*, user, station: Station) -> QuerySet[FirmwareUpdate]:
    """The station's updates, newest first, with their timelines."""
    return (
        FirmwareUpdate.objects.for_user(user)
        .filter(station=station)
        .select_related("firmware", "requested_by")
        .prefetch_related("events")
        .order_by("-created_at", "-id")
    )


def station_firmware_status(*, user, station: Station) -> FirmwareUpdateEvent | None:
    """The last firmware status the station reported (or the platform recorded) for it."""
    return FirmwareUpdateEvent.objects.for_user(user).filter(station=station).order_by("-time", "-id").first()
