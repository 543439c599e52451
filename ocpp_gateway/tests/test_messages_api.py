"""/api/messages/: the message log with station, action, type and time filters, JSON and CSV, network-scoped."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from ocpp_gateway.exports import HEADER
from ocpp_gateway.models import Message

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def log(station_a, station_b) -> dict[str, Message]:
    def frame(station, minutes, action, message_type=2, direction="in", payload=None):
        return Message.objects.create(
            station=station, direction=direction, message_type=message_type, action=action, unique_id=f"u{minutes}",
            payload=payload if payload is not None else {}, time=T0 + timedelta(minutes=minutes),
        )

    return {
        "boot": frame(station_a, 0, "BootNotification", payload={"chargePointVendor": "=cmd()"}),
        "boot_result": frame(station_a, 0, "BootNotification", 3, "out", {"status": "Accepted"}),
        "status": frame(station_a, 60, "StatusNotification"),
        "error": frame(station_a, 120, "Heartbeat", 4, "out"),
        "other": frame(station_b, 30, "BootNotification"),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_filters_by_station_action_type_and_time(client, operator_a, log):
    client.force_login(operator_a)
    everything = ids(client.get("/api/messages/"))
    assert everything == [log[k].pk for k in ("error", "status", "boot_result", "boot")]  # newest first, A only
    assert ids(client.get("/api/messages/", {"action": "BootNotification"})) == [log["boot_result"].pk, log["boot"].pk]
    assert ids(client.get("/api/messages/", {"message_type": "CALLERROR"})) == [log["error"].pk]
    assert ids(client.get("/api/messages/", {"station": "CP-A-1", "since": "2026-11-02T08:30:00Z",
                                              "until": "2026-11-02T10:00:00Z"})) == [log["status"].pk]
    assert ids(client.get("/api/messages/", {"station": "CP-B-1"})) == []
    row = client.get("/api/messages/", {"message_type": "CALLERROR"}).json()["results"][0]
    assert row["station"] == "CP-A-1" and row["message_type"] == "CALLERROR" and row["direction"] == "out"
    assert client.get("/api/messages/", {"message_type": "NOPE"}).status_code == 400


def test_csv_is_escaped_and_scoped(client, operator_a, operator_b, log):
    client.force_login(operator_a)
    response = client.get("/api/messages/?format=csv&action=BootNotification")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == HEADER
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [("CP-A-1", "out", "CALLRESULT"), ("CP-A-1", "in", "CALL")]
    assert rows[1][0] == "2026-11-02T08:00:00Z"
    assert rows[2][6] == '{"chargePointVendor":"=cmd()"}'
    client.force_login(operator_b)
    assert ids(client.get("/api/messages/")) == [log["other"].pk]
    assert client.get(f"/api/messages/{log['boot'].pk}/").status_code == 404
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/api/messages/?format=csv").streaming_content).decode())))
    assert [r[1] for r in rows[1:]] == ["CP-B-1"]


def test_anonymous_is_refused(client, log):
    assert client.get("/api/messages/").status_code in (401, 403)


def test_csv_pages_through_more_than_one_fetch(client, operator_a, station_a, monkeypatch):
    from ocpp_gateway import exports

    monkeypatch.setattr(exports, "ROWS_PER_FETCH", 3)
    for i in range(7):
        Message.objects.create(station=station_a, direction="in", message_type=2, action="Heartbeat", unique_id=str(i),
                               payload={}, time=T0 + timedelta(seconds=i // 2))  # ties on time across pages
    client.force_login(operator_a)
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/api/messages/?format=csv").streaming_content).decode())))
    assert sorted(r[5] for r in rows[1:]) == [str(i) for i in range(7)]
