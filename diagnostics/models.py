"""Log files a station uploads to the platform on request (2.0.1 N01 GetLog; 1.6 GetDiagnostics and the
Security Whitepaper's GetLog), and the status notifications that follow their upload."""
from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.db import models

from stations.models import Station, StationScopedQuerySet


class LogType(models.TextChoices):
    # 2.0.1 LogEnumType / 1.6 Security Whitepaper LogEnumType.
    DIAGNOSTICS_LOG = "DiagnosticsLog", "Diagnostics log"
    SECURITY_LOG = "SecurityLog", "Security log"
    # 1.6 §5.9 GetDiagnostics (core profile).
    DIAGNOSTICS = "Diagnostics", "Diagnostics (1.6 GetDiagnostics)"


class LogStatus(models.TextChoices):
    # Ours, before the station answered.
    REQUESTED = "Requested"
    SEND_FAILED = "SendFailed", "Not delivered"
    # 2.0.1 LogStatusEnumType (the GetLog answer); 1.6 GetDiagnostics.conf has no status: Accepted.
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled", "Canceled by a newer request"
    # 2.0.1 UploadLogStatusEnumType, 1.6 Security Whitepaper UploadLogStatusEnumType, 1.6 DiagnosticsStatus.
    BAD_MESSAGE = "BadMessage"
    IDLE = "Idle"
    NOT_SUPPORTED_OPERATION = "NotSupportedOperation"
    PERMISSION_DENIED = "PermissionDenied"
    UPLOADED = "Uploaded"
    UPLOAD_FAILURE = "UploadFailure"
    UPLOAD_FAILED = "UploadFailed", "Upload failed (1.6)"
    UPLOADING = "Uploading"


FAILED_STATUSES = frozenset(
    {
        LogStatus.SEND_FAILED,
        LogStatus.REJECTED,
        LogStatus.BAD_MESSAGE,
        LogStatus.NOT_SUPPORTED_OPERATION,
        LogStatus.PERMISSION_DENIED,
        LogStatus.UPLOAD_FAILURE,
        LogStatus.UPLOAD_FAILED,
    }
)
FINAL_STATUSES = FAILED_STATUSES | {LogStatus.UPLOADED, LogStatus.ACCEPTED_CANCELED}


def log_upload_to(instance: LogRequest, filename: str) -> str:
    # A random folder per upload: names chosen by stations never collide or overwrite.
    return posixpath.join("diagnostics", uuid.uuid4().hex, posixpath.basename(filename))


class LogRequestQuerySet(StationScopedQuerySet):
    def open(self):
        return self.exclude(status__in=FINAL_STATUSES)


class LogRequest(models.Model):
    """One GetLog / GetDiagnostics sent to a station, and the file it uploaded."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="log_requests")
    # The Command that carried the request; its id is the OCPP requestId and names the upload URL.
    command = models.OneToOneField(
        "commands.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="log_request"
    )
    request_id = models.PositiveBigIntegerField(unique=True)
    log_type = models.CharField(max_length=16, choices=LogType.choices)
    status = models.CharField(max_length=24, choices=LogStatus.choices, default=LogStatus.REQUESTED)
    status_info = models.CharField(max_length=512, blank=True)
    # The file name the station announced in its answer (2.0.1 filename, 1.6 fileName).
    announced_filename = models.CharField(max_length=255, blank=True)
    file = models.FileField(upload_to=log_upload_to, max_length=300, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_at = models.DateTimeField(null=True, blank=True)

    objects = LogRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_log_type_display()} of {self.station.identity} ({self.status})"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


class LogStatusEvent(models.Model):
    """A Log/DiagnosticsStatusNotification, or the answer to the request, on the station's timeline."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="log_status_events")
    log_request = models.ForeignKey(LogRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    source = models.CharField(max_length=40)
    status = models.CharField(max_length=24, choices=LogStatus.choices)
    # As the station sent it (absent in 1.6 DiagnosticsStatusNotification).
    request_id = models.BigIntegerField(null=True, blank=True)
    info = models.CharField(max_length=512, blank=True)
    time = models.DateTimeField()

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["time", "id"]
        indexes = [models.Index(fields=["station", "-time"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.source} {self.status}"
