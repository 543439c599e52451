"""The consumer's side of remote actions, in one process: the real consumer (Channels'
WebsocketCommunicator as the station), the in-memory channel layer and the eager Celery task of the
embedded setup. Every CALL the platform sends is checked against the OCA JSON schema.
"""
from __future__ import annotations

import asyncio
import base64
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from ocpp.messages import Call, validate_payload

from commands.models import Command, CommandStatus
from commands.services import command_dispatch, command_request, station_session_ended
from conftest import STATION_PASSWORD
from ocpp_gateway.message_log import buffer
from sessions.models import Session, SessionStatus
from stations.models import ConfigurationKey, DeviceModelVariable, Station
from switchplatform.asgi import application

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


@pytest.fixture(autouse=True)
async def _gateway_state():
    yield
    await buffer.stop()


class Socket:
    """The station's end of the socket."""

    def __init__(self, comm: WebsocketCommunicator, version: str):
        self.comm = comm
        self.version = version

    async def next_call(self) -> list:
        frame = json.loads(await self.comm.receive_from(timeout=5))
        assert frame[0] == 2, frame
        # Raises if the platform's request does not validate against the OCA schema.
        await validate_payload(Call(frame[1], frame[2], frame[3]), self.version)
        return frame

    async def answer(self, frame: list, payload: dict) -> None:
        await self.comm.send_to(text_data=json.dumps([3, frame[1], payload]))


@pytest.fixture
async def station_online(transactional_db, station_a, operator_a):
    opened: list[WebsocketCommunicator] = []

    async def connect(version: str) -> Socket:
        await database_sync_to_async(Station.objects.filter(pk=station_a.pk).update)(ocpp_version=version)
        token = base64.b64encode(f"CP-A-1:{STATION_PASSWORD}".encode()).decode()
        comm = WebsocketCommunicator(
            application,
            "/ocpp/CP-A-1",
            headers=[(b"authorization", f"Basic {token}".encode())],
            subprotocols=[SUBPROTOCOLS[version]],
        )
        connected, _ = await comm.connect()
        assert connected
        opened.append(comm)
        return Socket(comm, version)

    yield connect
    for comm in opened:
        await comm.disconnect()


async def request(action: str, **parameters) -> Command:
    def _request() -> Command:
        from networks.models import User

        station = Station.objects.get(identity="CP-A-1")
        return command_request(station=station, action=action, parameters=parameters, requested_by=User.objects.get(username="bob"))

    return await database_sync_to_async(_request)()


async def settled(command: Command, timeout: float = 5) -> Command:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await database_sync_to_async(command.refresh_from_db)()
        if command.is_final or command.waiting_for_idle or asyncio.get_running_loop().time() > deadline:
            return command
        await asyncio.sleep(0.02)


