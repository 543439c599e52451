"""Display messages (issue 14, block O): the OCA CSMS test cases, driven through the API as an operator
does, against real websocket stations on the session's live server.

Each test names its case (OCPP 2.0.1 Part 6 "TC_O_.._CSMS"), performs the manual action the case asks of
the CSMS, and asserts the CALL the station received field by field, as it came over the wire. The
stations are the `ocpp` library's client (simulator/ with simulator.displays), which validates every
incoming CALL against the OCA JSON schema and answers a CALLERROR on any violation: each test ends
asserting none was sent. What the station holds is then read back where an operator reads it: the
API (/api/display_messages/) and the console's station page.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.recording_station import act, listed, operator_action, recording_station
from tests.servers import until

pytestmark = pytest.mark.e2e

WELCOME = {"priority": "NormalCycle", "state": "Idle", "content": "Welkom! Scan uw pas om te laden.", "message_format": "UTF8", "language": "nl"}


def message_on_station(message_id: int, priority: str = "NormalCycle", state: str | None = "Idle", content: str = "Configured", **extra) -> dict[str, Any]:
    """A message the station already has (the cases' 'Memory State: a display message is configured')."""
    message: dict[str, Any] = {"id": message_id, "priority": priority, "message": {"format": "UTF8", "content": content}, **extra}
    if state:
        message["state"] = state
    return message


async def messages_listed(api, identity: str) -> list[dict[str, Any]]:
    return await listed(api, "/api/display_messages/", station=identity)


async def wait_messages(api, identity: str, count: int) -> list[dict[str, Any]]:
    def enough():
        rows = api.results("/api/display_messages/", station=identity)
        return (rows,) if len(rows) == count else None

    (rows,) = await until(enough, timeout=10, what=f"{count} display messages listed")
    return rows


def display_section(admin, identity: str) -> str:
    page = admin.page(f"/console/stations/{identity}/maintenance/")
    found = re.search(r'<div class="module" id="display-messages">(.*?)</div>', page, re.S)
    assert found, "the page has no display messages section"
    return found.group(1)


async def set_message(api, sim, **params) -> tuple[dict, dict]:
    done = await operator_action(api, sim.identity, "set_display_message", **params)
    requests = await sim.wait_sent("SetDisplayMessage", len(sim.sent("SetDisplayMessage")) or 1)
    return done, requests[-1]


# --- O01 SetDisplayMessage ---------------------------------------------------------------------------------


async def test_TC_O_01_set_display_message(api, admin, new_station):
    async with recording_station(new_station) as sim:
        done, request = await set_message(api, sim, **WELCOME)
        # O01.FR.04: not for a transaction, so no transactionId.
        assert request == {
            "message": {
                "id": 1, "priority": "NormalCycle", "state": "Idle",
                "message": {"format": "UTF8", "language": "nl", "content": "Welkom! Scan uw pas om te laden."},
            }
        }
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.display_messages[1]["message"]["content"] == "Welkom! Scan uw pas om te laden."
        rows = await messages_listed(api, sim.identity)
    assert [(r["message_id"], r["priority"], r["state"], r["content"], r["language"], r["transaction_id"], r["source"]) for r in rows] == [
        (1, "NormalCycle", "Idle", "Welkom! Scan uw pas om te laden.", "nl", "", "set")
    ]
    shown = await asyncio.to_thread(display_section, admin, sim.identity)
    assert re.search(r'data-message-id="1".*?NormalCycle.*?Idle.*?Welkom! Scan uw pas om te laden\..*?set here', shown, re.S)


async def test_TC_O_13_set_display_message_at_start_time(api, new_station):
    async with recording_station(new_station) as sim:
        done, request = await set_message(api, sim, priority="InFront", content="Onderhoud vanaf 22:00", start_date_time="2030-01-05T21:00:00Z")
        assert request == {
            "message": {"id": 1, "priority": "InFront", "startDateTime": "2030-01-05T21:00:00Z", "message": {"format": "UTF8", "content": "Onderhoud vanaf 22:00"}}
        }
        assert done["result"] == "Accepted"
        (row,) = await messages_listed(api, sim.identity)
    assert row["start_at"].startswith("2030-01-05T21:00:00") and row["end_at"] is None


async def test_TC_O_14_set_display_message_removed_after_end_time(api, new_station):
    async with recording_station(new_station) as sim:
        done, request = await set_message(api, sim, priority="NormalCycle", content="Actie tot vanavond", end_date_time="2030-01-05T23:59:00+01:00")
        # Sent in UTC.
        assert request == {
            "message": {"id": 1, "priority": "NormalCycle", "endDateTime": "2030-01-05T22:59:00Z", "message": {"format": "UTF8", "content": "Actie tot vanavond"}}
        }
        assert done["result"] == "Accepted"


async def test_TC_O_25_set_display_message_specific_state(api, new_station):
    async with recording_station(new_station) as sim:
        done, request = await set_message(api, sim, priority="NormalCycle", state="Charging", content="U laadt nu met groene stroom")
        assert request["message"]["state"] == "Charging"
        assert request == {
            "message": {"id": 1, "priority": "NormalCycle", "state": "Charging", "message": {"format": "UTF8", "content": "U laadt nu met groene stroom"}}
        }
        assert done["result"] == "Accepted"


async def test_TC_O_17_set_display_message_not_supported_priority(api, new_station):
    async with recording_station(new_station) as sim:
        sim.supported_priorities = {"NormalCycle"}
        done, request = await set_message(api, sim, priority="AlwaysFront", content="Storing: laadpunt buiten gebruik")
        assert request == {"message": {"id": 1, "priority": "AlwaysFront", "message": {"format": "UTF8", "content": "Storing: laadpunt buiten gebruik"}}}
        assert (done["status"], done["result"]) == ("rejected", "NotSupportedPriority")
        assert await messages_listed(api, sim.identity) == []


async def test_TC_O_18_set_display_message_not_supported_state(api, new_station):
    async with recording_station(new_station) as sim:
        sim.supported_states = {"Idle", "Charging"}
        done, request = await set_message(api, sim, priority="NormalCycle", state="Unavailable", content="Tijdelijk niet beschikbaar")
        assert request == {"message": {"id": 1, "priority": "NormalCycle", "state": "Unavailable", "message": {"format": "UTF8", "content": "Tijdelijk niet beschikbaar"}}}
        assert (done["status"], done["result"]) == ("rejected", "NotSupportedState")
        assert await messages_listed(api, sim.identity) == []


async def test_TC_O_19_set_display_message_not_supported_message_format(api, new_station):
    async with recording_station(new_station) as sim:
        sim.supported_formats = {"ASCII", "UTF8"}
        done, request = await set_message(api, sim, priority="NormalCycle", message_format="HTML", content="<b>Welkom</b>")
        assert request == {"message": {"id": 1, "priority": "NormalCycle", "message": {"format": "HTML", "content": "<b>Welkom</b>"}}}
        assert (done["status"], done["result"]) == ("rejected", "NotSupportedMessageFormat")


async def test_TC_O_26_set_display_message_rejected(api, new_station):
    async with recording_station(new_station) as sim:
        sim.scripted["SetDisplayMessage"].append({"status": "Rejected"})
        done, request = await set_message(api, sim, priority="NormalCycle", content="Welkom")
        assert request == {"message": {"id": 1, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "Welkom"}}}
        assert (done["status"], done["result"]) == ("rejected", "Rejected")
        assert await messages_listed(api, sim.identity) == []


