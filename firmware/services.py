"""Firmware writes: storing images, requesting updates, tracking what stations report."""
from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename

from firmware.models import (
    FINAL_STATUSES,
    Firmware,
    FirmwareStatus,
    FirmwareUpdate,
    FirmwareUpdateEvent,
)
from networks.models import Network
from stations import bounds
from stations.models import OcppVersion, Station

logger = logging.getLogger(__name__)

# Statuses a station reports in FirmwareStatusNotification (1.6 §7.25 and 2.0.1 FirmwareStatusEnumType).
NOTIFICATION_STATUSES = frozenset(
    {
        "Downloaded",
        "DownloadFailed",
        "Downloading",
        "DownloadScheduled",
        "DownloadPaused",
        "Idle",
        "InstallationFailed",
        "Installing",
        "Installed",
        "InstallRebooting",
        "InstallScheduled",
        "InstallVerificationFailed",
        "InvalidSignature",
        "SignatureVerified",
    }
)


def firmware_validate_size(*, size: int | None) -> None:
    limit = settings.FIRMWARE_MAX_UPLOAD_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            {"file": f"The file is {filesizeformat(size)}; the limit is {filesizeformat(limit)} "
             f"(FIRMWARE_MAX_UPLOAD_BYTES)."},
            code="too_large",
        )


def firmware_file_digest(*, file: File) -> tuple[str, int]:
    """SHA-256 hex digest and size, read chunk by chunk (images can be hundreds of megabytes)."""
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
        # The declared size can lie (a streamed upload has none): stop reading past the limit.
        firmware_validate_size(size=size)
    file.seek(0)
    return digest.hexdigest(), size


def firmware_create(
    *,
    file: File,
    version: str,
    network: Network | None,
    shared: bool = False,
    vendor: str = "",
    model: str = "",
    notes: str = "",
    signature: str = "",
    signing_certificate: str = "",
    uploaded_by=None,
) -> Firmware:
    """Store an image with its SHA-256 and size. ``shared`` images have no network."""
    firmware_validate_size(size=getattr(file, "size", None))
    sha256, size = firmware_file_digest(file=file)
    firmware = Firmware(
        network=None if shared else network,
        shared=shared,
        version=version,
        vendor=vendor,
        model=model,
        notes=notes,
        signature=signature,
        signing_certificate=signing_certificate,
        filename=get_valid_filename(posixpath.basename(file.name or "firmware.bin")) or "firmware.bin",
        size=size,
        sha256=sha256,
        uploaded_by=uploaded_by,
    )
    firmware.full_clean(exclude=["file"])
    firmware.file.save(firmware.filename, file, save=False)
    try:
        firmware.save()
    except Exception:
        firmware.file.delete(save=False)
        raise
    return firmware


def firmware_delete(*, firmware: Firmware) -> None:
    """Delete the record (refused while updates refer to it) and then the stored file."""
    name, storage = firmware.file.name, firmware.file.storage
    firmware.delete()
    transaction.on_commit(lambda: storage.delete(name))


def firmware_update_event_record(*, station: Station, update: FirmwareUpdate | None, status: str, info: str = "", at: datetime) -> None:
    FirmwareUpdateEvent.objects.create(station=station, update=update, status=status, info=info[:512], time=at)
    if update is not None:
        update.status = status
        update.status_info = info[:512]
        update.status_at = at
        if status in FINAL_STATUSES:
            update.finished_at = at
        update.save(update_fields=["status", "status_info", "status_at", "finished_at"])


def firmware_update_request(
    *,
    stations: Iterable[Station],
    firmware: Firmware,
    retrieve_at: datetime | None = None,
    install_at: datetime | None = None,
    signed_update: bool = False,
    retries: int | None = None,
    retry_interval: int | None = None,
    requested_by=None,
    send: bool = True,
) -> list[FirmwareUpdate]:
    """Create one update per station and send UpdateFirmware to each once the rows are committed.

    The caller checks the user may change these stations and read this image; here we only keep an
    image of one network off another network's stations.
    """
    now = timezone.now()
    retrieve_at = retrieve_at or now
    # The link must outlive a scheduled retrieve time and every retry the station may make.
    delay = max(0, int((retrieve_at - now).total_seconds()))
    retry_window = (retries or 0) * (retry_interval or 0)
    max_age = settings.FIRMWARE_LINK_MAX_AGE + delay + retry_window
    updates = []
    if signed_update and not firmware_is_signed(firmware):
        raise ValidationError(
            f"{firmware} has no signature and signing certificate: a signed update (SignedUpdateFirmware) needs both.",
            code="unsigned_image",
        )
    with transaction.atomic():
        for station in stations:
            if not firmware.shared and firmware.network_id != station.network_id:
                raise ValidationError(
                    f"{firmware} belongs to another network than {station.identity}.", code="other_network"
                )
            if install_at is not None and station.ocpp_version == OcppVersion.V16 and not signed_update:
                # 1.6 §6.52 UpdateFirmware has no install time; only SignedUpdateFirmware carries one.
                raise ValidationError(
                    f"{station.identity} speaks OCPP 1.6: an install time goes only with a signed update "
                    "(SignedUpdateFirmware).",
                    code="install_at_v16",
                )
            update = FirmwareUpdate.objects.create(
                station=station,
                firmware=firmware,
                retrieve_at=retrieve_at,
                install_at=install_at,
                signed_update=signed_update,
                retries=retries,
                retry_interval=retry_interval,
                link_max_age=max_age,
                link_expires_at=now + timedelta(seconds=max_age),
                requested_by=requested_by,
            )
            # requestId only has to be unique per station; the row id is, and survives restarts.
            update.request_id = update.pk
            update.save(update_fields=["request_id"])
            firmware_update_event_record(station=station, update=update, status=FirmwareStatus.REQUESTED, at=now)
            updates.append(update)
        if send:
            ids = [u.pk for u in updates]
            transaction.on_commit(lambda: firmware_updates_send(update_ids=ids))
    return updates


