"""Alert rules and alerts through the API: scoped per network, the signing secret answered once."""
from __future__ import annotations

from django.utils import timezone

from alerts.models import Alert, AlertRule

RULE = {"name": "Faults", "kind": "station_faulted", "email_to": "ops@example.com"}


def test_the_signing_secret_is_answered_once(client, operator_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(operator_a)
    created = client.post("/api/alert_rules/", {**RULE, "network": "Network A"}, content_type="application/json")
    assert created.status_code == 201, created.content
    secret = created.json()["webhook_secret"]
    assert len(secret) == 48 and AlertRule.objects.get().webhook_secret == secret
    shown = client.get(f"/api/alert_rules/{created.json()['id']}/").json()
    assert "webhook_secret" not in shown and secret not in str(client.get("/api/alert_rules/").content)
    tested = client.post(f"/api/alert_rules/{created.json()['id']}/test/")
    assert tested.status_code == 200 and tested.json()[0]["status"] == "sent"


def test_members_see_only_their_networks_rules_and_alerts(client, operator_a, operator_b, network_a, network_b, account_admin):
    mine = AlertRule.objects.create(network=network_a, **RULE)
    theirs = AlertRule.objects.create(network=network_b, **RULE)
    account = AlertRule.objects.create(network=None, name="Unknown", kind="unknown_station", email_to="a@example.com")
    for rule in (mine, theirs, account):
        Alert.objects.create(rule=rule, network=rule.network, key="k", kind=rule.kind, title=f"alert {rule.pk}", occurred_at=timezone.now())
    client.force_login(operator_a)
    assert [r["id"] for r in client.get("/api/alert_rules/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/alert_rules/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/alert_rules/{theirs.pk}/test/").status_code == 404
    assert [a["title"] for a in client.get("/api/alerts/").json()["results"]] == [f"alert {mine.pk}"]
    client.force_login(account_admin)
    assert len(client.get("/api/alerts/").json()["results"]) == 3


def test_account_wide_rules_are_for_account_admins(client, operator_a, account_admin):
    client.force_login(operator_a)
    refused = client.post("/api/alert_rules/", {**RULE, "network": None}, content_type="application/json")
    assert refused.status_code == 400 and "account admins" in refused.json()["network"][0]
    wrong_kind = client.post("/api/alert_rules/", {**RULE, "network": "Network A", "kind": "unknown_station"}, content_type="application/json")
    assert wrong_kind.status_code == 400 and "account-wide" in wrong_kind.json()["network"][0]
    client.force_login(account_admin)
    made = client.post("/api/alert_rules/", {**RULE, "kind": "unknown_station"}, content_type="application/json")
    assert made.status_code == 201, made.content


def test_a_viewer_cannot_create_or_test(client, viewer_a, network_a):
    rule = AlertRule.objects.create(network=network_a, **RULE)
    client.force_login(viewer_a)
    assert client.post("/api/alert_rules/", {**RULE, "network": "Network A"}, content_type="application/json").status_code == 403
    assert client.post(f"/api/alert_rules/{rule.pk}/test/").status_code == 403
