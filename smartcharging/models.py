"""Charging profiles (OCPP 1.6 §3.13 / 2.0.1 K), site power limits and what stations report about limits.

A ChargingProfile row is either a network's reusable template (``station`` empty), a profile the
platform sent to a station (by an operator or the site balancer), or one a station reported
(2.0.1 ReportChargingProfiles). Schedule periods are kept as the list OCPP carries
(``[{"start_period": 0, "limit": 16.0, "number_phases": 3}, ...]``, snake_case) so a profile is
rebuilt for either version without loss.
"""
from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from locations.models import Location
from networks.models import Network
from networks.querysets import NetworkScopedQuerySet
from stations.models import Station, StationScopedQuerySet


class ProfilePurpose(models.TextChoices):
    CHARGING_STATION_MAX = "ChargingStationMaxProfile", "Station maximum (2.0.1)"
    CHARGE_POINT_MAX = "ChargePointMaxProfile", "Charge point maximum (1.6)"
    TX_DEFAULT = "TxDefaultProfile", "Transaction default"
    TX = "TxProfile", "Transaction"
    # Only ever reported by a station (2.0.1 K: set by an EMS or other external system), never sent.
    EXTERNAL = "ChargingStationExternalConstraints", "External constraints (reported)"


class ProfileKind(models.TextChoices):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class RecurrencyKind(models.TextChoices):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class RateUnit(models.TextChoices):
    AMPERE = "A", "A (per phase)"
    WATT = "W", "W"


class ProfileSource(models.TextChoices):
    TEMPLATE = "template", "Template"
    OPERATOR = "operator", "Sent by an operator"
    BALANCER = "balancer", "Site balancer"
    REMOTE_START = "remote_start", "Inside a remote start"
    STATION = "station", "Reported by the station"


class ProfileStatus(models.TextChoices):
    DRAFT = "draft", "Template"
    PENDING = "pending", "Sent, waiting for the answer"
    INSTALLED = "installed", "Accepted by the station"
    REJECTED = "rejected", "Refused by the station"
    FAILED = "failed", "Not delivered"
    CLEARED = "cleared", "Cleared"
    REPORTED = "reported", "Reported by the station"


class ChargingProfileQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"

    def templates(self) -> ChargingProfileQuerySet:
        return self.filter(station__isnull=True, source=ProfileSource.TEMPLATE)

    def on_station(self, station: Station) -> ChargingProfileQuerySet:
        return self.filter(station=station)


class ChargingProfile(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="charging_profiles")
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="charging_profiles", null=True, blank=True,
        help_text="Empty for a template, reusable on any station of the network.",
    )
    name = models.CharField(max_length=100, blank=True, help_text="A template's name.")
    source = models.CharField(max_length=16, choices=ProfileSource.choices, default=ProfileSource.TEMPLATE)
    status = models.CharField(max_length=16, choices=ProfileStatus.choices, default=ProfileStatus.DRAFT)
    # OCPP chargingProfileId: unique per station; chosen by the operator or the next free one, or as reported.
    profile_id = models.IntegerField("charging profile id", null=True, blank=True)
    evse_id = models.PositiveIntegerField(
        "EVSE / connector", null=True, blank=True, help_text="0 = the whole station; 1.6: the connectorId."
    )
    transaction_id = models.CharField(max_length=36, blank=True, help_text="TxProfile: the transaction it limits.")
    stack_level = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(1000)])
    purpose = models.CharField(max_length=40, choices=ProfilePurpose.choices, default=ProfilePurpose.TX_DEFAULT)
    kind = models.CharField(max_length=10, choices=ProfileKind.choices, default=ProfileKind.ABSOLUTE)
    recurrency_kind = models.CharField(max_length=8, choices=RecurrencyKind.choices, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    start_schedule = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    charging_rate_unit = models.CharField(max_length=1, choices=RateUnit.choices, default=RateUnit.AMPERE)
    min_charging_rate = models.FloatField(null=True, blank=True)
    periods = models.JSONField(
        default=list, help_text='[{"start_period": 0, "limit": 16, "number_phases": 3}], seconds from the schedule start.'
    )
    command = models.ForeignKey("commands.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    request_id = models.IntegerField(null=True, blank=True, help_text="2.0.1 GetChargingProfiles requestId it was reported for.")
    reported_source = models.CharField(max_length=20, blank=True, help_text="2.0.1 chargingLimitSource of a reported profile.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChargingProfileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "status"], name="profile_station_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "name"], condition=models.Q(station__isnull=True), name="unique_template_name_per_network"
            ),
        ]

    def __str__(self) -> str:
        if self.station_id is None:
            return f"Template {self.name or self.pk}"
        return f"{self.purpose} #{self.profile_id} on {self.station}"


