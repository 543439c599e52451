"""Registration status Pending (OCPP 2.0.1 B02, 1.6 §4.2) and the configuration read after boot.

A scripted station over a real websocket: the test sends every frame itself and reads every frame the
platform sends, so each CSMS message is asserted field by field (TC_B_02, TC_B_30, TC_B_31 of the
2.0.1 Part 6 document, and the 1.6 counterpart). The operator works through the API, as the
console and the admin do through the same services.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.scripted_station import ScriptedStation, act, final
from tests.servers import simulated_station, unique_identity

pytestmark = pytest.mark.e2e

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")
HEARTBEAT_INTERVAL = 300  # settings.OCPP_HEARTBEAT_INTERVAL's default: the platform fixture keeps it

BOOT_201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "E2E", "model": "Pending"}}
BOOT_16 = {"chargePointVendor": "E2E", "chargePointModel": "Pending"}
STATUS_201 = {"timestamp": "2026-03-01T10:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
NOTIFY_EVENT_201 = {
    "generatedAt": "2026-03-01T10:00:00Z",
    "seqNo": 0,
    "eventData": [{
        "eventId": 1, "timestamp": "2026-03-01T10:00:00Z", "trigger": "Delta", "actualValue": "Available",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
        "variable": {"name": "AvailabilityState"},
    }],
}
STATUS_16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


def assert_boot_answer(frame: list, *, status: str, interval: int) -> None:
    assert frame[0] == 3, frame
    answer = frame[2]
    assert set(answer) == {"currentTime", "interval", "status"}, answer
    assert ISO_UTC.match(answer["currentTime"]), answer
    assert (answer["status"], answer["interval"]) == (status, interval)


def assert_security_error(frame: list) -> None:
    assert frame[0] == 4, frame
    assert len(frame) == 5 and frame[2] == "SecurityError", frame
    assert isinstance(frame[3], str) and isinstance(frame[4], dict)


async def set_pending(api, identity: str, on: bool, **fields) -> dict:
    response = await asyncio.to_thread(
        api.patch, f"/api/charging_stations/{identity}/", json_body={"boot_pending": on, **fields}, expect=200
    )
    return response.json()


async def test_TC_B_02_cold_boot_pending_then_accepted(api, admin, new_station):
    station_row = new_station("PEND", boot_pending=True, boot_pending_interval=7)
    assert (station_row.created["boot_pending"], station_row.created["boot_pending_interval"]) == (True, 7)
    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, "2.0.1")
    try:
        # Steps 1-2: Pending, with the retry interval the operator chose.
        assert_boot_answer(await station.call("BootNotification", BOOT_201), status="Pending", interval=7)
        # During the interval the CSMS retrieves the device model (B02.FR.01, B07), so the operator sees it
        # before accepting; the report it asked for is welcome while Pending (B02.FR.09).
        read = await station.expect_call("GetBaseReport")
        assert set(read[3]) == {"requestId", "reportBase"} and read[3]["reportBase"] == "FullInventory"
        await station.reply(read, {"status": "Accepted"})
        report = await station.call("NotifyReport", {
            "requestId": read[3]["requestId"], "generatedAt": "2026-03-01T10:00:00Z", "seqNo": 0, "tbc": False,
            "reportData": [{
                "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
            }],
        })
        assert report[0] == 3 and report[2] == {}, report
        maintenance = await asyncio.to_thread(admin.page, f"/console/stations/{station_row.identity}/maintenance/")
        assert 'data-variable="OCPPCommCtrlr.HeartbeatInterval"' in maintenance
        # Step 3 of the interval note: the station boots again after 7 s, still Pending: read once per connection.
        assert_boot_answer(await station.call("BootNotification", BOOT_201), status="Pending", interval=7)
        await station.expect_silence(1.5)

        # While Pending the CSMS may change the configuration (B02.FR.01, B05): SetVariables.
        sent = await act(api, station_row.identity, "change_configuration",
                         component="OCPPCommCtrlr", variable="HeartbeatInterval", value="120")
        request = await station.expect_call("SetVariables")
        assert request[3] == {
            "setVariableData": [{
                "attributeValue": "120", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
            }]
        }
        await station.reply(request, {"setVariableResult": [{
            "attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
        }]})
        assert (await final(api, sent["id"]))["status"] == "accepted"

        # A remote start is no configuration request: refused by the platform, never sent.
        refused = await final(api, (await act(api, station_row.identity, "remote_start", id_tag="PENDING01"))["id"])
        assert refused["status"] == "failed"
        assert "Pending" in refused["error"] and "RequestStartTransaction" in refused["error"]
        await station.expect_silence(0.5)

        # The operator accepts the station; its next boot (step 3) is Accepted with the heartbeat interval.
        assert (await set_pending(api, station_row.identity, False))["boot_pending"] is False
        assert_boot_answer(await station.call("BootNotification", BOOT_201), status="Accepted", interval=HEARTBEAT_INTERVAL)
        # Accepted: the network's default reads the device model now.
        read = await station.expect_call("GetBaseReport")
        assert set(read[3]) == {"requestId", "reportBase"} and read[3]["reportBase"] == "FullInventory"
        assert isinstance(read[3]["requestId"], int)
        await station.reply(read, {"status": "Accepted"})
        # Steps 5-6: the station's own messages are answered now.
        status_answer = await station.call("StatusNotification", STATUS_201)
        assert status_answer[0] == 3 and status_answer[2] == {}
        event_answer = await station.call("NotifyEvent", NOTIFY_EVENT_201)
        assert event_answer[0] == 3 and event_answer[2] == {}
        seen = await api.station_when(station_row.identity, lambda s: s["state"] == "onboarded", what="onboarded")
        assert seen["boot_pending"] is False
    finally:
        await station.close()


@pytest.mark.parametrize("registration", ["Pending", "Rejected"])
async def test_TC_B_30_messages_of_a_station_not_accepted_get_security_error(registration, api, new_station):
    fields = {"boot_pending": True, "boot_pending_interval": 30} if registration == "Pending" else {}
    station_row = new_station("SECERR", **fields)
    if registration == "Rejected":
        await asyncio.to_thread(
            api.patch, f"/api/charging_stations/{station_row.identity}/", json_body={"state": "rejected"}, expect=200
        )
    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, "2.0.1")
    try:
        boot = await station.call("BootNotification", BOOT_201)
        assert_boot_answer(boot, status=registration, interval=30 if registration == "Pending" else HEARTBEAT_INTERVAL)
        if registration == "Pending":
            read = await station.expect_call("GetBaseReport")
            await station.reply(read, {"status": "Rejected"})
        # Steps 3-4: StatusNotification and NotifyEvent get CALLERROR SecurityError (B02.FR.09, B03.FR.07).
        assert_security_error(await station.call("StatusNotification", STATUS_201))
        assert_security_error(await station.call("NotifyEvent", NOTIFY_EVENT_201))
        assert_security_error(await station.call("Heartbeat", {}))
        if registration == "Pending":
            # Except what the CSMS itself triggered (B02.FR.09): TriggerMessage StatusNotification.
            sent = await act(api, station_row.identity, "trigger_message", requested_message="StatusNotification",
                             evse_id=1, connector_id=1)
            trigger = await station.expect_call("TriggerMessage")
            assert trigger[3] == {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}
            await station.reply(trigger, {"status": "Accepted"})
            assert (await final(api, sent["id"]))["status"] == "accepted"
            answer = await station.call("StatusNotification", STATUS_201)
            assert answer[0] == 3 and answer[2] == {}
            # The triggered report is stored; the refused ones were not.
            seen = await api.station_when(station_row.identity, lambda s: s["evses"], what="the triggered status stored")
            assert [(e["evse_id"], e["status"]) for e in seen["evses"]] == [(1, "Available")]
        else:
            # Nothing the station sent while not accepted changed what the platform shows.
            await asyncio.sleep(1.0)
            assert (await asyncio.to_thread(api.station, station_row.identity))["evses"] == []
    finally:
        await station.close()


async def test_TC_B_31_trigger_boot_notification_ends_pending(api, new_station):
    station_row = new_station("TRIG", boot_pending=True, boot_pending_interval=600)
    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, "2.0.1")
    try:
        assert_boot_answer(await station.call("BootNotification", BOOT_201), status="Pending", interval=600)
        read = await station.expect_call("GetBaseReport")
        await station.reply(read, {"status": "Accepted"})
        # The operator turns the switch off and asks for a boot now, well before the 600 s.
        await set_pending(api, station_row.identity, False)
        sent = await act(api, station_row.identity, "trigger_message", requested_message="BootNotification")
        trigger = await station.expect_call("TriggerMessage")
        # Step 3: requestedMessage BootNotification, nothing else.
        assert trigger[3] == {"requestedMessage": "BootNotification"}
        await station.reply(trigger, {"status": "Accepted"})
        assert (await final(api, sent["id"]))["result"] == "Accepted"
        # Steps 5-6: the triggered boot is Accepted.
        boot = await station.call("BootNotification", {**BOOT_201, "reason": "Triggered"})
        assert_boot_answer(boot, status="Accepted", interval=HEARTBEAT_INTERVAL)
        read = await station.expect_call("GetBaseReport")
        await station.reply(read, {"status": "Accepted"})
        # Steps 7-8.
        answer = await station.call("StatusNotification", STATUS_201)
        assert answer[0] == 3 and answer[2] == {}
        answer = await station.call("NotifyEvent", NOTIFY_EVENT_201)
        assert answer[0] == 3 and answer[2] == {}
    finally:
        await station.close()


async def test_16_cold_boot_pending_configuration_security_error_and_triggered_boot(api, new_station):
    """OCPP 1.6 §4.2 (the OCTT 1.6 cold boot with Pending): the same as TC_B_02/30/31 in 1.6 terms."""
    station_row = new_station("PEND16", boot_pending=True, boot_pending_interval=45)
    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, "1.6")
    try:
        assert_boot_answer(await station.call("BootNotification", BOOT_16), status="Pending", interval=45)
        # "The Central System MAY send request messages to retrieve information" (1.6 §4.2): the keys.
        read = await station.expect_call("GetConfiguration")
        assert read[3] == {}
        await station.reply(read, {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
        # A request of its own while Pending: SecurityError.
        assert_security_error(await station.call("Heartbeat", {}))
        assert_security_error(await station.call("StatusNotification", STATUS_16))
        # The CSMS may change the configuration while Pending.
        sent = await act(api, station_row.identity, "change_configuration", key="HeartbeatInterval", value="120")
        request = await station.expect_call("ChangeConfiguration")
        assert request[3] == {"key": "HeartbeatInterval", "value": "120"}
        await station.reply(request, {"status": "Accepted"})
        assert (await final(api, sent["id"]))["status"] == "accepted"
        # ... but not start a transaction.
        refused = await final(api, (await act(api, station_row.identity, "remote_start", id_tag="PENDING16"))["id"])
        assert refused["status"] == "failed" and "RemoteStartTransaction" in refused["error"]
        # Accepted on the boot it triggers once the switch is off.
        await set_pending(api, station_row.identity, False)
        sent = await act(api, station_row.identity, "trigger_message", requested_message="BootNotification")
        trigger = await station.expect_call("TriggerMessage")
        assert trigger[3] == {"requestedMessage": "BootNotification"}
        await station.reply(trigger, {"status": "Accepted"})
        assert_boot_answer(await station.call("BootNotification", BOOT_16), status="Accepted", interval=HEARTBEAT_INTERVAL)
        read = await station.expect_call("GetConfiguration")
        assert read[3] == {}
        await station.reply(read, {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "120"}]})
        assert (await final(api, sent["id"]))["status"] == "accepted"
        answer = await station.call("Heartbeat", {})
        assert answer[0] == 3 and set(answer[2]) == {"currentTime"}
    finally:
        await station.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_configuration_read_after_boot_follows_the_network_setting(version, platform, api, new_station):
    network = unique_identity("NOREAD")
    created = await asyncio.to_thread(api.create_network, network, read_configuration_after_boot=False)
    assert created["read_configuration_after_boot"] is False
    station_row = new_station("NOREAD", network=network)
    boot, read_action = (BOOT_16, "GetConfiguration") if version == "1.6" else (BOOT_201, "GetBaseReport")

    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, version)
    try:
        assert_boot_answer(await station.call("BootNotification", boot), status="Accepted", interval=HEARTBEAT_INTERVAL)
        # Off: nothing follows the boot (a certification run sees only what it expects).
        await station.expect_silence(2.0)
    finally:
        await station.close()

    await asyncio.to_thread(
        api.patch, f"/api/networks/{created['id']}/", json_body={"read_configuration_after_boot": True}, expect=200
    )
    station = await ScriptedStation.open(station_row.url, station_row.identity, station_row.password, version)
    try:
        assert_boot_answer(await station.call("BootNotification", boot), status="Accepted", interval=HEARTBEAT_INTERVAL)
        read = await station.expect_call(read_action)
        expected: Any = {} if version == "1.6" else {"requestId": read[3].get("requestId"), "reportBase": "FullInventory"}
        assert read[3] == expected
        await station.reply(read, {"configurationKey": []} if version == "1.6" else {"status": "Accepted"})
    finally:
        await station.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_simulator_retries_at_the_pending_interval_until_the_switch_is_off(version, api, new_station):
    """The retry interval as a station lives it: boots every interval while Pending, Accepted once the switch is off."""
    row = new_station("SIMPEND", boot_pending=True, boot_pending_interval=1)
    async with simulated_station(version, identity=row.identity, password=row.password, url=row.url, boot=False) as sim:
        booting = asyncio.create_task(sim.boot_until_accepted())
        try:
            await asyncio.sleep(2.5)
            assert not booting.done()
            assert sim.boots >= 2 and (sim.boot_status, sim.boot_interval) == ("Pending", 1)
            await set_pending(api, row.identity, False)
            await asyncio.wait_for(booting, 10)
        finally:
            booting.cancel()
        assert sim.boot_status == "Accepted" and sim.boot_interval == HEARTBEAT_INTERVAL
        seen = await api.station_when(row.identity, lambda s: s["state"] == "onboarded", what="onboarded")
        assert seen["ocpp_version"] == version
