"""The platform served by uvicorn (`manage.py serve --server uvicorn`, issue 17) answers stations as
daphne does: logins refused at the upgrade with HTTP 401, a bad frame answered with a CALLERROR on a
socket that stays open and an oversized one closed with 1009, another station served and logged
meanwhile, and an operator's action reaching the station and its answer recorded."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from simulator import basic_auth_header
from tests.conftest import RedisPlatform
from tests.neighbours import neighbour_station
from tests.raw_station import BOOT, SYNTAX, refused_status
from tests.scripted_station import act, final
from tests.servers import RawStation, simulated_station, station_password, unique_identity

pytestmark = pytest.mark.e2e

VERSIONS = ["1.6", "2.0.1"]


@pytest.fixture(scope="module")
def uvicorn_platform(tmp_path_factory) -> Iterator[RedisPlatform]:
    platform = RedisPlatform.create(tmp_path_factory.mktemp("uvicorn"), env={"SERVE_SERVER": "uvicorn"})
    try:
        platform.start_daphne()
        yield platform
    finally:
        platform.stop()


def new_station(platform: RedisPlatform, version: str) -> tuple[str, str]:
    network = platform.api.ensure_network("Uvicorn")["name"]
    identity, password = unique_identity("UV"), station_password()
    platform.api.create_station(identity=identity, password=password, network=network, ocpp_version=version)
    return identity, password


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_wrong_password_is_refused_with_401_before_the_websocket_opens(version, uvicorn_platform):
    identity, _ = new_station(uvicorn_platform, version)
    subprotocol = "ocpp2.0.1" if version == "2.0.1" else "ocpp1.6"
    headers = {"Authorization": basic_auth_header(identity, station_password())}
    assert await refused_status(uvicorn_platform.ocpp_url + identity, subprotocol=subprotocol, headers=headers) == 401
    station = await asyncio.to_thread(uvicorn_platform.api.station, identity)
    assert not station["connected"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_bad_frame_gets_a_callerror_and_the_socket_stays_open(version, uvicorn_platform):
    identity, password = new_station(uvicorn_platform, version)
    async with neighbour_station(uvicorn_platform) as neighbour:
        raw = await RawStation.open(uvicorn_platform.ocpp_url, identity=identity, password=password, ocpp_version=version)
        try:
            reply = await raw.call("BootNotification", BOOT[version])
            assert reply[0] == 3 and reply[2]["status"] == "Accepted", reply
            await raw.send('[2, "bad-1", "Heartbeat", {')
            while (frame := await raw.recv(5))[0] != 4:
                pass  # the platform's own requests after the boot, answered by RawStation
            assert frame[1:3] == ["bad-1", SYNTAX[version]], frame
            reply = await raw.call("Heartbeat", {})
            assert reply[0] == 3 and "currentTime" in reply[2], reply
        finally:
            await raw.close()
        # Another station's heartbeat answered and both its frames in its message log.
        await neighbour.assert_served()


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_operators_action_reaches_the_station_and_its_answer_is_recorded(version, uvicorn_platform):
    identity, password = new_station(uvicorn_platform, version)
    api = uvicorn_platform.api
    async with simulated_station(version, identity=identity, password=password, url=uvicorn_platform.ocpp_url) as sim:
        assert await sim.heartbeat()
        sent = await act(api, identity, "trigger_message", requested_message="Heartbeat")
        done = await final(api, sent["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        await sim.wait_for_request("TriggerMessage")
    rows = await asyncio.to_thread(api.results, "/api/messages/", station=identity)
    actions = {row["action"] for row in rows}
    assert {"BootNotification", "Heartbeat", "TriggerMessage"} <= actions


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_oversized_frame_closes_with_1009_and_a_note_and_the_neighbour_is_served(version, uvicorn_platform):
    identity, password = new_station(uvicorn_platform, version)
    async with neighbour_station(uvicorn_platform) as neighbour:
        raw = await RawStation.open(uvicorn_platform.ocpp_url, identity=identity, password=password, ocpp_version=version)
        reply = await raw.call("BootNotification", BOOT[version])
        assert reply[0] == 3, reply
        await raw.send(json.dumps([2, "big-1", "DataTransfer", {"vendorId": "RawCo", "data": "x" * 100_000}]))
        with pytest.raises(ConnectionClosed):
            while True:
                await raw.recv(10)
        assert raw.websocket.close_code == 1009, (raw.websocket.close_code, raw.websocket.close_reason)
        seen = await uvicorn_platform.api.station_when(
            identity, lambda s: "1009" in (s["last_connection_error"] or ""), what="the note"
        )
        assert "65536" in seen["last_connection_error"]
        await neighbour.assert_served()
