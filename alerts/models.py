"""Alerts (issue 16): per-network rules, the alerts they raised (the console's notification list),
and each delivery by e-mail or signed webhook with its attempts.

Rules are evaluated by a periodic task over what the platform already stores (fault records, station
presence, the message log, firmware updates, refused identities), so no station frame pays for them.
"""
from __future__ import annotations

import secrets

from django.db import models

from networks.models import Network
from networks.querysets import NetworkScopedQuerySet
from stations.models import Station


class AlertKind(models.TextChoices):
    STATION_FAULTED = "station_faulted", "Station faulted"
    STATION_OFFLINE = "station_offline", "Station offline for more than N minutes"
    BOOT_REJECTED = "boot_rejected", "Boot rejected"
    FIRMWARE_FAILED = "firmware_failed", "Firmware update failed"
    UNKNOWN_STATION = "unknown_station", "Unknown station tried to connect"


class AlertRuleQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"


def webhook_secret_new() -> str:
    return secrets.token_hex(24)


class AlertRule(models.Model):
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules",
        help_text="Empty: account-wide (account admins); unknown stations belong to no network.",
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    offline_minutes = models.PositiveIntegerField(
        default=10, help_text="Station offline: minutes without a connection before the alert."
    )
    email_to = models.TextField("e-mail to", blank=True, help_text="Addresses, separated by commas.")
    webhook_url = models.URLField("webhook URL", blank=True, max_length=500)
    # Signs each webhook body (HMAC-SHA256); shown once when the rule is created, never again.
    webhook_secret = models.CharField(max_length=100, default=webhook_secret_new, editable=False)
    active = models.BooleanField(default=True)
    # Where the evaluator has read up to in each source (alerts.services): a new rule starts at the
    # present, so creating one does not alert on history.
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from alerts.services import alert_rule_validate

        alert_rule_validate(self)

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.cursor:
            from alerts.services import rule_cursor_start

            self.cursor = rule_cursor_start()
        super().save(*args, **kwargs)

    @property
    def email_addresses(self) -> list[str]:
        return [a.strip() for a in self.email_to.replace(";", ",").split(",") if a.strip()]


class AlertQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"


class Alert(models.Model):
    """One thing a rule saw: a line in the console's notification list, delivered once per channel."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    station = models.ForeignKey(Station, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    # What the alert is about, so a rule raises it once (a fault record, an outage, a refused identity).
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    test = models.BooleanField(default=False, help_text="Sent with the rule's test button.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "key"], name="one_alert_per_rule_and_subject")]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class AlertDeliveryQuerySet(NetworkScopedQuerySet):
    network_field = "alert__network_id"


class AlertDelivery(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=[("email", "E-mail"), ("webhook", "Webhook")])
    target = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
