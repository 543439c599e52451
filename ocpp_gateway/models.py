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

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="messages")
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
