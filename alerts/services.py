"""Alert rules evaluated over what the platform stores, and their delivery by e-mail and webhook.

``alerts_run`` (a beat task every ALERTS_EVALUATE_SECONDS, in the worker or in serve's embedded
runner) raises each rule's new alerts, once per subject, and sends the deliveries that are due:
a failed one is retried with a doubling back-off until ALERT_DELIVERY_ATTEMPTS, then marked failed.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from alerts.models import Alert, AlertDelivery, AlertKind, AlertRule, DeliveryStatus
from firmware.models import FAILED_STATUSES, FirmwareUpdate
from ocpp_gateway.models import Message, RefusedIdentity
from stations.models import Station, StationFault, StationState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    detail: str
    occurred_at: datetime
    station_id: int | None = None
    network_id: int | None = None


# --- rules -----------------------------------------------------------------------------------------


def alert_rule_validate(rule: AlertRule) -> None:
    """The rule's own consistency, for every surface that saves one."""
    errors = {}
    if rule.kind == AlertKind.UNKNOWN_STATION and rule.network_id is not None:
        errors["network"] = "An unknown station belongs to no network: make this rule account-wide (no network)."
    if not rule.email_addresses and not rule.webhook_url:
        errors["email_to"] = "Give e-mail addresses, a webhook URL, or both."
    for address in rule.email_addresses:
        from django.core.validators import validate_email

        try:
            validate_email(address)
        except ValidationError:
            errors["email_to"] = f"Not an e-mail address: {address!r}."
    if errors:
        raise ValidationError(errors)


def rule_cursor_start() -> dict[str, int]:
    """The present, in each source read by id, so a new rule does not alert on history."""
    return {
        "fault": StationFault.objects.aggregate(m=Max("pk"))["m"] or 0,
        "message": Message.objects.aggregate(m=Max("pk"))["m"] or 0,
    }


def _stations(rule: AlertRule):
    stations = Station.objects.all()
    return stations if rule.network_id is None else stations.filter(network_id=rule.network_id)


def _faulted(rule: AlertRule, now: datetime) -> list[Finding]:
    faults = (
        StationFault.objects.filter(pk__gt=rule.cursor.get("fault", 0), station__in=_stations(rule))
        .select_related("station")
        .order_by("pk")[:500]
    )
    findings = []
    for fault in faults:
        where = f"EVSE {fault.evse_id}" + (f"/{fault.connector_id}" if fault.connector_id else "")
        what = " ".join(x for x in (fault.status, fault.error_code) if x)
        findings.append(Finding(
            key=f"fault:{fault.pk}", title=f"{fault.station.identity} {where}: {what}",
            detail=fault.error_info or fault.vendor_error_code, occurred_at=fault.started_at,
            station_id=fault.station_id, network_id=fault.station.network_id,
        ))
        rule.cursor["fault"] = fault.pk
    return findings


def _offline(rule: AlertRule, now: datetime) -> list[Finding]:
    limit = timedelta(minutes=rule.offline_minutes)
    stations = _stations(rule).filter(
        state=StationState.ONBOARDED, connected=False, last_seen__lt=now - limit,
        # Offline since before the rule existed: not news (the rule would alert on history).
        last_seen__gte=rule.created_at - limit,
    )
    return [
        Finding(
            key=f"offline:{s.pk}:{s.last_seen.isoformat()}", title=f"{s.identity} offline for more than {rule.offline_minutes} min",
            detail=f"Last seen {s.last_seen:%Y-%m-%d %H:%M:%S} UTC.", occurred_at=s.last_seen + limit,
            station_id=s.pk, network_id=s.network_id,
        )
        for s in stations[:500]
    ]


def _boot_rejected(rule: AlertRule, now: datetime) -> list[Finding]:
    answers = (
        Message.objects.filter(
            pk__gt=rule.cursor.get("message", 0), action="BootNotification", message_type=Message.Type.CALLRESULT,
            direction=Message.Direction.OUT, station__in=_stations(rule),
        )
        .select_related("station")
        .order_by("pk")[:500]
    )
    findings = []
    for answer in answers:
        rule.cursor["message"] = answer.pk
        if (answer.payload or {}).get("status") != "Rejected":
            continue
        findings.append(Finding(
            key=f"boot:{answer.pk}", title=f"{answer.station.identity}: boot rejected",
            detail="The station is disabled (rejected) on the platform.", occurred_at=answer.time,
            station_id=answer.station_id, network_id=answer.station.network_id,
        ))
    return findings


def _firmware_failed(rule: AlertRule, now: datetime) -> list[Finding]:
    since = max(rule.created_at, now - timedelta(days=1))
    updates = FirmwareUpdate.objects.filter(
        status__in=FAILED_STATUSES, status_at__gte=since, station__in=_stations(rule)
    ).select_related("station", "firmware")[:500]
    return [
        Finding(
            key=f"firmware:{u.pk}:{u.status}", title=f"{u.station.identity}: firmware update {u.get_status_display()}",
            detail=f"{u.firmware} {u.status_info}".strip(), occurred_at=u.status_at,
            station_id=u.station_id, network_id=u.station.network_id,
        )
        for u in updates
    ]


def _unknown_station(rule: AlertRule, now: datetime) -> list[Finding]:
    refused = RefusedIdentity.objects.filter(last_attempt_at__gte=max(rule.created_at, now - timedelta(days=1)))[:500]
    return [
        Finding(
            key=f"unknown:{r.identity}:{r.first_attempt_at.isoformat()}", title=f"Unknown station {r.identity} tried to connect",
            detail=f"From {r.address}, {r.attempts} attempt(s).", occurred_at=r.first_attempt_at,
        )
        for r in refused
    ]


