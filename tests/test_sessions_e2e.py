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
            "--password", station.password, "--url", station.url, "--ocpp", version,
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
