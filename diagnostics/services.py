"""Diagnostics writes: log requests, the station's status notifications and the files it uploads."""
from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from diagnostics.models import FINAL_STATUSES, LogRequest, LogStatus, LogStatusEvent, LogType
from stations import bounds
from stations.models import Station

logger = logging.getLogger(__name__)

GET_LOG = "get_log"
GET_DIAGNOSTICS = "get_diagnostics"
LOG_ACTIONS = frozenset({GET_LOG, GET_DIAGNOSTICS})

# 2.0.1 UploadLogStatusEnumType, 1.6 Security Whitepaper UploadLogStatusEnumType and 1.6 DiagnosticsStatus.
NOTIFICATION_STATUSES = frozenset(
    {
        "BadMessage",
        "Idle",
        "NotSupportedOperation",
        "PermissionDenied",
        "Uploaded",
        "UploadFailure",
        "UploadFailed",
        "Uploading",
        "AcceptedCanceled",
    }
)


class UploadTooLarge(Exception):
    pass


def log_request_for_command(*, command) -> LogRequest:
    """The LogRequest of a get_log / get_diagnostics Command, created with it (diagnostics.signals)."""
    log_type = LogType.DIAGNOSTICS if command.action == GET_DIAGNOSTICS else command.parameters.get("log_type") or LogType.DIAGNOSTICS_LOG
    request, _ = LogRequest.objects.get_or_create(
        request_id=command.pk,
        defaults={
            "station_id": command.station_id,
            "command": command,
            "log_type": log_type,
            "requested_by_id": command.requested_by_id,
            "status_at": timezone.now(),
        },
    )
    return request


def _record(*, station: Station, request: LogRequest | None, source: str, status: str, request_id: int | None, info: str = "") -> None:
    now = timezone.now()
    LogStatusEvent.objects.create(
        station=station, log_request=request, source=source, status=status, request_id=request_id, info=info[:512], time=now
    )
    if request is not None:
        request.status = status
        request.status_info = info[:512]
        request.status_at = now
        request.save(update_fields=["status", "status_info", "status_at"])


@transaction.atomic
def log_request_answered(*, command) -> None:
    """The station answered GetLog / GetDiagnostics (or the request never reached it)."""
    from commands.models import CommandStatus

    request = LogRequest.objects.select_for_update().filter(request_id=command.pk).first()
    if request is None:
        request = log_request_for_command(command=command)
    answer = command.answer if isinstance(command.answer, dict) else None
    if command.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED) and answer is not None:
        # 1.6 GetDiagnostics.conf has no status: an answer is acceptance; no fileName means no file.
        word = answer.get("status") or LogStatus.ACCEPTED
        filename = answer.get("filename") or answer.get("fileName") or ""
        info = (answer.get("statusInfo") or {}).get("reasonCode", "")
        if not answer.get("status") and not filename:
            info = "The station has no diagnostics to upload (no fileName)."
        request.announced_filename = filename[:255]
        request.save(update_fields=["announced_filename"])
        if request.status not in (LogStatus.REQUESTED,):
            # A status notification overtook the answer: the station's progress is newer news.
            LogStatusEvent.objects.create(
                station_id=request.station_id, log_request=request, source="answer", status=word,
                request_id=request.request_id, info=info, time=timezone.now(),
            )
            return
        if word == LogStatus.ACCEPTED_CANCELED:
            # 2.0.1 N01.FR.12: this request is accepted and the upload in progress is canceled.
            _cancel_older(request=request)
            word, info = LogStatus.ACCEPTED, "Accepted; the upload in progress was canceled."
        _record(station=request.station, request=request, source="answer", status=word, request_id=request.request_id, info=info)
        return
    _record(
        station=request.station, request=request, source="answer", status=LogStatus.SEND_FAILED,
        request_id=request.request_id, info=f"{command.get_status_display()}: {command.error}".strip(": "),
    )


