"""The simulator's side of the protocol, against a bare `ocpp` library CSMS on plain websockets.

Other engineers' end-to-end tests rely on the simulator behaving like a station: these pin down what
it answers and sends, with the library validating every frame both ways against the OCA schemas.
"""
from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from datetime import datetime, timezone

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as CentralSystem16
from ocpp.v16 import call as c16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as CentralSystem201
from ocpp.v201 import call as c201
from ocpp.v201 import call_result as r201

from simulator import Station16, Station201
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Csms16(CentralSystem16):
    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log

    @on("BootNotification")
    def on_boot(self, **kw):
        self.log.append(("BootNotification", kw))
        return r16.BootNotification(current_time=now(), interval=30, status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self, **kw):
        self.log.append(("Heartbeat", kw))
        return r16.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw):
        self.log.append(("StatusNotification", kw))
        return r16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, **kw):
        self.log.append(("Authorize", kw))
        return r16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def on_start(self, **kw):
        self.log.append(("StartTransaction", kw))
        return r16.StartTransaction(transaction_id=42, id_tag_info={"status": "Accepted"})

    @on("StopTransaction")
    def on_stop(self, **kw):
        self.log.append(("StopTransaction", kw))
        return r16.StopTransaction()

    @on("MeterValues")
    def on_meter_values(self, **kw):
        self.log.append(("MeterValues", kw))
        return r16.MeterValues()


class Csms201(CentralSystem201):
    def __init__(self, *args, log, **kwargs):
        super().__init__(*args, **kwargs)
        self.log = log

    @on("BootNotification")
    def on_boot(self, **kw):
        self.log.append(("BootNotification", kw))
        return r201.BootNotification(current_time=now(), interval=30, status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self, **kw):
        self.log.append(("Heartbeat", kw))
        return r201.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, **kw):
        self.log.append(("StatusNotification", kw))
        return r201.StatusNotification()

    @on("NotifyReport")
    def on_notify_report(self, **kw):
        self.log.append(("NotifyReport", kw))
        return r201.NotifyReport()

    @on("NotifyEvent")
    def on_notify_event(self, **kw):
        self.log.append(("NotifyEvent", kw))
        return r201.NotifyEvent()

    @on("Authorize")
    def on_authorize(self, **kw):
        self.log.append(("Authorize", kw))
        return r201.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    def on_transaction_event(self, **kw):
        self.log.append(("TransactionEvent", kw))
        return r201.TransactionEvent()


class BareCsms:
    """Keeps, per identity, the newest ChargePoint, every request received and each connection's password."""

    def __init__(self):
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ocpp/"
        self.points: dict[str, object] = {}
        self.logs: dict[str, list] = defaultdict(list)
        self.passwords: dict[str, list[bytes]] = defaultdict(list)
        self.connected: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def handler(self, websocket) -> None:
        identity = websocket.request.path.rsplit("/", 1)[-1]
        credentials = base64.b64decode(websocket.request.headers["Authorization"].split()[1])
        self.passwords[identity].append(credentials.split(b":", 1)[1])
        cls = Csms16 if websocket.subprotocol == "ocpp1.6" else Csms201
        point = cls(identity, websocket, log=self.logs[identity])
        self.points[identity] = point
        self.connected[identity].set()
        try:
            await point.start()
        except websockets.ConnectionClosed:
            pass

    def actions(self, identity: str) -> list[str]:
        return [action for action, _ in self.logs[identity]]

    async def wait_for(self, identity: str, action: str, count: int = 1, timeout: float = 5) -> dict:
        async def seen():
            while True:
                matching = [kw for a, kw in self.logs[identity] if a == action]
                if len(matching) >= count:
                    return matching[-1]
                await asyncio.sleep(0.02)

        return await asyncio.wait_for(seen(), timeout)


@pytest.fixture
async def csms():
    server = BareCsms()
    async with websockets.serve(server.handler, "127.0.0.1", server.port, subprotocols=["ocpp1.6", "ocpp2.0.1"]):
        yield server


async def booted(cls, csms: BareCsms, identity: str, **kwargs):
    station = cls(identity=identity, password="p" * 20, url=csms.url, meter_interval=0.05, **kwargs)
    await station.connect()
    await station.boot()
    await station.send_all_status()
    return station


