from __future__ import annotations

import binascii

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from locations.models import Location
from networks.models import Network
from networks.querysets import NetworkScopedQuerySet

# RFC 3986 unreserved characters only: the identity is the last path segment of the station's
# URL, and OCPP 2.0.1 forbids ':' (Basic auth separator) and caps it at 48 characters.
IDENTITY_PATTERN = r"[A-Za-z0-9._~-]{1,48}"
identity_validator = RegexValidator(
    rf"^{IDENTITY_PATTERN}$",
    "Use 1 to 48 letters, digits, '.', '_', '~' or '-' (no spaces, no ':').",
)


def validate_identity_segment(identity: str) -> None:
    """'.' and '..' pass the pattern but are dot-segments: URL normalisation (RFC 3986 §5.2.4) removes them."""
    if identity and set(identity) == {"."}:
        raise ValidationError({"identity": "An identity of only dots is not a usable URL path segment."})


STATION_PASSWORD_HASHER = "station_pbkdf2_sha256"
PASSWORD_MIN_LENGTH = 16
PASSWORD_MAX_LENGTH = 40
ZAPTEC_PASSWORD_BYTES = 20

# What the station and the gateway report: shown everywhere, edited by no form or API payload.
STATION_REPORTED_FIELDS = (
    "vendor",
    "model",
    "serial_number",
    "firmware_version",
    "connected",
    "last_seen",
    "last_connection_error",
    "last_connection_error_at",
)


def validate_station_password(password: str) -> None:
    """OCPP 2.0.1 BasicAuthPassword is 16 to 40 characters; refuse anything else."""
    if not isinstance(password, str) or not (PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH):
        raise ValidationError(
            f"The password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters long "
            f"(OCPP 2.0.1 BasicAuthPassword; 1.6 stations take at most 20 bytes).",
            code="password_length",
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in password):
        raise ValidationError("The password may not contain control characters.", code="password_chars")


def password_hex(password: str) -> str:
    """The form OCPP 1.6 AuthorizationKey (and the Zaptec portal) takes: the UTF-8 bytes in hex."""
    return binascii.hexlify(password.encode("utf-8")).decode("ascii").upper()


def zaptec_password_warning(password: str) -> str | None:
    size = len(password.encode("utf-8"))
    if size == ZAPTEC_PASSWORD_BYTES:
        return None
    return (
        f"This password is {size} bytes. Zaptec stations need exactly {ZAPTEC_PASSWORD_BYTES} bytes "
        f"(40 hex digits): the portal pads a shorter key, which then no longer matches."
    )


class OcppVersion(models.TextChoices):
    V16 = "1.6", "OCPP 1.6"
    V201 = "2.0.1", "OCPP 2.0.1"


class StationState(models.TextChoices):
    PENDING = "pending", "Pending"
    ONBOARDED = "onboarded", "Onboarded"
    REJECTED = "rejected", "Rejected"


class SecurityProfile(models.IntegerChoices):
    BASIC = 1, "1 - ws:// with Basic auth"
    TLS_BASIC = 2, "2 - wss:// with Basic auth"
    TLS_CLIENT_CERT = 3, "3 - wss:// with client certificate"


def validate_station_location(*, network: Network | None, location: Location | None) -> None:
    """A station's location is one of its network's: the location's network is what scopes who sees
    the station on the map and in reports. The one check for every surface (model, forms, API)."""
    if network is not None and location is not None and location.network_id != network.pk:
        raise ValidationError({"location": "The location must be in the station's network."})


class Category:
    """What an operator asks of a station or a connector: is it usable, in use, broken, unreachable,
    or not yet onboarded. Stations are one of STATION_CATEGORIES; equipment can also be UNAVAILABLE."""

    AVAILABLE = "available"
    CHARGING = "charging"
    FAULTED = "faulted"
    OFFLINE = "offline"
    PENDING = "pending"
    UNAVAILABLE = "unavailable"


#: The buckets of the dashboard and the status filter, in display order.
STATION_CATEGORIES = (Category.AVAILABLE, Category.CHARGING, Category.FAULTED, Category.OFFLINE, Category.PENDING)


