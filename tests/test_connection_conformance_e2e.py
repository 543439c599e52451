"""Connection conformance (2.0.1 A00/B, OCTT 1.6 security): the named OCA cases, at the HTTP upgrade.

tests/test_gateway_auth.py and tests/test_gateway_transport.py cover these behaviours broadly; this
module holds one test per test case, following its steps: TC_A_02, TC_A_03, 1.6 TC_085 (a refused
login is 401), TC_B_58 / 1.6 TC_088 (no common subprotocol: no 101), a supported subprotocol among
unsupported ones, and 1.6 TC_073 (the new AuthorizationKey, logged in with as its hex text).
"""
from __future__ import annotations

import asyncio
import json
import secrets
import string

import pytest
from websockets.exceptions import InvalidStatus

from simulator import basic_auth_header, open_websocket
from tests.scripted_station import ScriptedStation
from tests.servers import wait_for

pytestmark = pytest.mark.e2e

SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
BOOT = {
    "1.6": {"chargePointVendor": "E2E", "chargePointModel": "Conn"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "E2E", "model": "Conn"}},
}


async def upgrade_refused(url: str, *, subprotocols: list[str], authorization: str | None):
    headers = {"Authorization": authorization} if authorization else {}
    with pytest.raises(InvalidStatus) as refused:
        websocket = await open_websocket(url, subprotocols=subprotocols, headers=headers)
        await websocket.close()
    return refused.value.response


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="OCPP", charset="UTF-8"'


async def assert_refusal_recorded(api, identity: str, words: str) -> None:
    seen = await api.station_when(identity, lambda s: s["last_connection_error"], what="the refusal recorded")
    assert words in seen["last_connection_error"]
    assert seen["connected"] is False and seen["state"] == "pending"


async def test_TC_A_02_a_username_that_is_not_the_station_id_is_refused_with_401(api, new_station):
    row = new_station("A02")
    # Step 1: Basic <Base64(<ChargingStationId>Invalid:<basicAuthPassword>)>, the right password.
    response = await upgrade_refused(
        row.connection_url, subprotocols=["ocpp2.0.1"], authorization=basic_auth_header(f"{row.identity}Invalid", row.password)
    )
    assert_401(response)  # step 2
    await assert_refusal_recorded(api, row.identity, "username")


async def test_TC_A_03_an_invalid_password_is_refused_with_401(api, new_station):
    row = new_station("A03")
    alphabet = string.ascii_letters + string.digits + "*-_=:+|@."
    random_password = "".join(secrets.choice(alphabet) for _ in range(32))
    response = await upgrade_refused(
        row.connection_url, subprotocols=["ocpp2.0.1"], authorization=basic_auth_header(row.identity, random_password)
    )
    assert_401(response)
    await assert_refusal_recorded(api, row.identity, "wrong password")
    assert random_password not in (await asyncio.to_thread(api.station, row.identity))["last_connection_error"]


@pytest.mark.parametrize("case", ["wrong password", "no credentials"])
async def test_TC_085_16_basic_authentication_refused_with_401(case, api, new_station):
    row = new_station("T085")
    authorization = basic_auth_header(row.identity, "not-the-password-085") if case == "wrong password" else None
    assert_401(await upgrade_refused(row.connection_url, subprotocols=["ocpp1.6"], authorization=authorization))
    await assert_refusal_recorded(api, row.identity, "wrong password" if case == "wrong password" else "no HTTP Basic credentials")


@pytest.mark.parametrize(("case", "offered"), [("TC_B_58", ["ocpp2.1", "ocpp1.5"]), ("TC_088", ["ocpp1.2"])])
async def test_TC_B_58_and_TC_088_no_supported_subprotocol_gets_no_101(case, offered, api, new_station):
    row = new_station("B58")
    response = await upgrade_refused(
        row.connection_url, subprotocols=offered, authorization=basic_auth_header(row.identity, row.password)
    )
    assert response.status_code == 400
    assert "Sec-WebSocket-Protocol" not in response.headers
    await assert_refusal_recorded(api, row.identity, "No supported OCPP subprotocol offered")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_supported_subprotocol_among_unsupported_ones_is_selected(version, api, new_station):
    row = new_station("PICK")
    offered = ["ocpp2.1", SUBPROTOCOL[version], "ocpp1.5"]
    websocket = await open_websocket(row.connection_url, identity=row.identity, password=row.password, subprotocols=offered)
    try:
        assert websocket.subprotocol == SUBPROTOCOL[version]
        await websocket.send(json.dumps([2, "boot-1", "BootNotification", BOOT[version]]))
        answer = json.loads(await asyncio.wait_for(websocket.recv(), 10))
        assert answer[:2] == [3, "boot-1"] and answer[2]["status"] == "Accepted"
    finally:
        await websocket.close()
    seen = await api.station_when(row.identity, lambda s: s["ocpp_version"], what="the version recorded")
    assert seen["ocpp_version"] == version


async def test_TC_073_16_the_new_authorization_key_works_as_its_hex_text(platform, api, new_station):
    """1.6 TC_073: the CSMS sends ChangeConfiguration AuthorizationKey; the OCTT reconnects with the hex text."""
    row = new_station("T073")
    station = await ScriptedStation.open(row.url, row.identity, row.password, "1.6")
    try:
        boot = await station.call("BootNotification", BOOT["1.6"])
        assert boot[2]["status"] == "Accepted"
        read = await station.expect_call("GetConfiguration")
        await station.reply(read, {"configurationKey": []})
        rotation = (await asyncio.to_thread(
            api.post, f"/api/charging_stations/{row.identity}/security/rotate_password/", expect=202
        )).json()
        change = await station.expect_call("ChangeConfiguration")
        assert set(change[3]) == {"key", "value"} and change[3]["key"] == "AuthorizationKey"
        new_key = change[3]["value"]
        # Security whitepaper: 16-20 bytes written as hexadecimal text.
        assert 32 <= len(new_key) <= 40 and all(c in "0123456789abcdefABCDEF" for c in new_key)
        await station.reply(change, {"status": "Accepted"})

        def accepted() -> dict | None:
            body = api.get(f"/api/charging_stations/{row.identity}/security/", expect=200).json()
            found = next(r for r in body["password_rotations"] if r["id"] == rotation["id"])
            return found if found["status"] == "accepted" else None

        await asyncio.to_thread(wait_for, accepted, timeout=15, what="the rotation accepted")
    finally:
        await station.close()

    # The OCTT logs in with the hex text itself; a station that decodes it (Zaptec) with the bytes.
    for password in (new_key, bytes.fromhex(new_key).decode("utf-8")):
        station = await ScriptedStation.open(row.url, row.identity, password, "1.6")
        try:
            boot = await station.call("BootNotification", BOOT["1.6"])
            assert boot[2]["status"] == "Accepted"
        finally:
            await station.close()
    # The old password is retired.
    assert_401(await upgrade_refused(
        row.connection_url, subprotocols=["ocpp1.6"], authorization=basic_auth_header(row.identity, row.password)
    ))