async def test_16_configuration_never_reveals_the_authorization_key_and_a_new_key_is_the_next_password(csms):
    station = await booted(Station16, csms, "S16", connectors=2)
    try:
        cs = csms.points["S16"]
        every = await cs.call(c16.GetConfiguration(), suppress=False)
        keys = {k["key"]: k for k in every.configuration_key}
        assert "AuthorizationKey" not in keys
        assert keys["NumberOfConnectors"] == {"key": "NumberOfConnectors", "readonly": True, "value": "2"}
        named = await cs.call(c16.GetConfiguration(key=["AuthorizationKey", "NoSuchKey"]), suppress=False)
        assert named.configuration_key == [{"key": "AuthorizationKey", "readonly": False}]
        assert named.unknown_key == ["NoSuchKey"]

        assert (await cs.call(c16.ChangeConfiguration(key="NumberOfConnectors", value="4"), suppress=False)).status == "Rejected"
        assert (await cs.call(c16.ChangeConfiguration(key="NoSuchKey", value="1"), suppress=False)).status == "NotSupported"
        assert (await cs.call(c16.ChangeConfiguration(key="HeartbeatInterval", value="soon"), suppress=False)).status == "Rejected"
        assert (await cs.call(c16.ChangeConfiguration(key="HeartbeatInterval", value="120"), suppress=False)).status == "Accepted"
        # Security whitepaper: the key arrives as hex; its bytes become the Basic password.
        assert (await cs.call(c16.ChangeConfiguration(key="AuthorizationKey", value="41" * 20), suppress=False)).status == "Accepted"
        assert (await cs.call(c16.Reset(type="Soft"), suppress=False)).status == "Accepted"
        await asyncio.wait_for(station.rebooted.wait(), 5)
        assert csms.passwords["S16"] == [b"p" * 20, b"A" * 20]
        assert csms.actions("S16").count("BootNotification") == 2
        cs = csms.points["S16"]
        keys = {k["key"]: k for k in (await cs.call(c16.GetConfiguration(key=["HeartbeatInterval"]), suppress=False)).configuration_key}
        assert keys["HeartbeatInterval"]["value"] == "120"
        assert station.errors_sent == []
    finally:
        await station.disconnect()


async def test_16_remote_start_and_stop_run_a_transaction(csms):
    station = await booted(Station16, csms, "T16")
    try:
        cs = csms.points["T16"]
        assert (await cs.call(c16.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1), suppress=False)).status == "Accepted"
        start = await csms.wait_for("T16", "StartTransaction")
        assert start["id_tag"] == "REMOTE1" and start["connector_id"] == 1
        await csms.wait_for("T16", "MeterValues")
        assert (await cs.call(c16.RemoteStopTransaction(transaction_id=99), suppress=False)).status == "Rejected"
        assert (await cs.call(c16.RemoteStopTransaction(transaction_id=42), suppress=False)).status == "Accepted"
        stop = await csms.wait_for("T16", "StopTransaction")
        assert stop["reason"] == "Remote" and stop["transaction_id"] == 42
        assert stop["meter_stop"] > start["meter_start"]
        # Boot reported connector 1 Available; the session adds Preparing, Charging, Finishing, Available.
        await csms.wait_for("T16", "StatusNotification", count=5)
        statuses = [kw["status"] for a, kw in csms.logs["T16"] if a == "StatusNotification"]
        assert statuses == ["Available", "Preparing", "Charging", "Finishing", "Available"]

        assert (await cs.call(c16.ChangeAvailability(connector_id=1, type="Inoperative"), suppress=False)).status == "Accepted"
        unavailable = await csms.wait_for("T16", "StatusNotification", count=len(statuses) + 1)
        assert unavailable["status"] == "Unavailable"
        assert (await cs.call(c16.UnlockConnector(connector_id=1), suppress=False)).status == "Unlocked"
        assert (await cs.call(c16.UnlockConnector(connector_id=7), suppress=False)).status == "NotSupported"
        assert (await cs.call(c16.ClearCache(), suppress=False)).status == "Accepted"
        assert (await cs.call(c16.TriggerMessage(requested_message="Heartbeat"), suppress=False)).status == "Accepted"
        await csms.wait_for("T16", "Heartbeat")
        assert (await cs.call(c16.TriggerMessage(requested_message="DiagnosticsStatusNotification"), suppress=False)).status == "NotImplemented"
        assert station.errors_sent == []
    finally:
        await station.disconnect()


async def test_16_a_local_session_reaches_the_energy_asked_for(csms):
    station = await booted(Station16, csms, "L16")
    try:
        result = await station.charge(kwh=3, meter_values=3)
        assert result.energy_kwh == pytest.approx(3.0)
        assert result.stop_reason == "Local"
        assert csms.actions("L16").count("MeterValues") == 3
        assert (await csms.wait_for("L16", "Authorize"))["id_tag"] == station.id_tag
        await station.fault(1, error_code="OverCurrentFailure", info="32 A on L2")
        fault = await csms.wait_for("L16", "StatusNotification", count=len([a for a in csms.actions("L16") if a == "StatusNotification"]))
        assert (fault["status"], fault["error_code"], fault["info"]) == ("Faulted", "OverCurrentFailure", "32 A on L2")
    finally:
        await station.disconnect()


