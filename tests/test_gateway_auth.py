"""Who may open a station's websocket: refusals happen at the HTTP upgrade, before any OCPP frame."""
from __future__ import annotations

import asyncio

import pytest

from simulator import basic_auth_header
from tests.raw_station import refused_response, refused_status
from tests.servers import simulated_station, unique_identity

pytestmark = pytest.mark.e2e

VERSIONS = ["1.6", "2.0.1"]
SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "case",
    ["wrong password", "mismatched username", "no header", "not basic"],
)
async def test_bad_credentials_are_refused_with_401_and_recorded_on_the_station(version, case, api, new_station):
    station = new_station("AUTH")
    headers = {
        "wrong password": {"Authorization": basic_auth_header(station.identity, station.password + "x")},
        "mismatched username": {"Authorization": basic_auth_header("someone-else", station.password)},
        "no header": {},
        "not basic": {"Authorization": f"Bearer {station.password}"},
    }[case]

    assert await refused_status(station.connection_url, subprotocol=SUBPROTOCOL[version], headers=headers) == 401

    seen = await api.station_when(station.identity, lambda s: s["last_connection_error"], what="the refusal recorded")
    assert seen["connected"] is False
    assert seen["state"] == "pending"
    assert seen["last_connection_error_at"]
    expected = {
        "wrong password": "wrong password",
        "mismatched username": "username",
        "no header": "no HTTP Basic credentials",
        "not basic": "no HTTP Basic credentials",
    }[case]
    assert expected in seen["last_connection_error"]
    # The attempted password never ends up where an operator (or a log reader) sees it.
    assert station.password not in seen["last_connection_error"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_unknown_identity_is_refused_with_401(version, platform):
    identity = unique_identity("NOPE")
    status = await refused_status(
        platform.ocpp_url + identity, subprotocol=SUBPROTOCOL[version],
        headers={"Authorization": basic_auth_header(identity, "a-password-of-20-chr")},
    )
    assert status == 401
    assert platform.api.get(f"/api/charging_stations/{identity}/").status == 404


async def test_the_right_password_still_works_after_refusals(api, new_station):
    station = new_station("AUTH")
    assert await refused_status(
        station.connection_url, subprotocol="ocpp1.6",
        headers={"Authorization": basic_auth_header(station.identity, "not-the-password-123")},
    ) == 401
    async with simulated_station("1.6", identity=station.identity, password=station.password, url=station.url) as sim:
        assert sim.boot_status == "Accepted"
        assert (await api.station_when(station.identity, lambda s: s["connected"], what="online"))["state"] == "onboarded"


async def test_a_station_offering_both_versions_gets_one(api, new_station):
    station = new_station("PROTO")
    async with simulated_station(
        "2.0.1", identity=station.identity, password=station.password, url=station.url, subprotocols=["ocpp2.0.1", "ocpp1.6"],
    ) as sim:
        assert sim.subprotocol == "ocpp2.0.1"
        seen = await api.station_when(station.identity, lambda s: s["connected"], what="online")
        assert seen["ocpp_version"] == "2.0.1"


async def test_a_replaced_password_stops_working_at_once(api, new_station):
    station = new_station("PWD")
    async with simulated_station("1.6", identity=station.identity, password=station.password, url=station.url) as sim:
        assert sim.boot_status == "Accepted"
    # The old password was verified (and remembered) a moment ago; replacing it must still end it.
    new_password = "a-brand-new-password-42"
    assert await asyncio.to_thread(
        api.patch, f"/api/charging_stations/{station.identity}/", json_body={"password": new_password}, expect=200
    )
    status = await refused_status(
        station.connection_url, subprotocol="ocpp1.6", headers={"Authorization": basic_auth_header(station.identity, station.password)},
    )
    assert status == 401
    async with simulated_station("1.6", identity=station.identity, password=new_password, url=station.url) as sim:
        assert sim.boot_status == "Accepted"
