"""Handshake: identity, HTTP Basic (security profile 1), subprotocol, replacement, presence."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from ocpp.v16 import call

from conftest import STATION_PASSWORD
from ocpp_gateway.tests.conftest import basic, communicator
from stations.models import Station, StationState

pytestmark = pytest.mark.django_db(transaction=True)


async def refresh(station: Station) -> Station:
    await station.arefresh_from_db()
    return station


async def test_a_station_with_the_right_password_connects_and_is_marked_online(station_a):
    comm = communicator("CP-A-1")
    connected, subprotocol = await comm.connect()
    assert connected and subprotocol == "ocpp1.6"
    station = await refresh(station_a)
    assert station.connected
    assert station.channel_name
    assert station.last_seen is not None
    await comm.disconnect()
    station = await refresh(station_a)
    assert not station.connected
    assert station.channel_name == ""
    assert station.last_seen is not None


@pytest.mark.parametrize(
    "identity,headers,reason",
    [
        ("CP-A-1", [basic("CP-A-1", "wrong-password-123")], "wrong password"),
        ("CP-A-1", [basic("CP-B-1", STATION_PASSWORD)], "is not the station identity"),
        ("CP-A-1", [], "no HTTP Basic credentials"),
        ("CP-A-1", [(b"authorization", b"Bearer abc")], "no HTTP Basic credentials"),
    ],
)
async def test_bad_credentials_are_refused_before_the_socket_opens_and_recorded(station_a, station_b, identity, headers, reason):
    comm = communicator(identity, headers=headers)
    connected, _ = await comm.connect()
    assert not connected
    station = await refresh(station_a)
    assert not station.connected
    assert reason in station.last_connection_error
    assert STATION_PASSWORD not in station.last_connection_error
    assert "wrong-password-123" not in station.last_connection_error
    assert station.last_connection_error_at is not None


async def test_an_unknown_identity_is_refused(transactional_db):
    connected, _ = await communicator("CP-NOBODY").connect()
    assert not connected


async def test_an_invalid_identity_is_refused(station_a):
    connected, _ = await communicator("CP%3AA-1").connect()
    assert not connected


async def test_the_identity_is_percent_decoded_once(station_a):
    comm = communicator("CP-A-1")
    # daphne passes the undecoded path as raw_path; a station may encode unreserved characters.
    comm.scope["raw_path"] = b"/ocpp/CP%2DA%2D1"
    connected, _ = await comm.connect()
    assert connected
    await comm.disconnect()


async def test_repeated_failures_slow_that_identity_but_never_refuse_its_right_password(station_a):
    with override_settings(OCPP_AUTH_FAILURES_PER_MINUTE=3, OCPP_AUTH_THROTTLE_DELAY=0):
        for _ in range(4):
            connected, _ = await communicator("CP-A-1", password="wrong-password-123").connect()
            assert not connected
        # Throttled (address, identity): the right password is still verified and accepted.
        comm = communicator("CP-A-1")
        assert (await comm.connect())[0]
        await comm.disconnect()


async def test_a_verified_password_is_not_hashed_again(station_a, monkeypatch):
    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    await comm.disconnect()
    calls = []
    original = Station.check_password
    monkeypatch.setattr(Station, "check_password", lambda self, raw: calls.append(raw) or original(self, raw))
    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    await comm.disconnect()
    assert calls == []
    # A changed password invalidates the cached verification.
    await sync_to_async(station_a.set_password)("another-password-456")
    await station_a.asave(update_fields=["password_hash"])
    connected, _ = await communicator("CP-A-1").connect()
    assert not connected


@pytest.mark.parametrize(
    "configured,offered,chosen",
    [
        ("", ["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        ("", ["ocpp1.6"], "ocpp1.6"),
        ("1.6", ["ocpp2.0.1", "ocpp1.6"], "ocpp1.6"),
        ("2.0.1", ["ocpp1.6", "ocpp2.0.1"], "ocpp2.0.1"),
        ("1.6", ["ocpp2.0.1"], "ocpp2.0.1"),
    ],
)
async def test_subprotocol_choice(station_a, configured, offered, chosen):
    station_a.ocpp_version = configured
    await station_a.asave(update_fields=["ocpp_version"])
    comm = communicator("CP-A-1", subprotocols=offered)
    connected, subprotocol = await comm.connect()
    assert connected and subprotocol == chosen
    await comm.disconnect()


async def test_no_common_subprotocol_refuses_the_handshake(station_a):
    # TC_B_58 / 1.6 TC_088: no 101 (HTTP 400 under ocpp_gateway.server; the test communicator has no
    # denial extension, so a close before accept).
    comm = communicator("CP-A-1", subprotocols=["ocpp2.1", "ocpp1.5"])
    connected, _ = await comm.connect()
    assert not connected
    station = await refresh(station_a)
    assert "No supported OCPP subprotocol" in station.last_connection_error
    assert "ocpp2.1" in station.last_connection_error
    assert not station.connected


async def test_a_second_connection_replaces_the_first(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    first = communicator("CP-A-1")
    assert (await first.connect())[0]
    old_channel = (await refresh(station_a)).channel_name
    second = communicator("CP-A-1")
    assert (await second.connect())[0]
    # Not before the station speaks on the new socket (a handshake its station gave up on must
    # not close the live one)...
    assert await first.receive_nothing(timeout=0.3)
    await second.send_to(text_data='[2,"0","Heartbeat",{}]')
    assert (await second.receive_json_from())[0] == 3
    # ...then the old socket is closed by the platform...
    closed = await first.receive_output(timeout=2)
    assert closed["type"] == "websocket.close"
    # ...and its disconnect, arriving after the new connect, leaves the new connection online.
    await first.disconnect()
    station = await refresh(station_a)
    assert station.connected
    assert station.channel_name and station.channel_name != old_channel
    # The new socket still talks.
    await second.send_to(text_data='[2,"1","Heartbeat",{}]')
    reply = await second.receive_json_from()
    assert reply[0] == 3
    await second.disconnect()
    assert not (await refresh(station_a)).connected


async def test_a_command_event_starts_remote_execute_without_blocking_frames(station_a, monkeypatch):
    """The contract with ocpp_gateway.remote: execute(consumer, event) runs as a task."""
    import sys
    import types

    seen = {}

    async def execute(consumer, event):
        seen["event"] = event
        seen["station_id"] = consumer.station_id
        seen["version"] = consumer.ocpp_version
        result = await consumer.charge_point.call(call.GetConfiguration(key=["HeartbeatInterval"]), suppress=False)
        seen["result"] = result

    remote = sys.modules.get("ocpp_gateway.remote") or types.ModuleType("ocpp_gateway.remote")
    monkeypatch.setattr(remote, "execute", execute, raising=False)
    monkeypatch.setitem(sys.modules, "ocpp_gateway.remote", remote)
    import ocpp_gateway

    monkeypatch.setattr(ocpp_gateway, "remote", remote, raising=False)

    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    station = await refresh(station_a)
    from channels.layers import get_channel_layer

    await get_channel_layer().send(station.channel_name, {"type": "ocpp.command", "command_id": 7})
    request = await comm.receive_json_from(timeout=2)
    assert request[0] == 2 and request[2] == "GetConfiguration"
    await comm.send_json_to([3, request[1], {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}])
    for _ in range(250):  # up to 5 s on a busy machine
        if "result" in seen:
            break
        await asyncio.sleep(0.02)
    assert seen["event"]["command_id"] == 7
    assert seen["station_id"] == station_a.pk and seen["version"] == "1.6"
    assert seen["result"].configuration_key[0]["value"] == "300"
    await comm.disconnect()


async def test_a_handshake_abandoned_in_the_queue_is_not_hashed(station_a, monkeypatch):
    """After a storm, attempts daphne already gave up on must not keep the auth threads busy."""
    import time

    from ocpp_gateway import consumers

    checked = []
    monkeypatch.setattr(Station, "check_password", lambda self, raw: checked.append(raw) or True)
    result = await sync_to_async(consumers._authenticate_unless_stale)(
        deadline=time.monotonic() - 1, identity="CP-A-1", headers=[basic("CP-A-1", STATION_PASSWORD)], client_address="10.0.0.1"
    )
    # None: answered 503 (login admission), never a 401 for a password nobody checked.
    assert result is None and checked == []


async def test_stations_still_connected_at_shutdown_are_marked_offline(station_a):
    from ocpp_gateway import consumers

    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    assert (await refresh(station_a)).connected
    # What atexit runs after daphne stopped without disconnecting the consumers.
    await sync_to_async(consumers._mark_offline_at_exit)()
    assert not (await refresh(station_a)).connected
    await comm.disconnect()
    assert consumers._online == {}


async def test_a_request_outstanding_when_the_station_disconnects_fails_at_once(station_a, fake_remote):
    from ocpp.exceptions import GenericError

    from ocpp_gateway.tests.conftest import send_command

    outcome = asyncio.get_running_loop().create_future()

    async def execute(consumer, event):
        try:
            await consumer.charge_point.call(call.GetConfiguration(), suppress=False)
            outcome.set_result("answered")
        except GenericError as exc:
            outcome.set_result(exc.description)

    fake_remote(execute)
    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    await send_command(station_a, {})
    assert (await comm.receive_json_from())[2] == "GetConfiguration"
    await comm.disconnect()
    assert await asyncio.wait_for(outcome, 2) == "The station disconnected before answering"


async def test_a_channel_layer_failure_does_not_drop_the_station(station_a, monkeypatch):
    from channels.layers import get_channel_layer

    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    layer_class = type(get_channel_layer())
    original = layer_class.receive
    failures = []

    async def flaky(self, channel):
        if not failures:
            failures.append(channel)
            raise ConnectionError("redis went away")
        return await original(self, channel)

    monkeypatch.setattr(layer_class, "receive", flaky)
    comm = communicator("CP-A-1")
    assert (await comm.connect())[0]
    await asyncio.sleep(0.1)
    assert failures
    await comm.send_to(text_data='[2,"1","Heartbeat",{}]')
    assert (await comm.receive_json_from())[0] == 3
    # The retried receive still delivers events.
    await asyncio.sleep(0.6)
    await refresh(station_a)
    await get_channel_layer().send(station_a.channel_name, {"type": "ocpp.close", "code": 4000})
    assert (await comm.receive_output(timeout=3))["type"] == "websocket.close"
    await comm.disconnect()
