"""`manage.py simulate_station`: the way to watch the platform work, as a process of its own."""
from __future__ import annotations

import signal

import pytest

from tests.servers import MANAGE, PYTHON, ServerProcess, wait_for

pytestmark = pytest.mark.e2e


def start_simulator(platform, station, *args: str) -> ServerProcess:
    process = ServerProcess(
        f"simulate-{station.identity}",
        [PYTHON, MANAGE, "simulate_station", station.identity, f"--password={station.password}", *args],
        env=platform.env,
        log_dir=platform.root,
    )
    return process.start()


def sessions_of(api, identity: str) -> list[dict]:
    return api.get("/api/sessions/", params={"station": identity}, expect=200).json()["results"]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_it_boots_charges_the_energy_asked_for_and_stops_cleanly_on_sigterm(version, platform, api, new_station):
    station = new_station("SIM")
    # No --url: the command uses OCPP_PUBLIC_URL, the address the platform tells operators.
    process = start_simulator(platform, station, "--ocpp", version, "--connectors", "2", "--charge-kwh", "2.5", "--meter-interval", "0.2")
    try:
        session = wait_for(
            lambda: next((s for s in sessions_of(api, station.identity) if s["status"] == "completed"), None),
            timeout=30, what="a completed session", process=process,
        )
        assert session["energy_kwh"] == pytest.approx(2.5)
        assert session["id_token"] == "SIMTAG0001"
        seen = api.station(station.identity)
        assert seen["connected"] and seen["state"] == "onboarded" and seen["ocpp_version"] == version
        assert len([e for e in seen["evses"] if e["evse_id"] > 0]) == 2
    finally:
        process.signal(signal.SIGTERM)
    assert process.popen.wait(20) == 0, process.tail()
    assert f"Station {station.identity} stopped." in process.output()
    wait_for(lambda: not api.station(station.identity)["connected"], timeout=10, what="offline after SIGTERM")
    process.stop()


def test_sigterm_during_a_session_ends_the_session_first(platform, api, new_station):
    station = new_station("SIM")
    # 100 kWh at a meter value per second: still charging when SIGTERM arrives.
    process = start_simulator(platform, station, "--ocpp", "1.6", "--charge-kwh", "100", "--meter-interval", "1")
    try:
        wait_for(lambda: any(s["status"] != "completed" for s in sessions_of(api, station.identity)), timeout=30, what="a session running", process=process)
    finally:
        process.signal(signal.SIGTERM)
    assert process.popen.wait(20) == 0, process.tail()
    process.stop()
    (session,) = sessions_of(api, station.identity)
    assert session["status"] == "completed"
    assert session["stop_reason"] == "Local"
    assert 0 <= session["energy_kwh"] < 100
