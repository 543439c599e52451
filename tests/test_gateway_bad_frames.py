"""Frames no well-behaved station sends: each gets the CALLERROR OCPP-J defines, and the socket stays open.

OCPP-J 1.6 §4.2.3 and 2.0.1 Part 4 §4.2.3/§4.3: the CSMS answers a CALL it cannot process with a
CALLERROR carrying the CALL's messageId ("-1" when it cannot be read); it never answers an answer.
"""
from __future__ import annotations

import asyncio
import json

import pytest
from ocpp.messages import CallResult, validate_payload

from tests.servers import RawStation
from tests.raw_station import SYNTAX

pytestmark = pytest.mark.e2e

BOOT = {
    "1.6": {"chargePointVendor": "RawCo", "chargePointModel": "Raw-1"},
    "2.0.1": {"chargingStation": {"vendorName": "RawCo", "model": "Raw-1"}, "reason": "PowerUp"},
}
UNREADABLE = {"1.6": "FormationViolation", "2.0.1": "RpcFrameworkError"}
BAD_TYPE_ID = {"1.6": "FormationViolation", "2.0.1": "MessageTypeNotSupported"}

# (frame to send, messageId the CALLERROR must carry, errorCode per version)
CASES = {
    "not JSON": ("this is not json", "-1", UNREADABLE),
    "truncated JSON with a readable id": ('[2, "trunc-1", "Heartbeat", {', "trunc-1", SYNTAX),
    "not an array": ('{"action": "Heartbeat"}', "-1", UNREADABLE),
    "empty array": ("[]", "-1", UNREADABLE),
    "wrong message type id": ('[7, "type-1", "Heartbeat", {}]', "type-1", BAD_TYPE_ID),
    "CALL without payload": ('[2, "short-1", "Heartbeat"]', "short-1", SYNTAX),
    "unknown action": ('[2, "act-1", "FlyToTheMoon", {}]', "act-1", {"1.6": "NotImplemented", "2.0.1": "NotImplemented"}),
    "unexpected property": (None, "schema-1", SYNTAX),
    "missing required property": (None, "schema-2", {"1.6": "ProtocolError", "2.0.1": "ProtocolError"}),
    "wrong type": (None, "schema-3", {"1.6": "TypeConstraintViolation", "2.0.1": "TypeConstraintViolation"}),
    "value outside the enumeration": (None, "schema-4", {"1.6": "PropertyConstraintViolation", "2.0.1": "PropertyConstraintViolation"}),
}


def schema_case(name: str, version: str) -> str:
    if version == "1.6":
        frames = {
            "unexpected property": [2, "schema-1", "Heartbeat", {"hello": "world"}],
            "missing required property": [2, "schema-2", "StatusNotification", {"connectorId": 1, "status": "Available"}],
            "wrong type": [2, "schema-3", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}],
            "value outside the enumeration": [2, "schema-4", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"}],
        }
    else:
        status = {"timestamp": "2026-01-01T00:00:00Z", "evseId": 1, "connectorId": 1}
        frames = {
            "unexpected property": [2, "schema-1", "Heartbeat", {"hello": "world"}],
            "missing required property": [2, "schema-2", "StatusNotification", {"timestamp": status["timestamp"], "evseId": 1, "connectorStatus": "Available"}],
            "wrong type": [2, "schema-3", "StatusNotification", {**status, "evseId": "one", "connectorStatus": "Available"}],
            "value outside the enumeration": [2, "schema-4", "StatusNotification", {**status, "connectorStatus": "Dancing"}],
        }
    return json.dumps(frames[name])


async def booted_raw_station(station, version: str) -> RawStation:
    raw = await RawStation.open(station.url, identity=station.identity, password=station.password, ocpp_version=version)
    reply = await raw.call("BootNotification", BOOT[version])
    assert reply[0] == 3 and reply[2]["status"] == "Accepted", reply
    return raw


async def next_error(raw: RawStation, timeout: float = 5.0) -> list:
    """The next CALLERROR, skipping the requests the platform sends a freshly booted station."""
    while True:
        frame = await raw.recv(timeout)
        if frame[0] == 4:
            return frame


async def assert_heartbeat_answered(raw: RawStation, version: str) -> None:
    reply = await raw.call("Heartbeat", {})
    assert reply[0] == 3, f"Heartbeat not answered after the bad frame: {reply}"
    result = CallResult(reply[1], reply[2])
    result.action = "Heartbeat"
    await validate_payload(result, version)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_bad_frame_gets_its_callerror_and_the_connection_stays_open(case, version, new_station):
    frame, unique_id, codes = CASES[case]
    raw = await booted_raw_station(new_station("BAD"), version)
    try:
        await raw.send(frame if frame is not None else schema_case(case, version))
        error = await next_error(raw)
        assert error[1] == unique_id
        assert error[2] == codes[version], error
        assert isinstance(error[3], str) and isinstance(error[4], dict)
        await assert_heartbeat_answered(raw, version)
    finally:
        await raw.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_binary_frame_gets_a_callerror(version, new_station):
    raw = await booted_raw_station(new_station("BIN"), version)
    try:
        await raw.send(b'[2, "bin-1", "Heartbeat", {}]')
        error = await next_error(raw)
        assert error[1] == "-1"
        assert error[2] == UNREADABLE[version]
        await assert_heartbeat_answered(raw, version)
    finally:
        await raw.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_answer_to_nothing_is_not_answered(version, new_station):
    raw = await booted_raw_station(new_station("ORPHAN"), version)
    try:
        await raw.send(json.dumps([3, "nobody-asked", {"status": "Accepted"}]))
        await raw.send(json.dumps([4, "nobody-asked-2", "InternalError", "oops", {}]))
        # Whatever arrives next must be the Heartbeat's answer or a request of the platform's own:
        # never a CALLERROR about the orphan answers.
        reply = await raw.call("Heartbeat", {})
        assert reply[0] == 3
        with pytest.raises(asyncio.TimeoutError):
            while True:
                frame = await raw.recv(timeout=0.5)
                assert frame[0] == 2, f"the platform answered an answer: {frame}"
    finally:
        await raw.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_requests_before_boot_are_refused_but_boot_still_works(version, new_station):
    station = new_station("EARLY")
    raw = await RawStation.open(station.url, identity=station.identity, password=station.password, ocpp_version=version)
    try:
        reply = await raw.call("Heartbeat", {})
        assert reply[0] == 4 and reply[2] == "SecurityError", reply
        reply = await raw.call("BootNotification", BOOT[version])
        assert reply[0] == 3 and reply[2]["status"] == "Accepted"
        await assert_heartbeat_answered(raw, version)
    finally:
        await raw.close()