async def test_set_display_message_refuses_bad_input_with_field_errors(api, new_station):
    async with recording_station(new_station) as sim:
        refused = await act(api, sim.identity, "set_display_message", expect=400, priority="Sometimes", content="x" * 513,
                            start_date_time="2030-01-05T21:00:00Z", end_date_time="2030-01-05T20:00:00Z")
        assert set(refused) >= {"priority", "content", "end_date_time"}
        assert sim.sent("SetDisplayMessage") == []


# --- O06 replace ----------------------------------------------------------------------------------------------


async def test_TC_O_12_set_display_message_replaces_one_with_the_same_id(api, admin, new_station):
    async with recording_station(new_station) as sim:
        await set_message(api, sim, **WELCOME)
        done, request = await set_message(api, sim, message_id=1, priority="InFront", content="Nieuw tarief: 0,39 EUR/kWh", message_format="UTF8")
        assert request == {"message": {"id": 1, "priority": "InFront", "message": {"format": "UTF8", "content": "Nieuw tarief: 0,39 EUR/kWh"}}}
        assert done["result"] == "Accepted"
        assert list(sim.display_messages) == [1]
        rows = await messages_listed(api, sim.identity)
    # Replaced as a whole: the old state and language went with it.
    assert [(r["message_id"], r["priority"], r["state"], r["content"], r["language"]) for r in rows] == [
        (1, "InFront", "", "Nieuw tarief: 0,39 EUR/kWh", "")
    ]
    shown = await asyncio.to_thread(display_section, admin, sim.identity)
    assert "Nieuw tarief" in shown and "Welkom" not in shown