CASES = [
    # version, action, parameters, the request the station sees, its answer, status, result
    ("1.6", "reset", {}, ["Reset", {"type": "Soft"}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("1.6", "reset", {"type": "Hard"}, ["Reset", {"type": "Hard"}], {"status": "Rejected"}, "rejected", "Rejected"),
    ("1.6", "unlock_connector", {"connector_id": 2}, ["UnlockConnector", {"connectorId": 2}], {"status": "UnlockFailed"}, "rejected", "UnlockFailed"),
    ("1.6", "trigger_message", {"requested_message": "MeterValues", "connector_id": 1},
     ["TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("1.6", "remote_start", {"id_tag": "TAG-1", "connector_id": 1},
     ["RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 1}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("1.6", "remote_stop", {"transaction_id": "42"}, ["RemoteStopTransaction", {"transactionId": 42}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("1.6", "change_availability", {"operational_status": "Inoperative"},
     ["ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}], {"status": "Scheduled"}, "accepted", "Scheduled"),
    ("1.6", "clear_cache", {}, ["ClearCache", {}], {"status": "Rejected"}, "rejected", "Rejected"),
    ("2.0.1", "reset", {"when": "on_idle", "evse_id": 1}, ["Reset", {"type": "OnIdle", "evseId": 1}], {"status": "Scheduled"}, "accepted", "Scheduled"),
    ("2.0.1", "reset", {}, ["Reset", {"type": "Immediate"}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("2.0.1", "unlock_connector", {"evse_id": 1, "connector_id": 1},
     ["UnlockConnector", {"evseId": 1, "connectorId": 1}], {"status": "Unlocked"}, "accepted", "Unlocked"),
    ("2.0.1", "trigger_message", {"requested_message": "StatusNotification", "evse_id": 1, "connector_id": 1},
     ["TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("2.0.1", "remote_start", {"id_tag": "TAG-1", "evse_id": 1}, None, {"status": "Accepted"}, "accepted", "Accepted"),
    ("2.0.1", "remote_stop", {"transaction_id": "tx-7"}, ["RequestStopTransaction", {"transactionId": "tx-7"}], {"status": "Rejected"}, "rejected", "Rejected"),
    ("2.0.1", "change_availability", {"operational_status": "Operative"},
     ["ChangeAvailability", {"operationalStatus": "Operative"}], {"status": "Accepted"}, "accepted", "Accepted"),
    ("2.0.1", "clear_cache", {}, ["ClearCache", {}], {"status": "Accepted"}, "accepted", "Accepted"),
]


@pytest.mark.parametrize("version,action,parameters,expected,answer,status,result", CASES)
async def test_each_action_sends_a_valid_request_and_records_the_answer(
    station_online, version, action, parameters, expected, answer, status, result
):
    socket = await station_online(version)
    command = await request(action, **parameters)
    frame = await socket.next_call()
    if expected is None:  # 2.0.1 RequestStartTransaction: remoteStartId is the command's id
        expected = ["RequestStartTransaction", {"idToken": {"idToken": "TAG-1", "type": "Central"}, "remoteStartId": command.pk, "evseId": 1}]
    assert frame[2:] == expected
    await socket.answer(frame, answer)
    command = await settled(command)
    assert (command.status, command.result, command.answer) == (status, result, answer)
    assert command.sent_at <= command.answered_at


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_accepted_configuration_change_updates_the_stored_value(station_online, station_a, version):
    socket = await station_online(version)
    if version == "1.6":
        await database_sync_to_async(ConfigurationKey.objects.create)(station_id=station_a.pk, key="HeartbeatInterval", value="300")
        command = await request("change_configuration", key="HeartbeatInterval", value="60")
        answer = {"status": "RebootRequired"}
    else:
        command = await request("change_configuration", component="OCPPCommCtrlr", variable="HeartbeatInterval", value="60")
        answer = {"setVariableResult": [{"attributeStatus": "RebootRequired", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
    frame = await socket.next_call()
    await socket.answer(frame, answer)
    command = await settled(command)
    assert (command.status, command.result) == ("accepted", "RebootRequired")
    if version == "1.6":
        stored = await database_sync_to_async(ConfigurationKey.objects.get)(key="HeartbeatInterval")
    else:
        assert frame[3] == {"setVariableData": [{"attributeValue": "60", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
        stored = await database_sync_to_async(DeviceModelVariable.objects.get)(variable="HeartbeatInterval")
    assert stored.value == "60"


async def test_a_rejected_configuration_change_keeps_the_stored_value(station_online, station_a):
    socket = await station_online("1.6")
    await database_sync_to_async(ConfigurationKey.objects.create)(station_id=station_a.pk, key="HeartbeatInterval", value="300")
    command = await request("change_configuration", key="HeartbeatInterval", value="abc")
    await socket.answer(await socket.next_call(), {"status": "Rejected"})
    assert (await settled(command)).status == CommandStatus.REJECTED
    assert (await database_sync_to_async(ConfigurationKey.objects.get)(key="HeartbeatInterval")).value == "300"


async def test_a_callerror_fails_the_command(station_online):
    socket = await station_online("2.0.1")
    command = await request("clear_cache")
    frame = await socket.next_call()
    await socket.comm.send_to(text_data=json.dumps([4, frame[1], "SecurityError", "Not for you", {"why": "policy"}]))
    command = await settled(command)
    assert command.status == CommandStatus.FAILED
    assert command.error == "SecurityError: Not for you"
    assert command.answer == {"errorCode": "SecurityError", "errorDescription": "Not for you", "errorDetails": {"why": "policy"}}


async def test_a_station_that_closes_the_socket_mid_call_fails_the_command(station_online):
    socket = await station_online("1.6")
    command = await request("clear_cache")
    await socket.next_call()
    await socket.comm.disconnect()
    command = await settled(command)
    assert command.status == CommandStatus.FAILED
    assert "disconnected before answering" in command.error


async def test_a_command_is_sent_once_however_often_it_is_delivered(station_online, station_a):
    socket = await station_online("1.6")
    command = await request("clear_cache")
    frame = await socket.next_call()
    # A retried task delivers the same command again while it waits for its answer, and after.
    channel = await database_sync_to_async(lambda: Station.objects.get(pk=station_a.pk).channel_name)()
    await get_channel_layer().send(channel, {"type": "ocpp.command", "command_id": command.pk})
    assert await socket.comm.receive_nothing(timeout=0.3)
    await socket.answer(frame, {"status": "Accepted"})
    assert (await settled(command)).status == CommandStatus.ACCEPTED
    await database_sync_to_async(command_dispatch)(command_id=command.pk, wait=False)
    await get_channel_layer().send(channel, {"type": "ocpp.command", "command_id": command.pk})
    assert await socket.comm.receive_nothing(timeout=0.3)


async def test_a_1_6_reset_on_idle_waits_for_the_running_session_to_end(station_online, station_a):
    socket = await station_online("1.6")
    session = await database_sync_to_async(Session.objects.create)(
        network_id=station_a.network_id, station_id=station_a.pk, ocpp_version="1.6", transaction_id="7", started_at=timezone.now()
    )
    command = await request("reset", when="on_idle", type="Soft")
    command = await settled(command)
    assert command.waiting_for_idle and command.status == CommandStatus.QUEUED
    assert await socket.comm.receive_nothing(timeout=0.3)  # held: nothing sent while charging

    def session_ends() -> int:
        Session.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETED, ended_at=timezone.now())
        return station_session_ended(station=Station.objects.get(pk=station_a.pk))

    assert await database_sync_to_async(session_ends)() == 1
    frame = await socket.next_call()
    assert frame[2:] == ["Reset", {"type": "Soft"}]
    await socket.answer(frame, {"status": "Accepted"})
    command = await settled(command)
    assert (command.status, command.waiting_for_idle) == ("accepted", False)
    assert command.idle_at is not None


async def test_a_1_6_reset_on_idle_goes_at_once_without_a_session(station_online):
    socket = await station_online("1.6")
    command = await request("reset", when="on_idle")
    await socket.answer(await socket.next_call(), {"status": "Accepted"})
    assert (await settled(command)).status == CommandStatus.ACCEPTED


async def test_an_answer_outside_the_schema_fails_the_command_as_such(station_online):
    socket = await station_online("1.6")
    command = await request("unlock_connector", connector_id=1)
    await socket.answer(await socket.next_call(), {"status": "Maybe"})
    command = await settled(command)
    assert command.status == CommandStatus.FAILED
    assert command.error.startswith("The station's answer does not follow the OCPP 1.6 schema: ")
    assert command.error.endswith("'Maybe' is not one of ['Unlocked', 'UnlockFailed', 'NotSupported']")