async def test_201_base_report_comes_in_parts_and_set_variables_changes_the_password(csms):
    station = await booted(Station201, csms, "S201", connectors=2)
    try:
        cs = csms.points["S201"]
        assert (await cs.call(c201.GetBaseReport(request_id=7, report_base="FullInventory"), suppress=False)).status == "Accepted"
        parts = (len(station.variables) + station.report_part_size - 1) // station.report_part_size
        last = await csms.wait_for("S201", "NotifyReport", count=parts)
        reports = [kw for a, kw in csms.logs["S201"] if a == "NotifyReport"]
        assert [r["seq_no"] for r in reports] == list(range(parts))
        assert [r.get("tbc") for r in reports] == [True] * (parts - 1) + [False]
        assert {r["request_id"] for r in reports} == {7} and last["tbc"] is False
        items = [item for r in reports for item in r["report_data"]]
        assert len(items) == len(station.variables)
        password = next(i for i in items if i["variable"]["name"] == "BasicAuthPassword")
        assert password["variable_attribute"] == [{"type": "Actual", "mutability": "WriteOnly", "persistent": True}]

        result = await cs.call(
            c201.SetVariables(set_variable_data=[
                {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}, "attribute_value": "n" * 24},
                {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "SecurityProfile"}, "attribute_value": "2"},
                {"component": {"name": "Nope"}, "variable": {"name": "X"}, "attribute_value": "1"},
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nope"}, "attribute_value": "1"},
            ]),
            suppress=False,
        )
        assert [r["attribute_status"] for r in result.set_variable_result] == ["Accepted", "Rejected", "UnknownComponent", "UnknownVariable"]
        got = await cs.call(c201.GetVariables(get_variable_data=[
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
        ]), suppress=False)
        assert [r["attribute_status"] for r in got.get_variable_result] == ["Rejected", "Accepted"]
        assert "attribute_value" not in got.get_variable_result[0]

        assert (await cs.call(c201.Reset(type="Immediate"), suppress=False)).status == "Accepted"
        await asyncio.wait_for(station.rebooted.wait(), 5)
        assert csms.passwords["S201"] == [b"p" * 20, b"n" * 24]
        boots = [kw for a, kw in csms.logs["S201"] if a == "BootNotification"]
        assert [b["reason"] for b in boots] == ["PowerUp", "RemoteReset"]
        assert station.errors_sent == []
    finally:
        await station.disconnect()


async def test_201_request_start_and_stop_run_a_transaction_with_events(csms):
    station = await booted(Station201, csms, "T201")
    try:
        cs = csms.points["T201"]
        started = await cs.call(
            c201.RequestStartTransaction(id_token={"id_token": "REMOTE2", "type": "ISO14443"}, remote_start_id=9, evse_id=1), suppress=False
        )
        assert started.status == "Accepted"
        await csms.wait_for("T201", "TransactionEvent")
        first = next(kw for a, kw in csms.logs["T201"] if a == "TransactionEvent")
        assert first["event_type"] == "Started" and first["trigger_reason"] == "RemoteStart"
        assert first["transaction_info"]["remote_start_id"] == 9
        assert first["id_token"] == {"id_token": "REMOTE2", "type": "ISO14443"}
        await csms.wait_for("T201", "TransactionEvent", count=3)
        transaction_id = first["transaction_info"]["transaction_id"]
        assert (await cs.call(c201.RequestStopTransaction(transaction_id="other"), suppress=False)).status == "Rejected"
        assert (await cs.call(c201.RequestStopTransaction(transaction_id=transaction_id), suppress=False)).status == "Accepted"

        async def ended():
            while True:
                events = [kw for a, kw in csms.logs["T201"] if a == "TransactionEvent"]
                if events[-1]["event_type"] == "Ended":
                    return events
                await asyncio.sleep(0.02)

        events = await asyncio.wait_for(ended(), 5)
        assert [e["seq_no"] for e in events] == list(range(len(events)))
        assert events[-1]["trigger_reason"] == "RemoteStop"
        assert events[-1]["transaction_info"]["stopped_reason"] == "Remote"
        assert {e["transaction_info"]["transaction_id"] for e in events} == {transaction_id}

        await station.fault(1, error_code="GroundFailure", info="RCD")
        event = await csms.wait_for("T201", "NotifyEvent")
        assert event["event_data"][0]["component"] == {"name": "Connector", "evse": {"id": 1, "connector_id": 1}}
        assert event["event_data"][0]["tech_code"] == "GroundFailure"
        assert station.errors_sent == []
    finally:
        await station.disconnect()
