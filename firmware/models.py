"""Firmware images, and the updates that send them to stations.

An image belongs to one network, or (account admins only) is shared with every network. Stations
fetch it over HTTP(S) through a per-update signed link (firmware.links); everything else reads
through ``Firmware.objects.for_user``.
"""
from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from networks.models import Network
from networks.querysets import NetworkScopedQuerySet, is_account_admin
from stations.models import Station, StationScopedQuerySet


class _FirmwareStorage(LazyObject):
    """The "firmware" alias of STORAGES, looked up at first use (like default_storage)."""

    def _setup(self) -> None:
        self._wrapped = storages["firmware"]


_firmware_storage = _FirmwareStorage()


def firmware_storage() -> _FirmwareStorage:
    # A callable keeps the storage out of migrations; the lazy object keeps it out of import time.
    return _firmware_storage


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs) -> None:
    # Tests that override STORAGES get the new backend, as Django does for default_storage.
    if setting == "STORAGES":
        _firmware_storage._wrapped = empty


def firmware_upload_to(instance: Firmware, filename: str) -> str:
    # A random folder per upload: two images with the same file name never collide or overwrite.
    return posixpath.join("firmware", uuid.uuid4().hex, posixpath.basename(filename))


class FirmwareQuerySet(NetworkScopedQuerySet):
    def for_user(self, user, *, write: bool = False):
        """The images ``user`` may see: their networks' plus the shared ones (reads only).

        Shared images have no network, so ``write=True`` leaves them to account admins.
        """
        scoped = super().for_user(user, write=write)
        if write or is_account_admin(user) or not (user is not None and user.is_authenticated and user.is_active):
            return scoped
        return scoped | self.filter(shared=True)

    def for_station(self, station: Station):
        """Images that target the station's vendor and model (an empty target matches anything).

        A station that has not booted yet has told us neither: every image is a candidate.
        """
        qs = self.all()
        if station.vendor:
            qs = qs.filter(Q(vendor="") | Q(vendor__iexact=station.vendor))
        if station.model:
            qs = qs.filter(Q(model="") | Q(model__iexact=station.model))
        return qs


