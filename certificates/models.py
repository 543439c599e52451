"""Security profiles 2 and 3: what the platform signed for, and said to, each station about security."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from networks.querysets import NetworkScopedQuerySet
from stations.models import SecurityProfile, Station, StationScopedQuerySet


class CertificateRequestStatus(models.TextChoices):
    REFUSED = "refused", "CSR refused"
    ISSUED = "issued", "Signed, not yet delivered"
    DELIVERED = "delivered", "Accepted by the station"
    REJECTED = "rejected", "Rejected by the station"
    FAILED = "failed", "Delivery failed"


class CertificateRequest(models.Model):
    """One SignCertificate from a station (2.0.1 A02/A03; 1.6 Security Whitepaper A02) and its outcome."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="certificate_requests")
    ocpp_version = models.CharField(max_length=8, blank=True)
    # 2.0.1 CertificateSigningUseEnumType; 1.6 signs ChargePointCertificate only.
    certificate_type = models.CharField(max_length=40, default="ChargingStationCertificate")
    csr = models.TextField()
    status = models.CharField(max_length=12, choices=CertificateRequestStatus.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="Why the CSR was refused or delivery failed.")
    certificate = models.TextField(blank=True, help_text="The signed certificate (PEM).")
    serial_number = models.CharField(max_length=64, blank=True)
    common_name = models.CharField(max_length=64, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.station.identity} {self.certificate_type} ({self.get_status_display()})"


class InstalledCertificate(models.Model):
    """A certificate a station reported in GetInstalledCertificateIds (its CertificateHashData)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="installed_certificates")
    certificate_type = models.CharField(max_length=40)
    hash_algorithm = models.CharField(max_length=10)
    issuer_name_hash = models.CharField(max_length=128)
    issuer_key_hash = models.CharField(max_length=128)
    serial_number = models.CharField(max_length=40)
    # True when the hash data is the platform CA's: the station trusts this platform.
    is_platform_ca = models.BooleanField(default=False)
    reported_at = models.DateTimeField()

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "certificate_type", "serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "certificate_type", "issuer_name_hash", "issuer_key_hash", "serial_number"],
                name="unique_installed_certificate",
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_type} {self.serial_number}"

    def hash_data(self) -> dict[str, str]:
        return {
            "hashAlgorithm": self.hash_algorithm,
            "issuerNameHash": self.issuer_name_hash,
            "issuerKeyHash": self.issuer_key_hash,
            "serialNumber": self.serial_number,
        }


class PasswordRotationStatus(models.TextChoices):
    PENDING = "pending", "Sent, waiting for the station"
    ACCEPTED = "accepted", "Accepted: the new password is the only one"
    REJECTED = "rejected", "Rejected: the old password stays"
    FAILED = "failed", "Failed: the old password stays"
    SUPERSEDED = "superseded", "Superseded by a newer rotation"


class PasswordRotation(models.Model):
    """A new Basic-auth password pushed to a station.

    Until the station accepts it, both the old password (``Station.password_hash``) and this
    pending one log in: the station may apply the key and reconnect before its answer is
    recorded. On Accepted (or the first login with the new one) the old one stops working.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="password_rotations")
    status = models.CharField(
        max_length=12, choices=PasswordRotationStatus.choices, default=PasswordRotationStatus.PENDING
    )
    pending_hash = models.CharField(max_length=256, editable=False)
    command = models.ForeignKey(
        "commands.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One password in flight per station: a second rotation supersedes the first.
            models.UniqueConstraint(
                fields=["station"], condition=models.Q(status="pending"), name="one_pending_password_rotation"
            )
        ]

    def __str__(self) -> str:
        return f"password rotation on {self.station.identity} ({self.get_status_display()})"


class ConnectionSecurity(models.Model):
    """The security profile of a station's latest accepted connection (for upgrades and the station page).

    Written when the profile or the certificate name changes, not at every reconnect (issue 17).
    """

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="connection_security")
    profile = models.PositiveSmallIntegerField(choices=SecurityProfile.choices)
    client_certificate_cn = models.CharField(max_length=64, blank=True)
    connected_at = models.DateTimeField("on this profile since")

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "connection security"
        verbose_name_plural = "connection security"

    def __str__(self) -> str:
        return f"{self.station.identity} on profile {self.profile}"


class UpgradeStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (the station stays on its old profile)"


class UpgradeRecord(models.Model):
    """One security-profile upgrade of one station, step by step (2.0.1 A05, 1.6 Whitepaper A05)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="security_upgrades")
    from_profile = models.PositiveSmallIntegerField(choices=SecurityProfile.choices)
    target_profile = models.PositiveSmallIntegerField(choices=SecurityProfile.choices)
    target_url = models.CharField(max_length=512)
    ocpp_version = models.CharField(max_length=8, blank=True)
    # 2.0.1: the network-profile slot given the new URL and the priority list it had before.
    network_slot = models.PositiveSmallIntegerField(null=True, blank=True)
    previous_priority = models.CharField(max_length=50, blank=True)
    plan = models.JSONField(default=list, help_text="The step keys, fixed when the upgrade started.")
    status = models.CharField(max_length=10, choices=UpgradeStatus.choices, default=UpgradeStatus.RUNNING)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "security profile upgrade"

    def __str__(self) -> str:
        return f"{self.station.identity} {self.from_profile} → {self.target_profile} ({self.get_status_display()})"


class UpgradeStepQuerySet(NetworkScopedQuerySet):
    network_field = "upgrade__station__network_id"


class UpgradeStep(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    upgrade = models.ForeignKey(UpgradeRecord, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=30, blank=True, help_text="Which step of the plan (certificates.upgrade).")
    name = models.CharField(max_length=120)
    command = models.ForeignKey(
        "commands.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The remote action that carried this step, if it is one.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    detail = models.TextField(blank=True, help_text="The request sent and the station's answer.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = UpgradeStepQuerySet.as_manager()

    class Meta:
        ordering = ["upgrade", "started_at", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_status_display()}"
