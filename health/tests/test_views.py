"""/health, /ready and /metrics in-process: who may read the metrics, what /ready reports."""
from __future__ import annotations

import pytest

from health import metrics


def test_health_needs_nothing(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.django_db
def test_ready_checks_the_database_and_the_channel_layer(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert set(checks) == {"database", "channel_layer"}
    assert all(check["ok"] for check in checks.values())


@pytest.mark.django_db
def test_ready_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_ADDRESSES = "s3cret-token", []
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["database"]["ok"] is True
    # The error text may name hosts and ports: only for who may read the metrics.
    assert "detail" not in body["checks"]["broker"]
    detailed = client.get("/ready", HTTP_AUTHORIZATION="Bearer s3cret-token").json()
    assert "Connection" in detailed["checks"]["broker"]["detail"]


def test_metrics_refused_without_token_or_allowed_address(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert client.get("/metrics").status_code == 403


def test_metrics_with_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    metrics.frame_counted(direction="in", message_type=2, action="Heartbeat")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert 'switch_ocpp_frames_total{action="Heartbeat",direction="in",message_type="CALL"' in response.content.decode()


def test_metrics_from_an_allowed_address(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    assert client.get("/metrics").status_code == 200  # the test client's REMOTE_ADDR
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 403


def test_unknown_actions_share_one_label_value():
    metrics.frame_counted(direction="in", message_type=2, action="Totally$Made$Up")
    text = metrics.exposition().decode()
    assert "Totally$Made$Up" not in text and 'action="other"' in text
