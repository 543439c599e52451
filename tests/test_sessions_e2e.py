"""A simulated station charges over a live daphne; the operator finds the session, its energy and
its CSV through the API, and a background export runs on a real Celery worker over Redis."""
from __future__ import annotations

import csv
import io
import time

import pytest

from tests.servers import MANAGE, PYTHON, ServerProcess, wait_for

pytestmark = pytest.mark.e2e


def run_simulator(platform, station, version: str, *, kwh: float) -> ServerProcess:
    """`manage.py simulate_station --charge-kwh`: connects, boots, charges once, then idles."""
    return ServerProcess(
        f"simulator-{station.identity}",
        [
            PYTHON, MANAGE, "simulate_station", station.identity,
            f"--password={station.password}", "--url", station.url, "--ocpp", version,
            "--charge-kwh", str(kwh), "--meter-interval", "0.2",
        ],
        env=platform.env,
        log_dir=platform.root,
    ).start()


def completed_session(api, identity: str, *, timeout: float = 30.0) -> dict:
    def check():
        rows = api.get("/api/sessions/", params={"station": identity, "status": "completed"}, expect=200).json()["results"]
        return rows[0] if rows else None

    return wait_for(check, timeout=timeout, interval=0.5, what=f"a completed session of {identity}")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_simulated_session_appears_in_the_api_with_its_energy(version, platform, api, new_station):
    station = new_station("SES")
    simulator = run_simulator(platform, station, version, kwh=2.5)
    try:
        session = completed_session(api, station.identity)
    finally:
        simulator.stop()

    assert session["ocpp_version"] == version
    assert session["network"] == station.network
    assert session["evse_id"] == 1
    assert session["energy_kwh"] == 2.5
    assert session["peak_power_kw"] == 11.0  # the simulator's power
    assert session["id_token"]
    assert session["authorization_status"] == "Accepted"
    assert session["stop_reason"]
    assert session["duration_s"] is not None and session["duration_s"] >= 0
    assert len(api.get(f"/api/sessions/{session['id']}/samples/", expect=200).json()) >= 5

    # The same session in the CSV, streamed by daphne.
    response = api.get(
        "/api/sessions/", params={"station": station.identity, "format": "csv"}, headers={"Accept": "application/json"}, expect=200
    )
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["session_id"], r["energy_kwh"], r["status"]) for r in rows] == [(str(session["id"]), "2.500", "completed")]


def test_a_background_export_runs_on_a_celery_worker(redis_platform, new_station):
    redis_platform.ensure_worker()
    api = redis_platform.api
    station = new_station("EXP", target=redis_platform)
    simulator = run_simulator(redis_platform, station, "1.6", kwh=1.2)
    try:
        session = completed_session(api, station.identity)
    finally:
        simulator.stop()

    created = api.post("/api/sessions/exports/", json_body={"station": station.identity}, expect=202).json()

    def done():
        export = api.get(f"/api/sessions/exports/{created['id']}/", expect=200).json()
        return export if export["status"] in ("done", "failed") else None

    export = wait_for(done, timeout=30, interval=0.3, what="the export to finish")
    assert export["status"] == "done", export
    assert (export["row_count"], export["progress"]) == (1, 100)
    body = api.get(export["download_url"], expect=200).text
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["session_id"], r["energy_kwh"]) for r in rows] == [(str(session["id"]), "1.200")]


async def test_a_201_station_replaying_its_offline_queue_out_of_order_makes_one_session(api, new_station):
    from ocpp.v201 import call

    from tests.servers import simulated_station

    station = new_station("OFQ")

    def event(event_type: str, seq_no: int, minute: int, wh: int, **extra):
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=f"2026-11-02T08:{minute:02d}:00Z",
            trigger_reason=extra.pop("trigger_reason", "MeterValuePeriodic"),
            seq_no=seq_no,
            transaction_info={"transaction_id": "OFFLINE-1", **extra.pop("info", {})},
            offline=True,
            meter_value=[{"timestamp": f"2026-11-02T08:{minute:02d}:00Z", "sampled_value": [{"value": wh}]}],
            **extra,
        )

    started = event("Started", 0, 0, 10_000, trigger_reason="Authorized", id_token={"id_token": "QUEUED-1", "type": "ISO14443"}, evse={"id": 1, "connector_id": 1})
    updated = event("Updated", 1, 20, 14_000)
    ended = event("Ended", 2, 40, 17_250, trigger_reason="EVCommunicationLost", info={"stopped_reason": "EVDisconnected"})
    async with simulated_station("2.0.1", identity=station.identity, password=station.password, url=station.url) as sim:
        for payload in [ended, started, updated, ended, started]:
            response = await sim.request(payload)
            if payload.id_token:
                assert response.id_token_info["status"] == "Accepted"

    rows = api.get("/api/sessions/", params={"station": station.identity}, expect=200).json()["results"]
    assert len(rows) == 1
    (session,) = rows
    assert (session["transaction_id"], session["status"], session["energy_kwh"]) == ("OFFLINE-1", "completed", 7.25)
    assert (session["started_at"], session["ended_at"], session["duration_s"]) == ("2026-11-02T08:00:00Z", "2026-11-02T08:40:00Z", 2400)
    assert (session["id_token"], session["evse_id"], session["offline"], session["stop_reason"]) == ("QUEUED-1", 1, True, "EVDisconnected")


async def test_a_16_station_repeating_its_messages_after_a_reconnect_makes_one_session(api, new_station):
    from ocpp.v16 import call

    from tests.servers import simulated_station

    station = new_station("RPL")
    start = call.StartTransaction(connector_id=1, id_tag="CARD-9", meter_start=5_000, timestamp="2026-11-02T09:00:00Z")
    meter = call.MeterValues(
        connector_id=1,
        meter_value=[{"timestamp": "2026-11-02T09:10:00Z", "sampled_value": [
            {"value": "6500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "9000", "measurand": "Power.Active.Import", "unit": "W"},
        ]}],
    )
    ids = []
    for _ in range(2):  # the second connection replays what the station was not sure had arrived
        async with simulated_station("1.6", identity=station.identity, password=station.password, url=station.url) as sim:
            response = await sim.request(start)
            ids.append(response.transaction_id)
            await sim.request(meter)  # without a transactionId: counted for the running session
            stop = call.StopTransaction(meter_stop=8_000, timestamp="2026-11-02T09:30:00Z", transaction_id=response.transaction_id, reason="Local")
            await sim.request(stop)
    assert ids[0] == ids[1]

    rows = api.get("/api/sessions/", params={"station": station.identity}, expect=200).json()["results"]
    assert [(r["transaction_id"], r["energy_kwh"], r["peak_power_kw"], r["status"]) for r in rows] == [(str(ids[0]), 3.0, 9.0, "completed")]
