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


async def test_a_handshake_its_station_gave_up_on_does_not_take_the_live_connection_away(api, new_station):
    """A reconnect storm: the station timed out a slow handshake and connected again; the node
    serves the abandoned handshake last. That dead socket must not close the live one."""
    import base64
    from urllib.parse import urlsplit

    station = new_station("STALE")
    async with simulated_station("1.6", identity=station.identity, password=station.password, url=station.url) as live:
        await api.station_when(station.identity, lambda s: s["connected"], what="online")
        url = urlsplit(station.url)
        credentials = base64.b64encode(f"{station.identity}:{station.password}".encode()).decode()
        _reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writer.write(
            (
                f"GET {url.path}{station.identity} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic {credentials}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        writer.close()  # gave up before the answer
        await asyncio.sleep(3)
        assert live.is_connected
        assert await live.heartbeat()
        seen = await api.station_when(station.identity, lambda s: s["connected"], what="still online")
        assert seen["connected"]
