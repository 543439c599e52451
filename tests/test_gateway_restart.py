"""A platform process killed outright leaves no station falsely "connected" once it is started again."""
from __future__ import annotations

import signal

import pytest

from simulator import make_station

pytestmark = pytest.mark.e2e


async def test_stations_of_a_killed_process_show_offline_after_restart(make_platform):
    platform = make_platform()
    network = platform.api.ensure_network("E2E")["name"]
    platform.api.create_station(identity="KILLED-1", password="restart-password-01", network=network)
    station = make_station("1.6", identity="KILLED-1", password="restart-password-01", url=platform.ocpp_url)
    await station.connect()
    await station.boot()
    await platform.api.station_when("KILLED-1", lambda s: s["connected"], what="connected")

    daphne = platform.daphnes[0]
    daphne.process.signal(signal.SIGKILL)  # no clean shutdown: nothing marks the station offline
    daphne.process.popen.wait(timeout=10)
    # The station stays away while the platform restarts, so "connected" can only be the stale flag.
    await station.disconnect()
    daphne.start()

    seen = platform.api.station("KILLED-1")
    assert seen["connected"] is False
    assert seen["state"] == "onboarded" and seen["last_seen"] is not None