class StationQuerySet(NetworkScopedQuerySet):
    def pending(self):
        return self.filter(state=StationState.PENDING)

    def onboarded(self):
        return self.filter(state=StationState.ONBOARDED)

    def with_equipment_flags(self) -> StationQuerySet:
        """Annotate whether any EVSE or connector is faulted or in use (what category_q() reads)."""
        in_use = models.Q(status__in=IN_USE_STATUSES)
        return self.annotate(
            evse_faulted=models.Exists(EVSE.objects.filter(faulted_q(), station=models.OuterRef("pk"))),
            connector_faulted=models.Exists(Connector.objects.filter(faulted_q(), evse__station=models.OuterRef("pk"))),
            evse_in_use=models.Exists(EVSE.objects.filter(in_use, station=models.OuterRef("pk"))),
            connector_in_use=models.Exists(Connector.objects.filter(in_use, evse__station=models.OuterRef("pk"))),
        )

    def in_category(self, category: str) -> StationQuerySet:
        """The stations of one of STATION_CATEGORIES (an unknown category: none)."""
        q = station_category_q().get(category)
        return self.with_equipment_flags().filter(q) if q is not None else self.none()

    def count_by_category(self) -> dict[str, int]:
        """How many stations are in each of STATION_CATEGORIES, in one query."""
        return self.with_equipment_flags().aggregate(
            **{category: models.Count("pk", filter=q) for category, q in station_category_q().items()}
        )


def station_category_q() -> dict[str, models.Q]:
    """The database's form of stations.selectors.station_category(), over with_equipment_flags()."""
    live = models.Q(state=StationState.ONBOARDED, connected=True)
    faulted = models.Q(evse_faulted=True) | models.Q(connector_faulted=True)
    in_use = models.Q(evse_in_use=True) | models.Q(connector_in_use=True)
    return {
        Category.AVAILABLE: live & ~faulted & ~in_use,
        Category.CHARGING: live & ~faulted & in_use,
        Category.FAULTED: live & faulted,
        Category.OFFLINE: models.Q(state=StationState.ONBOARDED, connected=False),
        Category.PENDING: ~models.Q(state=StationState.ONBOARDED),
    }


class Station(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="stations")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stations", null=True, blank=True
    )
    name = models.CharField(max_length=200)
    identity = models.CharField(
        max_length=48,
        unique=True,
        validators=[identity_validator],
        help_text="The charge point identity the station puts at the end of its URL.",
    )
    password_hash = models.CharField(max_length=256, editable=False)
    ocpp_version = models.CharField(
        "OCPP version",
        max_length=8,
        choices=OcppVersion.choices,
        blank=True,
        help_text="Leave empty to let the station choose; set to force a version.",
    )
    state = models.CharField(max_length=16, choices=StationState.choices, default=StationState.PENDING)
    vendor = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    serial_number = models.CharField(max_length=50, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    security_profile = models.PositiveSmallIntegerField(
        choices=SecurityProfile.choices,
        default=SecurityProfile.BASIC,
        help_text="The lowest security profile the station may connect with.",
    )
    # Registration status Pending (OCPP 1.6 §4.2, 2.0.1 B02): every BootNotification is answered
    # Pending while this is on, so the operator can read and set the configuration before the
    # station may send its own requests. Turned off, the next boot is Accepted.
    boot_pending = models.BooleanField(
        "answer Pending at the next boot",
        default=False,
        help_text="Answer BootNotification with Pending (registration not yet accepted) until this is turned off. "
        "While Pending the platform may read and change the configuration and trigger messages.",
    )
    boot_pending_interval = models.PositiveIntegerField(
        "Pending retry interval (s)",
        default=60,
        validators=[MaxValueValidator(86400)],
        help_text="Seconds the station waits before it boots again while Pending (0: the station's own interval).",
    )
    connected = models.BooleanField(default=False)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_connection_error = models.CharField(max_length=300, blank=True)
    last_connection_error_at = models.DateTimeField(null=True, blank=True)
    # The Channels channel of the consumer holding the station's websocket: the presence record
    # remote actions address (a group_send to nobody succeeds silently), empty when offline.
    channel_name = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["network", "state"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.identity})"

    def clean(self) -> None:
        validate_identity_segment(self.identity)
        validate_station_location(
            network=self.network if self.network_id else None, location=self.location if self.location_id else None
        )

    def set_password(self, raw_password: str) -> None:
        validate_station_password(raw_password)
        self.password_hash = make_password(raw_password, hasher=STATION_PASSWORD_HASHER)
        # After the save, the station's open socket is dropped (stations.services.station_disconnect_if_disabled).
        self._password_changed = True

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password_hash) and check_password(raw_password, self.password_hash)

    @property
    def is_faulted(self) -> bool:
        return any(c.is_faulted for evse in self.evses.all() for c in [evse, *evse.connectors.all()])