# --- O02 messages for a transaction ---------------------------------------------------------------------------


async def charging(sim, api) -> tuple[asyncio.Task, str]:
    """Reusable state EnergyTransferStarted: a session runs; its transaction id as the platform lists it."""
    task = sim.spawn(sim.charge(kwh=None))

    def running():
        rows = api.results("/api/sessions/", station=sim.identity, status="active")
        return rows[0]["transaction_id"] if rows else None

    return task, await until(running, timeout=10, what="the session listed")


async def ev_disconnected(sim, task: asyncio.Task) -> None:
    sim.connectors[1].stop_reason = "EVDisconnected"
    sim.connectors[1].stop_requested.set()
    await asyncio.wait_for(task, 10)


@pytest.mark.parametrize(
    "case, times",
    [
        ("TC_O_06", {}),
        ("TC_O_27", {"start_date_time": "2030-01-05T21:00:00Z"}),
        ("TC_O_28", {"end_date_time": "2030-01-05T23:00:00Z"}),
    ],
)
async def test_TC_O_06_27_28_set_display_message_for_a_transaction(case, times, api, new_station):
    async with recording_station(new_station) as sim:
        task, transaction_id = await charging(sim, api)
        done, request = await set_message(api, sim, priority="InFront", content="Uw sessie: 4,2 kWh", transaction_id=transaction_id, **times)
        expected = {"id": 1, "priority": "InFront", "transactionId": transaction_id, "message": {"format": "UTF8", "content": "Uw sessie: 4,2 kWh"}}
        expected.update({"startDateTime": times["start_date_time"]} if "start_date_time" in times else {})
        expected.update({"endDateTime": times["end_date_time"]} if "end_date_time" in times else {})
        assert request == {"message": expected}, case
        assert done["result"] == "Accepted"
        await ev_disconnected(sim, task)
        (row,) = await messages_listed(api, sim.identity)
        assert row["transaction_id"] == transaction_id


async def test_TC_O_10_set_display_message_unknown_transaction(api, new_station):
    async with recording_station(new_station) as sim:
        task, transaction_id = await charging(sim, api)
        done, request = await set_message(api, sim, priority="InFront", content="Uw sessie", transaction_id="no-such-transaction")
        assert request == {"message": {"id": 1, "priority": "InFront", "transactionId": "no-such-transaction", "message": {"format": "UTF8", "content": "Uw sessie"}}}
        assert (done["status"], done["result"]) == ("rejected", "UnknownTransaction")
        await ev_disconnected(sim, task)
        assert await messages_listed(api, sim.identity) == []


# --- O03/O04 GetDisplayMessages -----------------------------------------------------------------------------------


async def test_TC_O_02_get_all_display_messages(api, admin, new_station):
    async with recording_station(new_station) as sim:
        for n in range(1, 7):  # in parts of 4: two NotifyDisplayMessages, tbc on the first
            sim.display_messages[n] = message_on_station(n, content=f"Bericht {n}")
        done = await operator_action(api, sim.identity, "get_display_messages")
        assert await sim.wait_sent("GetDisplayMessages") == [{"requestId": done["id"]}]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        rows = await wait_messages(api, sim.identity, 6)
    assert [(r["message_id"], r["content"], r["source"]) for r in rows] == [(n, f"Bericht {n}", "report") for n in range(1, 7)]
    shown = await asyncio.to_thread(display_section, admin, sim.identity)
    assert re.search(r'data-message-id="6".*?Bericht 6.*?station report', shown, re.S)


