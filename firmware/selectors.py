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


# How far along an update is, for a progress bar: the usual order of FirmwareStatusNotifications.
FIRMWARE_PROGRESS = {
    "Requested": 5, "Sent": 10, "Accepted": 12, "DownloadScheduled": 20, "Downloading": 35, "DownloadPaused": 35,
    "Downloaded": 50, "SignatureVerified": 60, "InstallScheduled": 65, "Installing": 75, "InstallRebooting": 90,
    "Installed": 100,
}


def firmware_update_progress(update: FirmwareUpdate) -> int | None:
    """Percent done, or None for a failed update: it stopped, and a full bar would read as success."""
    if update.failed:
        return None
    return 100 if update.finished else FIRMWARE_PROGRESS.get(update.status, 0)