class EquipmentStatus(models.TextChoices):
    # The union of the 1.6 ChargePointStatus and 2.0.1 ConnectorStatusEnumType values.
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    OCCUPIED = "Occupied"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    UNKNOWN = "Unknown"


# A connector with a car on it counts as in use whether energy flows or not (1.6 Preparing,
# SuspendedEV/EVSE, Finishing; 2.0.1 Occupied): the operator's question is "is it in use".
IN_USE_STATUSES = (
    EquipmentStatus.CHARGING,
    EquipmentStatus.PREPARING,
    EquipmentStatus.SUSPENDED_EV,
    EquipmentStatus.SUSPENDED_EVSE,
    EquipmentStatus.FINISHING,
    EquipmentStatus.OCCUPIED,
)
# Error codes that report no error: 1.6 StatusNotification always carries one (NoError when fine);
# 2.0.1 has none, stored empty.
NO_ERROR_CODES = ("", "NoError")


def faulted_q(prefix: str = "") -> models.Q:
    """Equipment that is faulted: the database's form of Equipment.is_faulted. A status other than
    Faulted with an error code (1.6 allows e.g. Available + OverCurrentFailure) is a fault too."""
    return models.Q(**{f"{prefix}status": EquipmentStatus.FAULTED}) | ~models.Q(**{f"{prefix}error_code__in": NO_ERROR_CODES})


class Equipment(models.Model):
    status = models.CharField(max_length=20, choices=EquipmentStatus.choices, default=EquipmentStatus.UNKNOWN)
    error_code = models.CharField(max_length=50, blank=True)
    error_info = models.CharField(max_length=500, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_faulted(self) -> bool:
        return self.status == EquipmentStatus.FAULTED or self.error_code not in NO_ERROR_CODES

    @property
    def error_text(self) -> str:
        return " - ".join(p for p in (self.error_code, self.error_info, self.vendor_error_code) if p)


class EVSE(Equipment):
    """An EVSE (2.0.1), or in 1.6 the charge point (evse_id 0) and one EVSE per connector."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="evses")
    evse_id = models.PositiveIntegerField()

    class Meta:
        ordering = ["station", "evse_id"]
        verbose_name = "EVSE"
        constraints = [models.UniqueConstraint(fields=["station", "evse_id"], name="unique_evse_per_station")]

    def __str__(self) -> str:
        return f"{self.station.identity} EVSE {self.evse_id}"


class Connector(Equipment):
    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="connectors")
    connector_id = models.PositiveIntegerField(
        help_text="2.0.1: the connector within its EVSE. 1.6: the station's connectorId."
    )

    class Meta:
        ordering = ["evse", "connector_id"]
        constraints = [
            models.UniqueConstraint(fields=["evse", "connector_id"], name="unique_connector_per_evse")
        ]

    def __str__(self) -> str:
        return f"{self.evse} connector {self.connector_id}"


class PendingStation(Station):
    class Meta:
        proxy = True
        verbose_name = "pending station"


class OnboardedStation(Station):
    class Meta:
        proxy = True
        verbose_name = "onboarded station"


class StationScopedQuerySet(NetworkScopedQuerySet):
    network_field = "station__network_id"


class ConfigurationKey(models.Model):
    """An OCPP 1.6 configuration key as the station reported it in GetConfiguration.conf."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="configuration_keys")
    key = models.CharField(max_length=50)
    # 1.6 KeyValue.value is CiString500; absent for keys the station does not disclose.
    value = models.TextField(blank=True)
    readonly = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "key"]
        verbose_name = "configuration key"
        constraints = [models.UniqueConstraint(fields=["station", "key"], name="unique_configuration_key")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class DeviceModelVariable(models.Model):
    """One attribute of an OCPP 2.0.1 device model variable, from NotifyReport (GetBaseReport)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="device_model")
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_id = models.PositiveIntegerField(null=True, blank=True)
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    # AttributeEnumType: Actual, Target, MinSet, MaxSet.
    attribute_type = models.CharField(max_length=10, default="Actual")
    value = models.TextField(blank=True)
    mutability = models.CharField(max_length=10, blank=True)
    persistent = models.BooleanField(null=True)
    constant = models.BooleanField(null=True)
    data_type = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    min_limit = models.FloatField(null=True, blank=True)
    max_limit = models.FloatField(null=True, blank=True)
    values_list = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "component", "component_instance", "evse_id", "connector_id", "variable"]
        verbose_name = "device model variable"
        indexes = [models.Index(fields=["station", "component", "variable"])]

    def __str__(self) -> str:
        return f"{self.component}.{self.variable}[{self.attribute_type}]={self.value}"


class DeviceModelReport(models.Model):
    """A 2.0.1 device model report (GetBaseReport / GetReport, B07/B08) by its requestId.

    The station answers the request with a status and sends the data in NotifyReport parts (seqNo
    from 0, tbc until the last): this row counts the parts and says whether the last one arrived.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="device_model_reports")
    request_id = models.PositiveIntegerField()
    # ReportBaseEnumType for GetBaseReport; "Custom" for a GetReport (criteria / componentVariable).
    report_base = models.CharField(max_length=30, blank=True)
    parts = models.PositiveIntegerField(default=0)
    variables = models.PositiveIntegerField(default=0, help_text="Variable attributes reported so far.")
    complete = models.BooleanField(default=False, help_text="The last part (tbc false) arrived.")
    generated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "-created_at"]
        verbose_name = "device model report"
        constraints = [models.UniqueConstraint(fields=["station", "request_id"], name="unique_device_model_report")]

    def __str__(self) -> str:
        return f"{self.report_base or 'Report'} #{self.request_id}"


