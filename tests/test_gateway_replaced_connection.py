"""A station reconnects before its old socket timed out: the newer connection wins."""
from __future__ import annotations

import asyncio

import pytest

from tests.servers import simulated_station

pytestmark = pytest.mark.e2e

CLOSE_REPLACED = 4000


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_new_connection_closes_the_old_one_and_the_station_stays_online(version, api, new_station):
    station = new_station("DUP")
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url) as old:
        await api.station_when(station.identity, lambda s: s["connected"], what="online")
        async with simulated_station(version, identity=station.identity, password=station.password, url=station.url) as new:
            # The older socket is closed by the platform, with an application close code.
            code = await old.wait_closed(timeout=10)
            assert code == CLOSE_REPLACED
            assert new.is_connected
            assert await new.heartbeat()
            # The old socket's disconnect must not mark the station offline.
            await asyncio.sleep(0.5)
            seen = await api.station_when(station.identity, lambda s: s["connected"], what="online on the new socket")
            assert seen["state"] == "onboarded"
            assert await new.heartbeat()
        await api.station_when(station.identity, lambda s: not s["connected"], what="offline once the new socket closed")
