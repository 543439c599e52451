from __future__ import annotations

from django.db.models import QuerySet

from alerts.models import Alert, AlertRule


def alerts_visible(*, user, network) -> QuerySet[Alert]:
    """The alerts a user may read, narrowed to the selected network (account-wide ones only when none is)."""
    alerts = Alert.objects.for_user(user).select_related("station", "rule", "network").prefetch_related("deliveries")
    return alerts if network is None else alerts.filter(network=network)


def rules_visible(*, user, network, write: bool = False) -> QuerySet[AlertRule]:
    rules = AlertRule.objects.for_user(user, write=write).select_related("network")
    return rules if network is None else rules.filter(network=network)