class StationEvent(models.Model):
    """A 2.0.1 NotifyEvent item or a (1.6 security extension / 2.0.1) SecurityEventNotification."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="events")
    source = models.CharField(max_length=40, help_text="The OCPP action that reported it.")
    event_type = models.CharField(
        max_length=50, blank=True, help_text="Security event type, or the NotifyEvent trigger."
    )
    component = models.CharField(max_length=120, blank=True)
    variable = models.CharField(max_length=120, blank=True)
    value = models.TextField(blank=True)
    tech_info = models.TextField(blank=True)
    cleared = models.BooleanField(null=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, help_text="The event as the station sent it.")

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = "station event"
        indexes = [models.Index(fields=["station", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.event_type} {self.component}".strip()


class StationFault(models.Model):
    """One fault an EVSE or connector reported, from the StatusNotification that raised it to the
    one that cleared it (issue 16: faults are facts, kept when the station goes offline).

    Written by stations.faults.station_faults_record with the status batch; bounded per station
    (FAULT_HISTORY_PER_STATION) so that a flapping connector cannot grow the table without end.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="faults")
    evse_id = models.PositiveIntegerField()
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20)
    error_code = models.CharField(max_length=50, blank=True)
    error_info = models.CharField(max_length=500, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    started_at = models.DateTimeField(help_text="The timestamp of the report that raised it.")
    cleared_at = models.DateTimeField(null=True, blank=True, help_text="The timestamp of the report that cleared it.")
    cleared_by = models.CharField(max_length=20, blank=True, help_text="The status that cleared it.")

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "station fault"
        # The station page's history (newest first) and the open faults the status batch looks up.
        indexes = [
            models.Index(fields=["station", "-started_at"], name="station_fault_history_idx"),
            models.Index(fields=["station", "cleared_at"], name="station_fault_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.evse_id}/{self.connector_id} {self.status} {self.error_code}".strip()

    @property
    def error_text(self) -> str:
        return " - ".join(p for p in (self.error_code, self.error_info, self.vendor_error_code) if p)

    @property
    def duration(self):
        return (self.cleared_at - self.started_at) if self.cleared_at else None