def _iso(value: datetime) -> str:
    return value.astimezone(dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def firmware_is_signed(firmware: Firmware) -> bool:
    """Whether the image can go to a 1.6 station as SignedUpdateFirmware (Security Whitepaper §4.4:
    signingCertificate and signature are both required there)."""
    return bool(firmware.signature and firmware.signing_certificate)


def firmware_update_payload(*, update: FirmwareUpdate, ocpp_version: str) -> dict[str, Any]:
    """The UpdateFirmware request as sent on the wire (camelCase).

    For OCPP 1.6 a signed update goes as the Security Whitepaper's SignedUpdateFirmware (its payload
    has ``firmware``, like 2.0.1's; the plain UpdateFirmware has ``location``).
    """
    from firmware.links import firmware_link_url

    location = firmware_link_url(update=update)
    if ocpp_version == OcppVersion.V201 or update.signed_update:
        # OCPP 2.0.1 L01 / 1.6 SignedUpdateFirmware: requestId, firmware.location/retrieveDateTime,
        # optional installDateTime (L01.FR.11, TC_L_02) and signature data.
        firmware: dict[str, Any] = {"location": location, "retrieveDateTime": _iso(update.retrieve_at)}
        if update.install_at is not None:
            firmware["installDateTime"] = _iso(update.install_at)
        if update.firmware.signing_certificate:
            firmware["signingCertificate"] = update.firmware.signing_certificate
        if update.firmware.signature:
            firmware["signature"] = update.firmware.signature
        payload: dict[str, Any] = {"requestId": update.request_id, "firmware": firmware}
    else:
        # OCPP 1.6 §6.52 UpdateFirmware.req.
        payload = {"location": location, "retrieveDate": _iso(update.retrieve_at)}
    if update.retries is not None:
        payload["retries"] = update.retries
    if update.retry_interval is not None:
        payload["retryInterval"] = update.retry_interval
    return payload


def firmware_updates_send(*, update_ids: list[int]) -> None:
    from firmware.dispatch import firmware_update_dispatch

    for update in FirmwareUpdate.objects.filter(pk__in=update_ids).select_related("station", "firmware"):
        try:
            firmware_update_dispatch(update=update)
        except Exception as exc:  # one station's failure must not keep the others from their update
            logger.exception("UpdateFirmware for %s could not be sent", update.station.identity)
            firmware_update_answer(update=update, status=FirmwareStatus.SEND_FAILED, info=str(exc))


def firmware_update_sent(*, update: FirmwareUpdate, command_id: int | None = None) -> None:
    update.sent_at = timezone.now()
    update.command_id = command_id
    update.save(update_fields=["sent_at", "command_id"])


@transaction.atomic
def firmware_update_answer(*, update: FirmwareUpdate, status: str, info: str = "") -> None:
    """Record the station's answer to UpdateFirmware (2.0.1 status; 1.6 answers empty: Sent), or that
    it never arrived (SendFailed)."""
    update = FirmwareUpdate.objects.select_for_update().get(pk=update.pk)
    if update.status not in (FirmwareStatus.REQUESTED, FirmwareStatus.SENT):
        # A FirmwareStatusNotification overtook the answer: the station's progress is newer news.
        FirmwareUpdateEvent.objects.create(
            station_id=update.station_id, update=update, status=status, info=info[:512], time=timezone.now()
        )
        return
    firmware_update_event_record(station=update.station, update=update, status=status, info=info, at=timezone.now())


@transaction.atomic
def firmware_status_notification(*, station: Station, status: str, request_id: int | None = None) -> None:
    """FirmwareStatusNotification (1.6 §4.5, 2.0.1 L01.FR.xx): move the update along its timeline.

    2.0.1 names the update by requestId. 1.6 has none: the station's newest unfinished update is
    the one in progress (a station runs one update at a time). A status outside any update (Idle
    after a TriggerMessage, an unknown requestId) is kept on the station's timeline only.
    """
    if status not in NOTIFICATION_STATUSES:
        raise ValueError(f"Not a FirmwareStatusNotification status: {status!r}")
    updates = FirmwareUpdate.objects.select_for_update().filter(station=station)
    info = ""
    if request_id is not None:
        # The station quotes it back (2.0.1 L01, 1.6 SignedFirmwareStatusNotification): bounded before the
        # lookup (stations.bounds; 2**63 overflowed SQLite's integer), out of range is a CALLERROR.
        request_id = bounds.request_id(request_id)
        update = updates.filter(request_id=request_id).first()
        if update is None:
            info = f"requestId {request_id} is not an update this platform requested"
    elif status == FirmwareStatus.IDLE:
        update = None
    else:
        update = updates.open().exclude(status=FirmwareStatus.REQUESTED).first() or updates.open().first()
    firmware_update_event_record(station=station, update=update, status=status, info=info, at=timezone.now())
