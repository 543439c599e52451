"""Alert rules raise each subject once, deliver by e-mail and signed webhook, and retry with back-off."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.services import alert_rule_test, alerts_run, webhook_signature
from firmware.models import Firmware, FirmwareUpdate
from ocpp_gateway.models import Message, RefusedIdentity
from stations.models import StationFault, StationState


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALERT_RETRY_SECONDS = 30
    settings.ALERT_DELIVERY_ATTEMPTS = 3


def rule(network, kind, **fields) -> AlertRule:
    fields.setdefault("email_to", "ops@example.com")
    return AlertRule.objects.create(network=network, name=f"{kind} rule", kind=kind, **fields)


def fault(station, **fields) -> StationFault:
    return StationFault.objects.create(
        station=station, evse_id=1, connector_id=1, status="Faulted", error_code="GroundFailure",
        started_at=timezone.now(), **fields,
    )


def test_a_fault_alerts_once_by_email_and_only_the_rules_network(station_a, station_b, network_a):
    old = fault(station_a)  # before the rule: history, not news
    faulted = rule(network_a, "station_faulted")
    new = fault(station_a, error_info="Ground fault detected")
    fault(station_b)  # another network's station
    assert alerts_run() == {"raised": 1, "sent": 1, "failed": 0}
    assert alerts_run()["raised"] == 0
    [alert] = Alert.objects.filter(rule=faulted)
    assert alert.title == "CP-A-1 EVSE 1/1: Faulted GroundFailure" and alert.station == station_a
    assert alert.key == f"fault:{new.pk}" != f"fault:{old.pk}"
    [message] = mail.outbox
    assert message.to == ["ops@example.com"] and message.subject == "[Network A] CP-A-1 EVSE 1/1: Faulted GroundFailure"
    assert "Ground fault detected" in message.body


def test_offline_for_more_than_n_minutes_once_per_outage(station_a, network_a):
    offline = rule(network_a, "station_offline", offline_minutes=10)
    AlertRule.objects.filter(pk=offline.pk).update(created_at=timezone.now() - timedelta(hours=1))
    station_a.state, station_a.connected = StationState.ONBOARDED, False
    station_a.last_seen = timezone.now() - timedelta(minutes=5)
    station_a.save()
    assert alerts_run()["raised"] == 0  # 5 minutes: not yet
    station_a.last_seen = timezone.now() - timedelta(minutes=11)
    station_a.save()
    assert alerts_run()["raised"] == 1
    assert alerts_run()["raised"] == 0  # the same outage
    assert Alert.objects.get().title == "CP-A-1 offline for more than 10 min"


def test_boot_rejected_from_the_message_log(station_a, network_a):
    rejected = rule(network_a, "boot_rejected")
    for status in ("Accepted", "Rejected"):
        Message.objects.create(station=station_a, direction="out", message_type=3, action="BootNotification",
                               unique_id=status, payload={"status": status}, time=timezone.now())
    assert alerts_run()["raised"] == 1
    assert Alert.objects.get(rule=rejected).title == "CP-A-1: boot rejected"


def test_firmware_failed(station_a, network_a):
    failed = rule(network_a, "firmware_failed")
    firmware = Firmware.objects.create(network=network_a, vendor="V", model="M", version="2.0", file="f.bin", size=1, sha256="0" * 64)
    FirmwareUpdate.objects.create(station=station_a, firmware=firmware, status="DownloadFailed", status_at=timezone.now(),
                                  retrieve_at=timezone.now(), link_max_age=60, link_expires_at=timezone.now())
    assert alerts_run()["raised"] == 1
    assert "firmware update" in Alert.objects.get(rule=failed).title


def test_unknown_stations_are_account_wide(network_a, account_admin):
    with pytest.raises(ValidationError):
        AlertRule(network=network_a, name="x", kind="unknown_station", email_to="a@example.com").clean()
    unknown = rule(None, "unknown_station")
    RefusedIdentity.objects.create(identity="STRANGER-1", address="10.0.0.9", attempts=3,
                                   first_attempt_at=timezone.now(), last_attempt_at=timezone.now())
    assert alerts_run()["raised"] == 1
    alert = Alert.objects.get(rule=unknown)
    assert alert.title == "Unknown station STRANGER-1 tried to connect" and alert.network is None
    assert mail.outbox[0].subject.startswith("[Account] ")


def test_a_webhook_is_signed_and_retried_with_back_off(station_a, network_a, receiver):
    hook = rule(network_a, "station_faulted", email_to="", webhook_url=receiver.url)
    receiver.answers = [500]
    fault(station_a)
    assert alerts_run() == {"raised": 1, "sent": 0, "failed": 0}
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    assert alerts_run()["sent"] == 0  # not due yet
    assert alerts_run(now=timezone.now() + timedelta(seconds=31))["sent"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)

    request = receiver.requests[-1]
    headers = request["headers"]
    expected = "sha256=" + hmac.new(hook.webhook_secret.encode(), headers["X-Switch-Timestamp"].encode() + b"." + request["body"],
                                    hashlib.sha256).hexdigest()
    assert headers["X-Switch-Signature"] == expected == webhook_signature(hook.webhook_secret, headers["X-Switch-Timestamp"], request["body"])
    assert headers["X-Switch-Event"] == "station_faulted"
    assert request["json"]["station"] == "CP-A-1" and request["json"]["network"] == "Network A"


def test_a_delivery_that_keeps_failing_is_marked_failed(station_a, network_a, receiver):
    rule(network_a, "station_faulted", email_to="", webhook_url=receiver.url)
    receiver.answers = [503, 503, 503]
    fault(station_a)
    later = timezone.now() + timedelta(seconds=1)
    for _ in range(3):
        alerts_run(now=later)
        later += timedelta(hours=1)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)


def test_the_test_button_delivers_at_once(network_a, receiver):
    hook = rule(network_a, "station_faulted", webhook_url=receiver.url)
    deliveries = alert_rule_test(hook)
    assert sorted((d.channel, d.status) for d in deliveries) == [("email", "sent"), ("webhook", "sent")]
    assert receiver.requests[0]["json"]["test"] is True
    assert mail.outbox[0].subject.startswith("[Network A] Test alert")


def test_a_rule_needs_somewhere_to_deliver(network_a):
    with pytest.raises(ValidationError) as caught:
        AlertRule(network=network_a, name="x", kind="station_faulted", email_to="not-an-address").clean()
    assert "email_to" in caught.value.message_dict