FINDERS = {
    AlertKind.STATION_FAULTED: _faulted,
    AlertKind.STATION_OFFLINE: _offline,
    AlertKind.BOOT_REJECTED: _boot_rejected,
    AlertKind.FIRMWARE_FAILED: _firmware_failed,
    AlertKind.UNKNOWN_STATION: _unknown_station,
}


def rule_evaluate(rule: AlertRule, *, now: datetime | None = None) -> list[Alert]:
    """Raise the rule's new alerts (each subject once) with their deliveries; return them."""
    now = now or timezone.now()
    raised = []
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
        for finding in FINDERS[rule.kind](rule, now):
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        rule=rule, network_id=finding.network_id if rule.network_id is None else rule.network_id,
                        station_id=finding.station_id, key=finding.key[:200], kind=rule.kind, title=finding.title[:300],
                        detail=finding.detail, occurred_at=finding.occurred_at,
                    )
            except IntegrityError:
                continue  # raised before: this subject is not news
            _deliveries_create(alert, rule)
            raised.append(alert)
        AlertRule.objects.filter(pk=rule.pk).update(cursor=rule.cursor)
    return raised


def _deliveries_create(alert: Alert, rule: AlertRule) -> list[AlertDelivery]:
    now = timezone.now()
    rows = [AlertDelivery(alert=alert, channel="email", target=address, next_attempt_at=now) for address in rule.email_addresses]
    if rule.webhook_url:
        rows.append(AlertDelivery(alert=alert, channel="webhook", target=rule.webhook_url, next_attempt_at=now))
    return AlertDelivery.objects.bulk_create(rows)


# --- delivery ------------------------------------------------------------------------------------


class DeliveryError(Exception):
    def __init__(self, message: str, *, response_code: int | None = None) -> None:
        super().__init__(message)
        self.response_code = response_code


def alert_payload(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "title": alert.title,
        "detail": alert.detail,
        "network": alert.network.name if alert.network_id else None,
        "station": alert.station.identity if alert.station_id else None,
        "occurred_at": alert.occurred_at.isoformat().replace("+00:00", "Z"),
        "rule": alert.rule.name,
        "test": alert.test,
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``: the receiver recomputes it with the
    rule's secret and refuses old timestamps, so a captured request cannot be replayed later."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _webhook_send(delivery: AlertDelivery) -> int:
    alert = delivery.alert
    body = json.dumps(alert_payload(alert), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.target, data=body, method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "switch-csms-alerts",
            "X-Switch-Event": alert.kind,
            "X-Switch-Delivery": str(delivery.pk),
            "X-Switch-Timestamp": timestamp,
            "X-Switch-Signature": webhook_signature(alert.rule.webhook_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ALERT_WEBHOOK_TIMEOUT) as response:  # noqa: S310 - the operator's URL
            return response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}", response_code=exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"Not reachable: {getattr(exc, 'reason', exc)}") from None


def _email_send(delivery: AlertDelivery) -> None:
    alert = delivery.alert
    lines = [alert.title, "", alert.detail, "", f"When: {alert.occurred_at:%Y-%m-%d %H:%M:%S} UTC", f"Rule: {alert.rule.name}"]
    try:
        send_mail(
            subject=f"[{alert.network.name if alert.network_id else 'Account'}] {alert.title}"[:200],
            message="\n".join(lines), from_email=None, recipient_list=[delivery.target],
        )
    except Exception as exc:  # noqa: BLE001 - any backend's failure is this delivery's failure
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def delivery_attempt(delivery_id: int) -> AlertDelivery:
    """Send one delivery now; on failure schedule the next attempt (doubling back-off) or give up."""
    delivery = AlertDelivery.objects.select_related("alert__rule", "alert__network", "alert__station").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.PENDING:
        return delivery
    delivery.attempts += 1
    now = timezone.now()
    try:
        if delivery.channel == "webhook":
            delivery.response_code = _webhook_send(delivery)
        else:
            _email_send(delivery)
    except DeliveryError as exc:
        delivery.last_error = str(exc)[:500]
        delivery.response_code = exc.response_code
        if delivery.attempts >= settings.ALERT_DELIVERY_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delay = settings.ALERT_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    else:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at, delivery.last_error = (
            DeliveryStatus.SENT, now, None, "")
    delivery.save(update_fields=["attempts", "status", "response_code", "last_error", "next_attempt_at", "delivered_at"])
    return delivery


def deliveries_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        AlertDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )


def alerts_run(*, now: datetime | None = None) -> dict[str, int]:
    """Evaluate every active rule, then send what is due (new deliveries and retries)."""
    raised = 0
    for rule in AlertRule.objects.filter(active=True):
        try:
            raised += len(rule_evaluate(rule, now=now))
        except Exception:  # noqa: BLE001 - one broken rule must not silence the others
            logger.exception("Alert rule %s failed", rule.pk)
    sent = failed = 0
    for delivery_id in deliveries_due(now=now):
        delivery = delivery_attempt(delivery_id)
        sent += delivery.status == DeliveryStatus.SENT
        failed += delivery.status == DeliveryStatus.FAILED
    return {"raised": raised, "sent": sent, "failed": failed}


def alert_rule_test(rule: AlertRule) -> list[AlertDelivery]:
    """The rule's test button: a test alert delivered at once through each of its channels."""
    alert = Alert.objects.create(
        rule=rule, network_id=rule.network_id, key=f"test:{uuid.uuid4().hex}", kind=rule.kind, test=True,
        title=f"Test alert from rule {rule.name!r}", detail="Sent with the test button; nothing happened.",
        occurred_at=timezone.now(),
    )
    return [delivery_attempt(d.pk) for d in _deliveries_create(alert, rule)]