class StationChargingSettings(models.Model):
    """How the site balancer treats one station (absent: the defaults below)."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="charging_settings")
    priority = models.IntegerField(default=0, help_text="Higher priorities are served first; equal ones share equally.")
    min_current_a = models.FloatField(
        "minimum current (A)", default=6.0, validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text="Below this an EV cannot charge (IEC 61851: 6 A); a session that cannot get it is paused.",
    )
    max_current_a = models.FloatField("maximum current (A)", default=32.0, validators=[MinValueValidator(0), MaxValueValidator(1000)])
    phases = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(3)])
    voltage = models.FloatField(default=230.0, validators=[MinValueValidator(100), MaxValueValidator(1000)])
    # None until the first balancer profile is answered; False: counted at its maximum from then on.
    accepts_profiles = models.BooleanField(null=True, blank=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "station charging settings"

    def __str__(self) -> str:
        return f"Charging settings of {self.station}"


class SiteLimitQuerySet(NetworkScopedQuerySet):
    network_field = "location__network_id"


class SiteLimit(models.Model):
    """A location's grid connection: the most all its sessions may draw together."""

    location = models.OneToOneField(Location, on_delete=models.CASCADE, related_name="site_limit")
    max_power_kw = models.FloatField(
        "maximum power (kW)", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100_000)]
    )
    max_current_a = models.FloatField(
        "maximum current per phase (A)", null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100_000)]
    )
    phases = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(3)])
    voltage = models.FloatField(default=230.0, validators=[MinValueValidator(100), MaxValueValidator(1000)])
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteLimitQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_power_kw__isnull=False) | models.Q(max_current_a__isnull=False),
                name="site_limit_has_a_limit",
            )
        ]

    def __str__(self) -> str:
        return f"Site limit of {self.location}"

    @property
    def rate_unit(self) -> str:
        return RateUnit.WATT if self.max_power_kw is not None else RateUnit.AMPERE

    @property
    def limit_w(self) -> float:
        if self.max_power_kw is not None:
            return self.max_power_kw * 1000
        return (self.max_current_a or 0) * self.phases * self.voltage


class SessionAllocation(models.Model):
    """The balancer's latest share for one running session (what it last sent)."""

    session = models.OneToOneField("charging_sessions.Session", on_delete=models.CASCADE, related_name="allocation")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="allocations")
    limit_w = models.FloatField()
    command = models.ForeignKey("commands.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteLimitQuerySet.as_manager()  # scoped through the location, like the site limit


class CompositeSchedule(models.Model):
    """A GetCompositeSchedule answer (1.6 §5.7, 2.0.1 K08), for the station page's chart."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="composite_schedules")
    command = models.OneToOneField("commands.Command", on_delete=models.CASCADE, related_name="+")
    evse_id = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16)
    schedule_start = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    charging_rate_unit = models.CharField(max_length=1, blank=True)
    periods = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]


class LimitReportKind(models.TextChoices):
    NOTIFY_CHARGING_LIMIT = "NotifyChargingLimit"
    CLEARED_CHARGING_LIMIT = "ClearedChargingLimit"
    NOTIFY_EV_CHARGING_NEEDS = "NotifyEVChargingNeeds"
    NOTIFY_EV_CHARGING_SCHEDULE = "NotifyEVChargingSchedule"


class ChargingLimitReport(models.Model):
    """What a 2.0.1 station told about limits set elsewhere or an EV's needs (K11-K17)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="charging_limit_reports")
    kind = models.CharField(max_length=32, choices=LimitReportKind.choices)
    evse_id = models.PositiveIntegerField(null=True, blank=True)
    limit_source = models.CharField(max_length=20, blank=True, help_text="chargingLimitSource: EMS, Other, SO, CSO.")
    payload = models.JSONField(help_text="The request as the station sent it.")
    received_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
