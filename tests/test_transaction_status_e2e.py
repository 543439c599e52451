"""GetTransactionStatus (OCPP 2.0.1 E14): TC_E_29, 30, 31, 33 and 34 of the Part 6 document.

The operator sends the action through the API; a scripted 2.0.1 station answers as the OCTT does. The
request is asserted field by field, and the answer (ongoingIndicator, messagesInQueue) as the command
shows it, in the API and on the station's Commands tab.
"""
from __future__ import annotations

import asyncio
import html

import pytest

from tests.scripted_station import ScriptedStation, act, final

pytestmark = pytest.mark.e2e

BOOT = {"reason": "PowerUp", "chargingStation": {"vendorName": "E2E", "model": "TxStatus"}}


def transaction_event(event_type: str, transaction_id: str, seq_no: int, *, trigger: str, offline: bool = False,
                      charging_state: str | None = None, meter_wh: int | None = None) -> dict:
    info: dict = {"transactionId": transaction_id}
    if charging_state:
        info["chargingState"] = charging_state
    payload: dict = {
        "eventType": event_type, "timestamp": f"2026-03-01T10:{seq_no:02d}:00Z", "triggerReason": trigger,
        "seqNo": seq_no, "transactionInfo": info,
    }
    if event_type == "Started":
        payload["evse"] = {"id": 1, "connectorId": 1}
        payload["idToken"] = {"idToken": "TXSTATUS01", "type": "ISO14443"}
    if offline:
        payload["offline"] = True
    if meter_wh is not None:
        payload["meterValue"] = [{
            "timestamp": f"2026-03-01T10:{seq_no:02d}:00Z",
            "sampledValue": [{"value": meter_wh, "measurand": "Energy.Active.Import.Register"}],
        }]
    return payload


async def booted(row) -> ScriptedStation:
    station = await ScriptedStation.open(row.url, row.identity, row.password, "2.0.1")
    boot = await station.call("BootNotification", BOOT)
    assert boot[2]["status"] == "Accepted", boot
    read = await station.expect_call("GetBaseReport")
    await station.reply(read, {"status": "Accepted"})
    return station


async def reconnected(row) -> ScriptedStation:
    """The OCTT closes the socket and comes back without a new boot (an accepted station)."""
    return await ScriptedStation.open(row.url, row.identity, row.password, "2.0.1")


async def energy_transfer_started(row, transaction_id: str) -> ScriptedStation:
    """The reusable state EnergyTransferStarted: a transaction started and charging."""
    station = await booted(row)
    started = await station.call("TransactionEvent", transaction_event(
        "Started", transaction_id, 0, trigger="Authorized", charging_state="EVConnected", meter_wh=0))
    assert started[0] == 3 and started[2]["idTokenInfo"]["status"] == "Accepted", started
    charging = await station.call("TransactionEvent", transaction_event(
        "Updated", transaction_id, 1, trigger="ChargingStateChanged", charging_state="Charging"))
    assert charging[0] == 3 and charging[2] == {}, charging
    return station


async def ask_status(api, station: ScriptedStation, row, *, transaction_id: str | None, answer: dict) -> dict:
    """Steps "CSMS sends GetTransactionStatusRequest / OCTT responds": returns the final command."""
    params = {"transaction_id": transaction_id} if transaction_id else {}
    sent = await act(api, row.identity, "get_transaction_status", **params)
    request = await station.expect_call("GetTransactionStatus")
    # Tool validations: transactionId exactly the transaction's, or omitted (TC_E_33/34).
    assert request[3] == ({"transactionId": transaction_id} if transaction_id else {})
    await station.reply(request, answer)
    return await final(api, sent["id"])


def assert_command_shows(command: dict, *, result: str, answer: dict, admin, identity: str) -> None:
    assert (command["action"], command["status"], command["result"]) == ("get_transaction_status", "accepted", result)
    assert command["answer"] == answer
    page = html.unescape(admin.page(f"/console/stations/{identity}/commands/"))
    assert "Get transaction status" in page and result in page