def _cancel_older(*, request: LogRequest) -> None:
    older = (
        LogRequest.objects.select_for_update()
        .open()
        .filter(station_id=request.station_id, created_at__lte=request.created_at)
        .exclude(pk=request.pk)
        .exclude(log_type=LogType.DIAGNOSTICS)  # 1.6 GetDiagnostics has no AcceptedCanceled
    )
    for row in older:
        _record(
            station=request.station, request=row, source="answer", status=LogStatus.ACCEPTED_CANCELED,
            request_id=row.request_id, info=f"Canceled by the station for request {request.request_id}.",
        )


@transaction.atomic
def log_status_notification(*, station: Station, source: str, status: str, request_id: int | None = None) -> None:
    """LogStatusNotification (2.0.1 N01, 1.6 Security Whitepaper) or DiagnosticsStatusNotification (1.6 §4.4).

    With a requestId the request is named; 1.6 DiagnosticsStatusNotification has none, and the
    station's newest unfinished GetDiagnostics is the one uploading. Idle and unknown ids stay on
    the station's timeline only.
    """
    if status not in NOTIFICATION_STATUSES:
        raise ValueError(f"Not an upload status: {status!r}")
    requests = LogRequest.objects.select_for_update().filter(station=station)
    info = ""
    if request_id is not None:
        # Bounded before the lookup (stations.bounds): out of range is a CALLERROR, not an overflow.
        request_id = bounds.request_id(request_id)
        request = requests.filter(request_id=request_id).first()
        if request is None:
            info = f"requestId {request_id} is not a request of this platform"
    elif status == LogStatus.IDLE:
        request = None
    else:
        request = requests.open().filter(log_type=LogType.DIAGNOSTICS).first()
    if request is not None and request.status in FINAL_STATUSES and status != LogStatus.UPLOADED:
        # A late notification for a finished request: keep it on the timeline, not on the request.
        LogStatusEvent.objects.create(
            station=station, log_request=request, source=source, status=status, request_id=request_id, time=timezone.now()
        )
        return
    _record(station=station, request=request, source=source, status=status, request_id=request_id, info=info)


def _chunks_bounded(chunks: Iterable[bytes]) -> Iterable[bytes]:
    limit = settings.DIAGNOSTICS_MAX_UPLOAD_BYTES
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(f"The upload is larger than {limit} bytes (DIAGNOSTICS_MAX_UPLOAD_BYTES).")
        yield chunk


def _safe_name(name: str) -> str:
    """A storable file name from what a station chose, or "" (the station's names are untrusted)."""
    try:
        return get_valid_filename(posixpath.basename(name or ""))[-200:]
    except SuspiciousFileOperation:
        return ""


def log_file_store(*, request: LogRequest, chunks: Iterable[bytes], filename: str) -> LogRequest:
    """Store what the station uploaded for ``request`` (a retry replaces the earlier file).

    ``chunks`` are read one by one into a temporary file and refused past
    DIAGNOSTICS_MAX_UPLOAD_BYTES (UploadTooLarge), before anything reaches the storage.
    """
    from django.core.files.temp import NamedTemporaryFile

    name = (
        _safe_name(filename) or _safe_name(request.announced_filename) or f"log-{request.request_id}.bin"
    )
    digest = hashlib.sha256()
    size = 0
    with NamedTemporaryFile() as spool:
        for chunk in _chunks_bounded(chunks):
            digest.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.flush()
        spool.seek(0)
        with transaction.atomic():
            request = LogRequest.objects.select_for_update().get(pk=request.pk)
            old = request.file.name if request.file else ""
            request.file.save(name, File(spool, name=name), save=False)
            request.filename = name
            request.size = size
            request.sha256 = digest.hexdigest()
            request.uploaded_at = timezone.now()
            request.save(update_fields=["file", "filename", "size", "sha256", "uploaded_at"])
            LogStatusEvent.objects.create(
                station_id=request.station_id, log_request=request, source="upload", status=request.status,
                request_id=request.request_id, info=f"{name} received ({size} bytes)", time=request.uploaded_at,
            )
            if old:
                storage = request.file.storage
                transaction.on_commit(lambda: storage.delete(old))
    return request
