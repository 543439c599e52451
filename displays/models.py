"""The messages a station shows its users (OCPP 2.0.1 O01-O06), as last known to the platform."""
from __future__ import annotations

from django.db import models

from stations.models import Station, StationScopedQuerySet

#: MessagePriorityEnumType.
PRIORITIES = ["AlwaysFront", "InFront", "NormalCycle"]
#: MessageStateEnumType.
STATES = ["Charging", "Faulted", "Idle", "Unavailable"]
#: MessageFormatEnumType.
FORMATS = ["ASCII", "HTML", "URI", "UTF8"]


class DisplayMessage(models.Model):
    """One MessageInfoType: set by the platform (SetDisplayMessage accepted) or reported by the station
    (NotifyDisplayMessages). Keyed by the station's message id: setting an id again replaces it (O06)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="display_messages")
    message_id = models.PositiveIntegerField()
    priority = models.CharField(max_length=12)
    state = models.CharField(max_length=12, blank=True, help_text="Shown only in this station state; empty for always.")
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=36, blank=True, help_text="Shown only during this transaction.")
    content = models.TextField()
    message_format = models.CharField(max_length=5)
    language = models.CharField(max_length=8, blank=True)
    display_component = models.CharField(max_length=50, blank=True)
    display_component_instance = models.CharField(max_length=50, blank=True)
    #: "set" (SetDisplayMessage accepted) or "report" (NotifyDisplayMessages).
    source = models.CharField(max_length=10)
    report_request_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "message_id"]
        constraints = [models.UniqueConstraint(fields=["station", "message_id"], name="display_message_unique_per_station")]

    def __str__(self) -> str:
        return f"{self.station_id}#{self.message_id} {self.priority}: {self.content[:40]}"