# TC_E_29 asks about its transaction, TC_E_33 about any (transactionId omitted, E14.FR.06): the station
# answers that messages are queued, then delivers the queued event, sent offline.
QUEUED_CASES = {
    "TC_E_29": ("TX-E29", {"ongoingIndicator": True, "messagesInQueue": True}, "Ongoing, messages in queue"),
    "TC_E_33": (None, {"messagesInQueue": True}, "Messages in queue"),
}


@pytest.mark.parametrize("case", list(QUEUED_CASES))
async def test_TC_E_29_and_TC_E_33_messages_in_queue_after_a_reconnect(case, api, admin, new_station):
    asked, answer, result = QUEUED_CASES[case]
    row = new_station(case.replace("_", ""))
    transaction_id = f"TX-{row.identity}"
    station = await energy_transfer_started(row, transaction_id)
    await station.close()  # steps 1-2
    station = await reconnected(row)
    try:
        command = await ask_status(api, station, row, transaction_id=asked and transaction_id, answer=answer)  # steps 3-4
        assert_command_shows(command, result=result, answer=answer, admin=admin, identity=row.identity)
        # Steps 5-6: the queued event, sent offline, is answered.
        queued = await station.call("TransactionEvent", transaction_event(
            "Updated", transaction_id, 2, trigger="MeterValuePeriodic", offline=True, meter_wh=1500))
        assert queued[0] == 3 and queued[2] == {}, queued
    finally:
        await station.close()


async def test_TC_E_30_transaction_ongoing_without_messages_in_queue(api, admin, new_station):
    row = new_station("E30")
    station = await energy_transfer_started(row, "TX-E30")
    try:
        answer = {"ongoingIndicator": True, "messagesInQueue": False}
        command = await ask_status(api, station, row, transaction_id="TX-E30", answer=answer)
        assert_command_shows(command, result="Ongoing, no messages in queue", answer=answer, admin=admin, identity=row.identity)
    finally:
        await station.close()


async def test_TC_E_31_transaction_ended_with_messages_in_queue(api, admin, new_station):
    row = new_station("E31")
    station = await energy_transfer_started(row, "TX-E31")
    await station.close()
    station = await reconnected(row)
    try:
        # Step 3: the Ended event first, skipping two sequence numbers (2 and 3).
        ended = await station.call("TransactionEvent", transaction_event(
            "Ended", "TX-E31", 4, trigger="EVCommunicationLost", offline=True, charging_state="Idle"))
        assert ended[0] == 3 and ended[2] == {}, ended
        answer = {"ongoingIndicator": False, "messagesInQueue": True}
        command = await ask_status(api, station, row, transaction_id="TX-E31", answer=answer)  # steps 5-6
        assert_command_shows(command, result="Ended, messages in queue", answer=answer, admin=admin, identity=row.identity)
        # Steps 7-10: the two skipped events arrive late and are answered.
        late = await station.call("TransactionEvent", transaction_event(
            "Updated", "TX-E31", 2, trigger="StopAuthorized", offline=True))
        assert late[0] == 3, late
        late = await station.call("TransactionEvent", transaction_event(
            "Updated", "TX-E31", 3, trigger="ChargingStateChanged", offline=True, charging_state="EVConnected"))
        assert late[0] == 3, late
    finally:
        await station.close()


async def test_TC_E_34_without_transaction_id_without_messages_in_queue(api, admin, new_station):
    row = new_station("E34")
    station = await booted(row)
    try:
        answer = {"messagesInQueue": False}
        command = await ask_status(api, station, row, transaction_id=None, answer=answer)
        assert_command_shows(command, result="No messages in queue", answer=answer, admin=admin, identity=row.identity)
    finally:
        await station.close()


async def test_a_16_station_is_not_offered_get_transaction_status(api, new_station):
    row = new_station("E16", ocpp_version="1.6")
    response = await asyncio.to_thread(
        api.post, f"/api/charging_stations/{row.identity}/actions/get_transaction_status/", json_body={}, expect=400
    )
    assert response.json() == {
        "non_field_errors": ["Get transaction status does not exist in OCPP 1.6; it exists in OCPP 2.0.1."]
    }
