from __future__ import annotations

from django.db import models

from stations.models import Station, StationScopedQuerySet


class MessageQuerySet(StationScopedQuerySet):
    pass


class Message(models.Model):
    """Every OCPP-J frame in and out of a station: the record of what was said (the ocpp logger stays quiet)."""

    class Direction(models.TextChoices):
        IN = "in", "station → platform"
        OUT = "out", "platform → station"

    class Type(models.IntegerChoices):
        CALL = 2, "CALL"
        CALLRESULT = 3, "CALLRESULT"
        CALLERROR = 4, "CALLERROR"

    # No index of its own: the (station, -time) index below serves every lookup by station, and the
    # log's write path pays for each index on every row (issue 17).
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="messages", db_index=False)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # Null for a frame that is not OCPP-J at all (not JSON, binary, oversized).
    message_type = models.PositiveSmallIntegerField(choices=Type.choices, null=True, blank=True)
    # For a CALLRESULT or CALLERROR: the action of the CALL it answers.
    action = models.CharField(max_length=64, blank=True)
    unique_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why the frame was refused or ignored.")
    time = models.DateTimeField(db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        # The station page's log reads one station's newest frames first.
        indexes = [models.Index(fields=["station", "-time"]), models.Index(fields=["action"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_message_type_display() or '?'} {self.action} {self.unique_id}"


class VerifiedCredential(models.Model):
    """A fast keyed digest of a station password the gateway verified against the slow hash (issue 17).

    PBKDF2 costs milliseconds by design; after a node restart thousands of stations log in again at
    once with the credentials they used before. The digest (HMAC-SHA256 under a key derived from
    SECRET_KEY, see ``ocpp_gateway.auth``) covers the stored hash too, so a password change makes it
    stale without any bookkeeping, and a leaked database alone does not allow a fast guess.
    """

    station = models.OneToOneField(Station, on_delete=models.CASCADE, primary_key=True, related_name="verified_credential")
    digest = models.CharField(max_length=64)
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"verified credential of station {self.station_id}"


class QuarantinedRow(models.Model):
    """A row the gateway could not write (the station was deleted meanwhile, a value the database
    refuses), kept here with the error so that it costs no other row and staff can see what it was.

    No foreign key on purpose: a row quarantined because its station is gone must still be stored.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", "message log"
        STATUS = "status", "status notification"
        METER = "meter", "meter values"

    time = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    station_id = models.BigIntegerField(null=True, blank=True)
    station_identity = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=500)
    # The row as JSON text (ASCII, non-finite numbers kept as NaN/Infinity): text, so that any row fits.
    data = models.TextField()

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.station_identity or self.station_id} at {self.time:%Y-%m-%d %H:%M:%S}"


class RefusedIdentity(models.Model):
    """An identity no station has that tried to connect: what an operator needs to add the charger
    (issue 16). One row per identity, bounded in all (REFUSED_IDENTITIES_MAX, the least recently
    seen go first): anyone can knock with millions of made-up identities."""

    identity = models.CharField(max_length=48, unique=True)
    address = models.CharField(max_length=64, help_text="The client address of the latest attempt.")
    attempts = models.PositiveBigIntegerField(default=1)
    first_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_attempt_at"]
        verbose_name = "refused identity"
        verbose_name_plural = "refused identities"

    def __str__(self) -> str:
        return self.identity