async def test_TC_O_03_get_all_display_messages_none_configured(api, new_station):
    async with recording_station(new_station) as sim:
        await set_message(api, sim, **WELCOME)
        sim.display_messages.clear()  # the station dropped it (outdated)
        done = await operator_action(api, sim.identity, "get_display_messages")
        assert sim.sent("GetDisplayMessages") == [{"requestId": done["id"]}]
        assert (done["status"], done["result"]) == ("accepted", "Unknown")
        # The station has none: the list follows.
        assert await messages_listed(api, sim.identity) == []


async def test_TC_O_07_get_a_specific_display_message_by_id(api, new_station):
    async with recording_station(new_station) as sim:
        sim.display_messages.update({4: message_on_station(4, content="Vier"), 5: message_on_station(5, content="Vijf")})
        done = await operator_action(api, sim.identity, "get_display_messages", ids="5")
        assert await sim.wait_sent("GetDisplayMessages") == [{"requestId": done["id"], "id": [5]}]
        assert done["result"] == "Accepted"
        rows = await wait_messages(api, sim.identity, 1)
    assert [(r["message_id"], r["content"]) for r in rows] == [(5, "Vijf")]


async def test_TC_O_08_get_a_specific_display_message_by_priority(api, new_station):
    async with recording_station(new_station) as sim:
        sim.display_messages.update({1: message_on_station(1, priority="AlwaysFront", content="Storing"), 2: message_on_station(2, content="Welkom")})
        done = await operator_action(api, sim.identity, "get_display_messages", priority="AlwaysFront")
        assert await sim.wait_sent("GetDisplayMessages") == [{"requestId": done["id"], "priority": "AlwaysFront"}]
        rows = await wait_messages(api, sim.identity, 1)
    assert [(r["message_id"], r["priority"]) for r in rows] == [(1, "AlwaysFront")]


async def test_TC_O_09_get_a_specific_display_message_by_state(api, new_station):
    async with recording_station(new_station) as sim:
        sim.display_messages.update({1: message_on_station(1, state="Charging", content="Laden"), 2: message_on_station(2, state="Idle")})
        done = await operator_action(api, sim.identity, "get_display_messages", state="Charging")
        assert await sim.wait_sent("GetDisplayMessages") == [{"requestId": done["id"], "state": "Charging"}]
        rows = await wait_messages(api, sim.identity, 1)
    assert [(r["message_id"], r["state"]) for r in rows] == [(1, "Charging")]


async def test_TC_O_11_get_a_specific_display_message_unknown_id(api, new_station):
    async with recording_station(new_station) as sim:
        sim.display_messages[1] = message_on_station(1)
        done = await operator_action(api, sim.identity, "get_display_messages", ids=[99])
        assert sim.sent("GetDisplayMessages") == [{"requestId": done["id"], "id": [99]}]
        assert (done["status"], done["result"]) == ("accepted", "Unknown")


# --- O05 ClearDisplayMessage ---------------------------------------------------------------------------------------


async def test_TC_O_04_clear_display_message(api, admin, new_station):
    async with recording_station(new_station) as sim:
        await set_message(api, sim, **WELCOME)
        done = await operator_action(api, sim.identity, "clear_display_message", message_id=1)
        assert await sim.wait_sent("ClearDisplayMessage") == [{"id": 1}]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.display_messages == {}
        assert await messages_listed(api, sim.identity) == []
    assert "No display messages known" in await asyncio.to_thread(display_section, admin, sim.identity)


async def test_TC_O_05_clear_display_message_unknown_key(api, new_station):
    async with recording_station(new_station) as sim:
        done = await operator_action(api, sim.identity, "clear_display_message", message_id=42)
        assert await sim.wait_sent("ClearDisplayMessage") == [{"id": 42}]
        assert (done["status"], done["result"]) == ("rejected", "Unknown")
