"""/metrics scraped as Prometheus would while simulated stations charge on a live daphne; /health and /ready.

The counters must move: connected stations per version, frames per action, a CALLERROR the platform
answers, a remote command's latency, the batch flushes, a CSV export's duration."""
from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import METRICS_TOKEN
from tests.raw_station import RawStation
from tests.servers import HttpClient, wait_for
from tests.test_sessions_e2e import completed_session, run_simulator

pytestmark = pytest.mark.e2e


def scrape(platform) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics as {(name, labels): value}."""
    response = HttpClient(platform.http_url).get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, expect=200
    )
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def total(samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for (sample, sample_labels), value in samples.items() if sample == name and wanted <= sample_labels)


def test_metrics_move_while_stations_charge(platform, api, new_station):
    client = HttpClient(platform.http_url)
    assert client.get("/metrics", expect=403).status == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, expect=403).status == 403

    before = scrape(platform)
    v16, v201 = new_station("MET"), new_station("MET")
    simulators = [run_simulator(platform, v16, "1.6", kwh=1.0), run_simulator(platform, v201, "2.0.1", kwh=1.0)]
    try:
        completed_session(api, v16.identity)
        completed_session(api, v201.identity)
        # While both are still connected (the simulators idle after their session).
        during = scrape(platform)
        assert total(during, "switch_connected_stations", ocpp_version="1.6") >= total(
            before, "switch_connected_stations", ocpp_version="1.6") + 1
        assert total(during, "switch_connected_stations", ocpp_version="2.0.1") >= total(
            before, "switch_connected_stations", ocpp_version="2.0.1") + 1
        for action in ("BootNotification", "StatusNotification", "MeterValues", "StartTransaction", "TransactionEvent"):
            grown = total(during, "switch_ocpp_frames_total", direction="in", action=action, message_type="CALL") - total(
                before, "switch_ocpp_frames_total", direction="in", action=action, message_type="CALL")
            assert grown >= 1, action
        assert total(during, "switch_ocpp_frames_total", direction="out", action="BootNotification", message_type="CALLRESULT") > total(
            before, "switch_ocpp_frames_total", direction="out", action="BootNotification", message_type="CALLRESULT")
        assert total(during, "switch_batch_flush_seconds_count", buffer="MessageBuffer") > total(
            before, "switch_batch_flush_seconds_count", buffer="MessageBuffer")
        assert total(during, "switch_batch_rows_total", buffer="WriteBuffer") > total(before, "switch_batch_rows_total", buffer="WriteBuffer")

        # A remote command: its latency is observed once the station answers.
        created = api.post(
            f"/api/charging_stations/{v16.identity}/actions/trigger_message/",
            json_body={"requested_message": "Heartbeat"}, expect=(201, 202),
        ).json()
        wait_for(lambda: api.get(f"/api/commands/{created['id']}/", expect=200).json()["final"], timeout=20,
                 what="the trigger_message command to finish")
        after_command = scrape(platform)
        assert total(after_command, "switch_command_seconds_count", action="TriggerMessage", outcome="answered") >= total(
            before, "switch_command_seconds_count", action="TriggerMessage", outcome="answered") + 1

        # An export's duration.
        api.get("/api/charging_stations/", params={"format": "csv"}, expect=200)
        after_export = scrape(platform)
        assert total(after_export, "switch_export_seconds_count", export="stations") >= total(
            before, "switch_export_seconds_count", export="stations") + 1
    finally:
        for simulator in simulators:
            simulator.stop()

    # The platform answers an unknown action with a CALLERROR: counted per action and direction.
    raw = new_station("MET")

    async def unknown_action() -> list:
        station = await RawStation.open(raw.url, raw.identity, raw.password, "1.6")
        try:
            await station.boot()
            return await station.call("NoSuchAction", {})
        finally:
            await station.close()

    errors_before = total(scrape(platform), "switch_ocpp_callerrors_total", direction="out")
    reply = asyncio.run(unknown_action())
    assert reply[0] == 4, reply
    after = scrape(platform)
    assert total(after, "switch_ocpp_callerrors_total", direction="out") >= errors_before + 1
    # Unknown action names never become label values.
    assert not [labels for (name, labels) in after if name == "switch_ocpp_frames_total" and ("action", "NoSuchAction") in labels]


def test_health_and_ready_answer_on_the_live_server(platform):
    client = HttpClient(platform.http_url)
    health = client.get("/health", expect=200).json()
    assert health["status"] == "ok"
    ready = client.get("/ready", expect=200).json()
    assert ready["status"] == "ready"
    assert ready["checks"]["database"]["ok"] and ready["checks"]["channel_layer"]["ok"]
    assert "broker" not in ready["checks"]  # the embedded platform has no broker to check


def test_ready_checks_the_redis_channel_layer_and_the_broker(redis_platform):
    ready = HttpClient(redis_platform.http_url).get("/ready", expect=200).json()
    assert ready["checks"]["channel_layer"]["ok"] is True
    assert ready["checks"]["broker"]["ok"] is True
    assert ready["checks"]["database"]["ok"] is True
