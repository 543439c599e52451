"""Remote actions as records: one Command per action an operator sends to a station."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from stations.models import Station, StationScopedQuerySet


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
    # A name in commands.registry, validated there: the apps that own actions register them, so
    # there is no fixed list of choices here (a migration per new action would touch commands).
    action = models.CharField(max_length=32)
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
    listener = models.CharField(
        max_length=64, blank=True, help_text="A listener registered with commands.registry: hears this command's outcome."
    )
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

    def get_action_display(self) -> str:
        from commands import registry

        return registry.label(self.action)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from commands import registry

        super().clean()
        try:
            registry.get(self.action)
        except registry.UnknownAction as exc:
            raise ValidationError({"action": str(exc)}) from None

    @property
    def public_parameters(self) -> dict:
        """The parameters as surfaces show them: secrets (the action's ``secret_parameters``) redacted."""
        from commands import registry
        from commands.secrets import parameters_redact

        try:
            secret = registry.get(self.action).secret_parameters
        except registry.UnknownAction:
            secret = ()
        return parameters_redact(self.parameters, secret)
