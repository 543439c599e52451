"""Frames that are not valid OCPP-J get the spec's CALLERROR, are logged, and the socket stays open."""
from __future__ import annotations

import json

import pytest
from django.test import override_settings
from ocpp.v16 import call as call16

from ocpp_gateway import message_log
from ocpp_gateway.models import Message
from stations.models import StationState

pytestmark = pytest.mark.django_db(transaction=True)

V16 = ["ocpp1.6"]
V201 = ["ocpp2.0.1"]


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


async def still_open(station) -> None:
    await station.comm.send_to(text_data='[2,"alive","Heartbeat",{}]')
    reply = await station.receive()
    assert reply[:2] == [3, "alive"]


async def logged_in(station_model, **filters) -> Message:
    await message_log.buffer.flush()
    return await Message.objects.filter(station=station_model, direction="in", **filters).alatest("time")


@pytest.mark.parametrize(
    "subprotocols,code",
    [(V16, "FormationViolation"), (V201, "RpcFrameworkError")],
)
async def test_text_that_is_not_json(onboarded, connect, subprotocols, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw("this is not json")
    assert reply[0] == 4 and reply[1] == "-1" and reply[2] == code
    logged = await logged_in(onboarded)
    assert logged.note == "not JSON" and logged.payload == {"raw": "this is not json"}
    await still_open(station)


@pytest.mark.parametrize("subprotocols,code", [(V16, "FormationViolation"), (V201, "FormatViolation")])
async def test_broken_json_keeps_the_message_id_when_it_can_be_read(onboarded, connect, subprotocols, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw('[2, "abc-1", "Heartbeat", {')
    assert reply[:3] == [4, "abc-1", code]
    await still_open(station)


@pytest.mark.parametrize("frame", ['{"a": 1}', "[]", '"text"', "42"])
async def test_json_that_is_not_an_array(onboarded, connect, frame):
    station = await connect("CP-A-1", subprotocols=V201)
    reply = await station.send_raw(frame)
    assert reply[0] == 4 and reply[1] == "-1" and reply[2] == "RpcFrameworkError"
    await still_open(station)


@pytest.mark.parametrize("subprotocols,code", [(V16, "FormationViolation"), (V201, "MessageTypeNotSupported")])
async def test_wrong_message_type_id(onboarded, connect, subprotocols, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw('[7, "t-1", "Heartbeat", {}]')
    assert reply[:3] == [4, "t-1", code]
    assert (await logged_in(onboarded)).note == "unknown message type"
    await still_open(station)


@pytest.mark.parametrize("frame", ['[2, "m-1", "Heartbeat"]', '[2, "m-1", 5, {}]', '[2, "m-1", "Heartbeat", []]'])
async def test_malformed_call(onboarded, connect, frame):
    station = await connect("CP-A-1", subprotocols=V16)
    reply = await station.send_raw(frame)
    assert reply[:3] == [4, "m-1", "FormationViolation"]
    await still_open(station)


async def test_an_unreadable_message_id(onboarded, connect):
    station = await connect("CP-A-1", subprotocols=V201)
    reply = await station.send_raw('[2, 17, "Heartbeat", {}]')
    assert reply[:3] == [4, "-1", "RpcFrameworkError"]
    await still_open(station)


@pytest.mark.parametrize(
    "subprotocols,action,code",
    [
        (V16, "MakeCoffee", "NotImplemented"),
        (V201, "MakeCoffee", "NotImplemented"),
        # Known to the version but not something a station sends to a CSMS.
        (V16, "Reset", "NotSupported"),
        (V201, "RequestStartTransaction", "NotSupported"),
    ],
)
async def test_unknown_action(onboarded, connect, subprotocols, action, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw(json.dumps([2, "u-1", action, {}]))
    assert reply[:3] == [4, "u-1", code]
    assert (await logged_in(onboarded, action=action)).unique_id == "u-1"
    await still_open(station)


@pytest.mark.parametrize(
    "subprotocols,action,payload,code",
    [
        # 1.6 spells it FormationViolation (1.6 errata), 2.0.1 FormatViolation.
        (V16, "Heartbeat", {"unexpected": 1}, "FormationViolation"),
        (V201, "Heartbeat", {"unexpected": 1}, "FormatViolation"),
        (V16, "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}, "TypeConstraintViolation"),
        (V16, "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}, "PropertyConstraintViolation"),
        (V201, "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Sleeping", "evseId": 1, "connectorId": 1}, "PropertyConstraintViolation"),
        (V16, "StatusNotification", {"connectorId": 1, "status": "Available"}, "ProtocolError"),
        (V201, "Authorize", {"idToken": {"idToken": "X" * 40, "type": "ISO14443"}}, "TypeConstraintViolation"),
        (V201, "NotifyEvent", {"generatedAt": "2026-01-01T00:00:00Z", "seqNo": 0, "eventData": []}, "OccurrenceConstraintViolation"),
    ],
)
async def test_payload_failing_the_schema(onboarded, connect, subprotocols, action, payload, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw(json.dumps([2, "s-1", action, payload]))
    assert reply[:3] == [4, "s-1", code], reply
    assert isinstance(reply[4], dict) and reply[4]["cause"]
    await still_open(station)


@override_settings(OCPP_MAX_FRAME_BYTES=1024)
@pytest.mark.parametrize("subprotocols,code", [(V16, "FormationViolation"), (V201, "FormatViolation")])
async def test_an_oversized_frame(onboarded, connect, subprotocols, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    frame = json.dumps([2, "big-1", "DataTransfer", {"vendorId": "x", "data": "é" * 1000}])
    reply = await station.send_raw(frame)
    assert reply[:3] == [4, "big-1", code]
    logged = await logged_in(onboarded)
    assert logged.note.startswith("oversized frame of") and logged.payload["bytes"] > 1024
    # Only reached under a server with a larger limit (ocpp_gateway.server closes while reading the
    # frame's header): the socket closes with 1009 and the station page says why.
    closed = await station.comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1009, "reason": "frame too big"}
    await onboarded.arefresh_from_db()
    assert onboarded.last_connection_error.startswith("Closed (1009)")


@pytest.mark.parametrize("subprotocols,code", [(V16, "FormationViolation"), (V201, "RpcFrameworkError")])
async def test_a_binary_frame(onboarded, connect, subprotocols, code):
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw(binary=b'[2,"b-1","Heartbeat",{}]')
    assert reply[:3] == [4, "-1", code]
    assert (await logged_in(onboarded)).note.startswith("binary frame")
    await still_open(station)


async def test_a_callresult_for_an_unknown_id_is_logged_and_not_answered(onboarded, connect):
    station = await connect("CP-A-1")
    assert await station.send_raw('[3, "never-asked", {"status": "Accepted"}]', answered=False) is None
    logged = await logged_in(onboarded, unique_id="never-asked")
    assert logged.message_type == 3 and logged.note == "answers no outstanding request"
    assert await station.send_raw('[4, "never-asked-2", "GenericError", "", {}]', answered=False) is None
    await still_open(station)


async def test_a_late_answer_does_not_confuse_the_next_request(onboarded, connect, fake_remote, settings):
    """An answer arriving after its request timed out is dropped, not taken for the next one's."""
    import asyncio

    from ocpp_gateway.tests.conftest import send_command

    settings.OCPP_CALL_TIMEOUT = 1
    results = []

    async def execute(consumer, event):
        try:
            results.append(await consumer.charge_point.call(call16.GetConfiguration(key=[event["key"]]), suppress=False))
        except asyncio.TimeoutError:
            results.append("timeout")

    fake_remote(execute)
    station = await connect("CP-A-1")
    await send_command(onboarded, {"key": "A"})
    first = await station.receive()
    await asyncio.sleep(1.2)
    await send_command(onboarded, {"key": "B"})
    second = await station.receive()
    await station.reply(first[1], {"configurationKey": [{"key": "A", "readonly": False, "value": "late"}]})
    await station.reply(second[1], {"configurationKey": [{"key": "B", "readonly": False, "value": "right"}]})
    for _ in range(250):  # up to 5 s on a busy machine
        if len(results) == 2:
            break
        await asyncio.sleep(0.02)
    assert results[0] == "timeout"
    assert results[1].configuration_key[0]["value"] == "right"


@pytest.mark.parametrize("subprotocols,code", [(V16, "FormationViolation"), (V201, "FormatViolation")])
async def test_a_lone_surrogate_escape_is_a_syntax_error_and_a_pair_is_a_character(onboarded, connect, subprotocols, code):
    # "\ud800" alone is no Unicode character (RFC 8259 §8.2): stored, it failed the API's JSON with a 500.
    station = await connect("CP-A-1", subprotocols=subprotocols)
    reply = await station.send_raw(r'[2, "s-1", "DataTransfer", {"vendorId": "X\ud800"}]')
    assert reply[:3] == [4, "s-1", code]
    assert "surrogate" in reply[4]["cause"]
    reply = await station.send_raw(r'[2, "s-2", "DataTransfer", {"vendorId": "X\ud83d\udd0c"}]')
    assert reply[:2] == [3, "s-2"]
    await still_open(station)