class Firmware(models.Model):
    network = models.ForeignKey(
        Network,
        on_delete=models.PROTECT,
        related_name="firmware",
        null=True,
        blank=True,
        help_text="Empty for an image shared with every network (account admins only).",
    )
    shared = models.BooleanField(
        "shared with every network",
        default=False,
        help_text="Every network may use this image; only account admins may change it.",
    )
    version = models.CharField(max_length=50, help_text="The version the station reports after installing it.")
    vendor = models.CharField(max_length=50, blank=True, help_text="The charge point vendor it targets.")
    model = models.CharField(max_length=50, blank=True, help_text="The charge point model it targets.")
    notes = models.TextField(blank=True)
    file = models.FileField(upload_to=firmware_upload_to, storage=firmware_storage, max_length=300)
    filename = models.CharField(max_length=200, editable=False)
    size = models.BigIntegerField(editable=False, help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    # OCPP 2.0.1 FirmwareType.signature (base64, 800) and signingCertificate (PEM, 5500).
    signature = models.TextField(blank=True, max_length=800, help_text="Base64 signature (OCPP 2.0.1, optional).")
    signing_certificate = models.TextField(
        blank=True, max_length=5500, help_text="PEM certificate the image was signed with (OCPP 2.0.1, optional)."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FirmwareQuerySet.as_manager()

    class Meta:
        ordering = ["vendor", "model", "-created_at"]
        verbose_name = "firmware"
        verbose_name_plural = "firmware"
        constraints = [
            models.CheckConstraint(
                condition=Q(shared=True, network__isnull=True) | Q(shared=False, network__isnull=False),
                name="firmware_shared_xor_network",
                violation_error_message="An image is either in one network or shared with every network.",
            )
        ]
        indexes = [models.Index(fields=["vendor", "model"])]

    def __str__(self) -> str:
        target = " ".join(p for p in (self.vendor, self.model) if p) or "any station"
        return f"{target} {self.version}"


class FirmwareStatus(models.TextChoices):
    # Ours: before and while sending UpdateFirmware.
    REQUESTED = "Requested"
    SENT = "Sent", "Sent (1.6: accepted)"
    SEND_FAILED = "SendFailed", "Not delivered"
    # 2.0.1 UpdateFirmwareResponse.status.
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled", "Canceled by a newer update"
    INVALID_CERTIFICATE = "InvalidCertificate"
    REVOKED_CERTIFICATE = "RevokedCertificate"
    # FirmwareStatusNotification: 1.6 FirmwareStatus and 2.0.1 FirmwareStatusEnumType.
    DOWNLOAD_SCHEDULED = "DownloadScheduled"
    DOWNLOADING = "Downloading"
    DOWNLOAD_PAUSED = "DownloadPaused"
    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    SIGNATURE_VERIFIED = "SignatureVerified"
    INVALID_SIGNATURE = "InvalidSignature"
    INSTALL_SCHEDULED = "InstallScheduled"
    INSTALLING = "Installing"
    INSTALL_REBOOTING = "InstallRebooting"
    INSTALLED = "Installed"
    INSTALLATION_FAILED = "InstallationFailed"
    INSTALL_VERIFICATION_FAILED = "InstallVerificationFailed"
    IDLE = "Idle"


FAILED_STATUSES = frozenset(
    {
        FirmwareStatus.SEND_FAILED,
        FirmwareStatus.REJECTED,
        FirmwareStatus.INVALID_CERTIFICATE,
        FirmwareStatus.REVOKED_CERTIFICATE,
        FirmwareStatus.DOWNLOAD_FAILED,
        FirmwareStatus.INVALID_SIGNATURE,
        FirmwareStatus.INSTALLATION_FAILED,
        FirmwareStatus.INSTALL_VERIFICATION_FAILED,
    }
)
# After these the station is done with the request: later notifications without a requestId (1.6)
# belong to no update.
FINAL_STATUSES = FAILED_STATUSES | {FirmwareStatus.INSTALLED, FirmwareStatus.ACCEPTED_CANCELED}


class FirmwareUpdateQuerySet(StationScopedQuerySet):
    def open(self):
        return self.exclude(status__in=FINAL_STATUSES)


class FirmwareUpdate(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="firmware_updates")
    firmware = models.ForeignKey(Firmware, on_delete=models.PROTECT, related_name="updates")
    # OCPP 2.0.1 UpdateFirmwareRequest.requestId; FirmwareStatusNotification quotes it back.
    request_id = models.PositiveIntegerField(unique=True, null=True, editable=False)
    status = models.CharField(max_length=32, choices=FirmwareStatus.choices, default=FirmwareStatus.REQUESTED)
    status_info = models.CharField(max_length=512, blank=True)
    retrieve_at = models.DateTimeField(help_text="When the station should download the image.")
    # 2.0.1 L01 firmware.installDateTime / 1.6 SignedUpdateFirmware: install no earlier than this.
    install_at = models.DateTimeField(
        null=True, blank=True, help_text="When the station should install the image; empty: once downloaded."
    )
    # OCPP 1.6 stations get the Security Whitepaper's SignedUpdateFirmware instead of UpdateFirmware
    # (a station without the security extension refuses it, hence a choice, not a default).
    signed_update = models.BooleanField(
        "signed update (OCPP 1.6)",
        default=False,
        help_text="OCPP 1.6: send SignedUpdateFirmware with the image's signature and signing certificate.",
    )
    retries = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_interval = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    # Seconds the signed download link stays valid from when it was made (firmware.links).
    link_max_age = models.PositiveIntegerField(editable=False)
    link_expires_at = models.DateTimeField(editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The remote-actions record that carried UpdateFirmware, when that framework sent it.
    command_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = FirmwareUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "firmware update"
        indexes = [models.Index(fields=["station", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.firmware} → {self.station.identity} ({self.status})"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


class FirmwareUpdateEventQuerySet(StationScopedQuerySet):
    pass


class FirmwareUpdateEvent(models.Model):
    """One step of an update's timeline, or a station's firmware status outside any update."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="firmware_events")
    update = models.ForeignKey(
        FirmwareUpdate, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    status = models.CharField(max_length=32, choices=FirmwareStatus.choices)
    time = models.DateTimeField()
    info = models.CharField(max_length=512, blank=True)

    objects = FirmwareUpdateEventQuerySet.as_manager()

    class Meta:
        ordering = ["time", "id"]
        verbose_name = "firmware update event"
        indexes = [models.Index(fields=["station", "-time"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.status}"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES
