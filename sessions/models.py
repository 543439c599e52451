"""Charging sessions, their meter samples, id-token allow-lists and CSV exports.

One Session per OCPP transaction, whichever version the station speaks: 1.6 StartTransaction /
MeterValues / StopTransaction and 2.0.1 TransactionEvent all fold into the same row.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from locations.models import Location
from networks.models import Network
from networks.querysets import NetworkScopedQuerySet
from stations.models import OcppVersion, Station


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    # The station reported a transaction the platform never saw start (a 1.6 StopTransaction or
    # MeterValues with an unknown transactionId, e.g. after a database restore): kept so no energy
    # is lost, flagged because its start (and so its energy) may be partial.
    INCOMPLETE = "incomplete", "Incomplete (start never seen)"


class AuthorizationStatus(models.TextChoices):
    # The statuses 1.6 IdTagInfo and 2.0.1 IdTokenInfo have in common.
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


class SessionQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"

    def active(self) -> SessionQuerySet:
        return self.filter(status=SessionStatus.ACTIVE)


class Session(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="charging_sessions")
    # The station's location when the session started: moving a station later does not rewrite history.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="charging_sessions", null=True, blank=True
    )
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="charging_sessions")
    ocpp_version = models.CharField("OCPP version", max_length=8, choices=OcppVersion.choices)
    # 1.6: the integer the platform assigned (as text); 2.0.1: the station's transactionId (<= 36 chars).
    # Null only for the instant between inserting a 1.6 session and writing its assigned id.
    transaction_id = models.CharField(max_length=36, null=True, blank=True)
    # 1.6 StartTransaction carries no id of its own: a retried StartTransaction (same connector, idTag,
    # timestamp and meterStart) is recognised by this key and gets the same transactionId back.
    start_key = models.CharField(max_length=200, null=True, blank=True, editable=False)
    evse_id = models.PositiveIntegerField("EVSE", null=True, blank=True, help_text="1.6: the connectorId.")
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    id_token = models.CharField("id token", max_length=36, blank=True)
    id_token_type = models.CharField("id token type", max_length=20, blank=True)
    authorization_status = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Energy register readings (Wh) at the earliest and latest sample seen. Keeping the extremes by
    # timestamp, not by arrival, makes duplicates, replays and out-of-order events harmless.
    meter_start_wh = models.FloatField(null=True, blank=True)
    meter_start_at = models.DateTimeField(null=True, blank=True)
    meter_stop_wh = models.FloatField(null=True, blank=True)
    meter_stop_at = models.DateTimeField(null=True, blank=True)
    energy_wh = models.FloatField("energy (Wh)", default=0)
    peak_power_w = models.FloatField("peak power (W)", null=True, blank=True)
    stop_reason = models.CharField(max_length=40, blank=True)
    # 2.0.1 bookkeeping: highest seqNo seen, latest triggerReason, and whether any event was queued offline.
    seq_no = models.PositiveIntegerField(null=True, blank=True)
    trigger_reason = models.CharField(max_length=40, blank=True)
    offline = models.BooleanField(default=False)
    # The price under the session's tariff (tariffs app): running while active, final once ended;
    # null when no tariff applies. cost_details holds the breakdown the console and API show.
    total_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    cost_details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "transaction_id"], name="unique_transaction_per_station"),
            models.UniqueConstraint(fields=["station", "start_key"], name="unique_v16_start_per_station"),
        ]
        indexes = [
            # The list, its filters and exports: newest first within a network.
            # (id breaks ties in the ordering, so the export streams in index order without a sort).
            models.Index(fields=["network", "-started_at", "-id"], name="session_network_started_id"),
            models.Index(fields=["-started_at", "-id"], name="session_started_id"),
            # MeterValues without a transactionId find the running session on the connector.
            models.Index(fields=["station", "evse_id", "status"], name="session_station_evse_status"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.transaction_id}"

    @property
    def duration(self) -> timedelta | None:
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def energy_kwh(self) -> float:
        return round(self.energy_wh / 1000, 3)


class MeterSample(models.Model):
    """One meterValue: the readings of one timestamp, for charts. Bulk-inserted."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="samples", null=True, blank=True)
    # No index of its own: sample_evse_time (station, EVSE, time) serves every lookup by station (issue 17).
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="meter_samples", db_index=False)
    evse_id = models.PositiveIntegerField("EVSE", help_text="1.6: the connectorId.")
    timestamp = models.DateTimeField()
    context = models.CharField(max_length=30, blank=True)
    energy_wh = models.FloatField("energy register (Wh)", null=True, blank=True)
    power_w = models.FloatField("power (W)", null=True, blank=True)
    current_a = models.FloatField("current (A)", null=True, blank=True, help_text="The highest phase current.")
    soc = models.FloatField("SoC (%)", null=True, blank=True)

    class Meta:
        ordering = ["timestamp"]
        constraints = [
            # A replayed MeterValues (or TransactionEvent) must not draw the same point twice. Keyed by
            # session where there is one: a 2.0.1 Ended that arrives first may not name its EVSE.
            models.UniqueConstraint(
                fields=["session", "timestamp"],
                condition=models.Q(session__isnull=False),
                name="unique_sample_per_session_instant",
            ),
            models.UniqueConstraint(
                fields=["station", "evse_id", "timestamp"],
                condition=models.Q(session__isnull=True),
                name="unique_sample_per_evse_instant",
            ),
        ]
        indexes = [models.Index(fields=["station", "evse_id", "timestamp"], name="sample_evse_time")]


class IdTokenQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"


# 2.0.1 IdTokenEnumType. 1.6 idTags have no type: the type is what 2.0.1 local lists carry.
ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]


class IdTokenGroup(models.Model):
    """A group of a network's id tokens: 2.0.1 idTokenInfo.groupIdToken, 1.6 idTagInfo.parentIdTag.

    A station lets a token stop a transaction another token of the same group started (2.0.1 C09,
    1.6 §3.5.1 parent id). A master pass group is the one a station's AuthCtrlr.MasterPassGroupId
    names (2.0.1 C16): its tokens may stop any transaction but never start one.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="id_token_groups")
    token = models.CharField(
        "group id token", max_length=36, help_text="Sent as groupIdToken (2.0.1) and parentIdTag (1.6, at most 20 characters)."
    )
    token_type = models.CharField("group id token type", max_length=20, choices=[(t, t) for t in ID_TOKEN_TYPES], default="Central")
    master_pass = models.BooleanField(
        default=False,
        help_text="MasterPassGroupId: the group's tokens may stop any transaction but are refused when they start one.",
    )
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdTokenQuerySet.as_manager()

    class Meta:
        ordering = ["network", "token"]
        verbose_name = "id token group"
        constraints = [models.UniqueConstraint(Lower("token"), "network", name="unique_id_token_group_per_network")]

    def __str__(self) -> str:
        return self.token


class IdToken(models.Model):
    """An entry of a network's allow-list.

    A network with no Accepted entry accepts every token; once it lists one, only listed tokens
    are accepted. Blocked (and expired) entries are refused either way.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="id_tokens")
    token = models.CharField(max_length=36, help_text="The idTag (1.6) or idToken (2.0.1); case-insensitive.")
    status = models.CharField(
        max_length=20,
        choices=[(AuthorizationStatus.ACCEPTED, "Accepted"), (AuthorizationStatus.BLOCKED, "Blocked")],
        default=AuthorizationStatus.ACCEPTED,
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="After this the token answers Expired.")
    label = models.CharField(max_length=200, blank=True, help_text="Whose card this is.")
    token_type = models.CharField(
        "token type",
        max_length=20,
        choices=[(t, t) for t in ID_TOKEN_TYPES],
        default="ISO14443",
        help_text="The 2.0.1 IdTokenEnumType local authorization lists carry; authorization matches the token alone.",
    )
    group = models.ForeignKey(
        IdTokenGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="id_tokens",
        help_text="Tokens of one group may stop each other's transactions.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdTokenQuerySet.as_manager()

    class Meta:
        ordering = ["network", "token"]
        verbose_name = "id token"
        constraints = [
            # OCPP id tokens are CiString (1.6 §7.27, 2.0.1 IdTokenType): case-insensitive.
            models.UniqueConstraint(Lower("token"), "network", name="unique_id_token_per_network"),
        ]

    def __str__(self) -> str:
        return self.token

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.group_id is not None and self.network_id is not None and self.group.network_id != self.network_id:
            raise ValidationError({"group": "Pick a group of the token's own network."})


class LocalListVersion(models.Model):
    """One version of a network's local authorization list: the allow-list as it stood, frozen.

    A version is made when a list is sent and the allow-list changed since the latest one
    (sessions.services.local_list). Keeping each version's entries is what lets a Differential
    update be built from the version a station holds (1.6 §5.15, 2.0.1 D01).
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="local_list_versions")
    version = models.PositiveIntegerField(help_text="1.6 listVersion / 2.0.1 versionNumber; 0 means no list, so it starts at 1.")
    # [{"id_token", "type", "status", "expires_at", "group", "group_type"}], ordered by lower(id_token).
    entries = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdTokenQuerySet.as_manager()

    class Meta:
        ordering = ["network", "-version"]
        verbose_name = "local list version"
        constraints = [models.UniqueConstraint(fields=["network", "version"], name="unique_local_list_version_per_network")]

    def __str__(self) -> str:
        return f"{self.network} v{self.version}"


class StationLocalListQuerySet(NetworkScopedQuerySet):
    network_field = "station__network_id"


class StationLocalList(models.Model):
    """The local authorization list a station holds, as far as the platform knows it."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="local_list", primary_key=True)
    # Whose list ``version`` numbers: set by a send the station accepted. Version numbers are per
    # network, so after a move to another network (or a version the station reported without a
    # send) a Differential would be built on the wrong list: only a Full one goes.
    network = models.ForeignKey(
        Network, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The network whose list version the station holds (empty: not known).",
    )
    # The version the station confirmed: its answer to GetLocalListVersion, or the version of the
    # last SendLocalList it accepted. Null: never asked. 0: no list. 1.6 -1: not supported.
    version = models.IntegerField(null=True, blank=True)
    # The station answered SendLocalList NotSupported or 1.6 GetLocalListVersion -1.
    supported = models.BooleanField(null=True, blank=True)
    last_result = models.CharField(max_length=50, blank=True, help_text="The station's word on the latest SendLocalList.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationLocalListQuerySet.as_manager()

    class Meta:
        verbose_name = "station local list"

    def __str__(self) -> str:
        return f"{self.station_id}: v{self.version}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"


class Export(models.Model):
    """A CSV export of sessions run in the background; its file is downloadable by the network's users."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="session_exports"
    )
    # Null means every network: only account admins can request (and see) such an export.
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="session_exports"
    )
    filters = models.JSONField(default=dict, blank=True, help_text="The session list's filter parameters.")
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sessions export {self.pk}"
