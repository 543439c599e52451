"""Remote actions as records: one Command per action an operator sends to a station."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from stations.models import Station, StationScopedQuerySet


class CommandAction(models.TextChoices):
    RESET = "reset", "Reset"
    UNLOCK_CONNECTOR = "unlock_connector", "Unlock connector"
    CHANGE_CONFIGURATION = "change_configuration", "Change configuration"
    TRIGGER_MESSAGE = "trigger_message", "Trigger message"
    REMOTE_START = "remote_start", "Remote start"
    REMOTE_STOP = "remote_stop", "Remote stop"
    CHANGE_AVAILABILITY = "change_availability", "Change availability"
    CLEAR_CACHE = "clear_cache", "Clear cache"
    # Created by the firmware app (firmware.dispatch) with its own form and payloads, not by ACTION_FORMS.
    UPDATE_FIRMWARE = "update_firmware", "Update firmware"


class CommandStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    STATION_OFFLINE = "station_offline", "Station offline"


FINAL_STATUSES = (
    CommandStatus.ACCEPTED,
    CommandStatus.REJECTED,
    CommandStatus.FAILED,
    CommandStatus.TIMED_OUT,
    CommandStatus.STATION_OFFLINE,
)


class CommandQuerySet(StationScopedQuerySet):
    def final(self):
        return self.filter(status__in=FINAL_STATUSES)

    def unfinished(self):
        return self.exclude(status__in=FINAL_STATUSES)

    def waiting_for_idle(self):
        return self.filter(status=CommandStatus.QUEUED, waiting_for_idle=True)


class Command(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(max_length=32, choices=CommandAction.choices)
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when sent from the command line or by the platform itself.",
    )
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.QUEUED)
    result = models.CharField(
        max_length=50, blank=True, help_text="The station's own status word: Accepted, RebootRequired, Unlocked, ..."
    )
    answer = models.JSONField(null=True, blank=True, help_text="The station's answer, as sent.")
    error = models.TextField(blank=True)
    # OCPP 1.6 has no Reset OnIdle: the platform holds the reset until the running session ends.
    waiting_for_idle = models.BooleanField(default=False)
    idle_at = models.DateTimeField(null=True, blank=True, help_text="When the session a held reset waited for ended.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = CommandQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The station page and API list a station's latest commands.
        indexes = [models.Index(fields=["station", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.station.identity} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
