"""Reservations (OCPP 2.0.1 block H, OCTT 1.6 reservation cases) against the live server.

Real stations (the simulator's, on the `ocpp` library's client, which validates every CALL and
CALLRESULT the CSMS sends against the OCA schemas) connect to the session's daphne; the operator acts
through the API (what the console, the admin and station_action call too). Each test follows its case's
steps and asserts the CSMS's messages as they were on the wire.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.scripted_station import act, final
from tests.servers import wait_for
from tests.wire_station import WireStation16, WireStation201

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def booted(new_station, cls, prefix: str):
    created = new_station(prefix)
    sim = cls(identity=created.identity, password=created.password, url=created.url)
    await sim.connect()
    try:
        await sim.boot()
        await sim.send_all_status()
        yield sim
    finally:
        await sim.disconnect()


def reservation(api, command_id: int) -> dict | None:
    found = [r for r in api.results("/api/reservations/", limit=500) if r["reservation_id"] == command_id]
    return found[0] if found else None


async def reservation_when(api, command_id: int, status: str) -> dict:
    def check() -> dict | None:
        row = reservation(api, command_id)
        return row if row and row["status"] == status else None

    return await asyncio.to_thread(wait_for, check, timeout=10, interval=0.2, what=f"reservation {command_id} {status}")


def expiry_of(payload: dict, key: str) -> datetime:
    return datetime.fromisoformat(payload[key].replace("Z", "+00:00"))


# --- 2.0.1 --------------------------------------------------------------------------------------


async def test_TC_H_01_reserve_a_specific_evse_accepted(api, new_station):
    async with booted(new_station, WireStation201, "H01") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H01", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=30)
        done = await final(api, command["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        [request] = sim.calls("ReserveNow")
        assert set(request) == {"id", "expiryDateTime", "idToken", "evseId"}  # connectorType omitted
        assert request["id"] == command["id"] and request["evseId"] == 1
        assert request["idToken"] == {"idToken": "DRIVER-H01", "type": "ISO14443"}
        assert abs((expiry_of(request, "expiryDateTime") - datetime.now(UTC)) - timedelta(minutes=30)) < timedelta(seconds=30)
        row = await reservation_when(api, command["id"], "reserved")
        assert (row["evse_id"], row["id_token"], row["station_status"]) == (1, "DRIVER-H01", "Accepted")
        # The station shows the connector Reserved (its StatusNotification).
        await asyncio.to_thread(api.wait_for_station, sim.id, lambda s: "Reserved" in json.dumps(s), what="a Reserved connector")


async def test_TC_H_14_reserve_an_unspecified_evse(api, new_station):
    async with booted(new_station, WireStation201, "H14") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H14", id_token_type="ISO14443", expires_in_minutes=10)
        assert (await final(api, command["id"]))["status"] == "accepted"
        [request] = sim.calls("ReserveNow")
        assert "evseId" not in request and "connectorType" not in request
        await reservation_when(api, command["id"], "reserved")


async def test_TC_H_15_reserve_a_connector_type(api, new_station):
    async with booted(new_station, WireStation201, "H15") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H15", id_token_type="ISO14443",
                            connector_type="cCCS2", expires_in_minutes=10)
        assert (await final(api, command["id"]))["status"] == "accepted"
        [request] = sim.calls("ReserveNow")
        assert request["connectorType"] == "cCCS2" and "evseId" not in request


async def test_TC_H_07_a_reservation_the_station_expires_ends_expired(api, new_station):
    async with booted(new_station, WireStation201, "H07") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H07", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=5)
        assert (await final(api, command["id"]))["status"] == "accepted"
        await reservation_when(api, command["id"], "reserved")
        # Steps 7-8: the station's ReservationStatusUpdate (Expired) is answered and ends the reservation.
        answer = await sim.request(call201.ReservationStatusUpdate(reservation_id=command["id"], reservation_update_status="Expired"))
        assert answer is not None
        row = await reservation_when(api, command["id"], "expired")
        assert row["ended_at"] is not None


async def test_TC_H_08_a_transaction_on_the_reservation_ends_it_used(api, new_station):
    async with booted(new_station, WireStation201, "H08") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H08", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=30)
        assert (await final(api, command["id"]))["status"] == "accepted"
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        await sim.request(call201.TransactionEvent(
            event_type="Started", timestamp=now, trigger_reason="Authorized", seq_no=0,
            transaction_info={"transactionId": "H08-TX"}, id_token={"idToken": "DRIVER-H08", "type": "ISO14443"},
            evse={"id": 1, "connectorId": 1}, reservation_id=command["id"],
        ))
        row = await reservation_when(api, command["id"], "used")
        session = api.get("/api/sessions/", params={"station": sim.id}, expect=200).json()["results"][0]
        assert row["session"] == session["id"] and session["transaction_id"] == "H08-TX"


async def test_TC_H_19_reserve_for_a_group(api, new_station):
    async with booted(new_station, WireStation201, "H19") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H19", id_token_type="ISO14443", evse_id=1,
                            group_id_token="FLEET-H19", expires_in_minutes=10)
        assert (await final(api, command["id"]))["status"] == "accepted"
        [request] = sim.calls("ReserveNow")
        assert request["groupIdToken"] == {"idToken": "FLEET-H19", "type": "Central"}
        assert (await reservation_when(api, command["id"], "reserved"))["group_id_token"] == "FLEET-H19"


@pytest.mark.parametrize("answer", ["Occupied", "Faulted", "Unavailable", "Rejected"])
async def test_a_refused_reservation_keeps_the_stations_word(api, new_station, answer):
    async with booted(new_station, WireStation201, "HR") as sim:
        sim.reservation_answer = answer
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-HR", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=10)
        done = await final(api, command["id"])
        assert (done["status"], done["result"]) == ("rejected", answer)
        row = await reservation_when(api, command["id"], "refused")
        assert row["station_status"] == answer


async def test_TC_H_16_and_H_17_cancel_accepted_then_nothing_left_to_cancel(api, new_station):
    async with booted(new_station, WireStation201, "H16") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H16", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=10)
        await final(api, command["id"])
        cancel = await act(api, sim.id, "cancel_reservation", reservation_id=command["id"])
        assert (await final(api, cancel["id"]))["status"] == "accepted"
        assert sim.calls("CancelReservation") == [{"reservationId": command["id"]}]
        await reservation_when(api, command["id"], "cancelled")
        # A reservation that is over cannot be cancelled again: a field error, nothing sent.
        again = await asyncio.to_thread(api.post, f"/api/charging_stations/{sim.id}/actions/cancel_reservation/",
                                        json_body={"reservation_id": command["id"]}, expect=400)
        assert "over" in json.dumps(again.json())
        assert len(sim.calls("CancelReservation")) == 1


async def test_a_station_that_rejects_the_cancel_keeps_the_reservation(api, new_station):
    async with booted(new_station, WireStation201, "H18") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="DRIVER-H18", id_token_type="ISO14443", evse_id=1,
                            expires_in_minutes=10)
        await final(api, command["id"])
        sim.release(command["id"])  # the station forgot it (e.g. a reboot)
        cancel = await act(api, sim.id, "cancel_reservation", reservation_id=command["id"])
        assert (await final(api, cancel["id"]))["result"] == "Rejected"
        assert (await reservation_when(api, command["id"], "reserved"))["ended_at"] is None


# --- 1.6 ----------------------------------------------------------------------------------------


async def test_16_TC_046_reserve_a_connector_and_use_it(api, new_station):
    async with booted(new_station, WireStation16, "R46") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="TAG-46", connector_id=1, expires_in_minutes=30)
        done = await final(api, command["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        [request] = sim.calls("ReserveNow")
        assert set(request) == {"connectorId", "expiryDate", "idTag", "reservationId"}
        assert (request["connectorId"], request["idTag"], request["reservationId"]) == (1, "TAG-46", command["id"])
        await reservation_when(api, command["id"], "reserved")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        started = await sim.request(call16.StartTransaction(connector_id=1, id_tag="TAG-46", meter_start=0, timestamp=now,
                                                            reservation_id=command["id"]))
        row = await reservation_when(api, command["id"], "used")
        session = api.get(f"/api/sessions/{row['session']}/", expect=200).json()
        assert session["transaction_id"] == str(started.transaction_id)


async def test_16_TC_047_parent_id_tag_and_connector_zero(api, new_station):
    async with booted(new_station, WireStation16, "R47") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="TAG-47", group_id_token="PARENT-47", connector_id=0,
                            expires_in_minutes=10)
        await final(api, command["id"])
        [request] = sim.calls("ReserveNow")
        assert (request["connectorId"], request["parentIdTag"]) == (0, "PARENT-47")


async def test_16_TC_048_cancel_a_reservation(api, new_station):
    async with booted(new_station, WireStation16, "R48") as sim:
        command = await act(api, sim.id, "reserve_now", id_token="TAG-48", connector_id=1, expires_in_minutes=10)
        await final(api, command["id"])
        cancel = await act(api, sim.id, "cancel_reservation", reservation_id=command["id"])
        assert (await final(api, cancel["id"]))["status"] == "accepted"
        assert sim.calls("CancelReservation") == [{"reservationId": command["id"]}]
        await reservation_when(api, command["id"], "cancelled")


@pytest.mark.parametrize("answer", ["Faulted", "Occupied", "Unavailable", "Rejected"])
async def test_16_TC_049_051_052_refused_reservations(api, new_station, answer):
    async with booted(new_station, WireStation16, "R49") as sim:
        sim.reservation_answer = answer
        command = await act(api, sim.id, "reserve_now", id_token="TAG-49", connector_id=1, expires_in_minutes=10)
        assert (await final(api, command["id"]))["result"] == answer
        assert (await reservation_when(api, command["id"], "refused"))["station_status"] == answer


async def test_per_version_fields_are_field_errors(api, new_station):
    async with booted(new_station, WireStation16, "RF") as sim:
        refused = await asyncio.to_thread(api.post, f"/api/charging_stations/{sim.id}/actions/reserve_now/",
                                          json_body={"id_token": "T", "evse_id": 1, "connector_type": "cType2"}, expect=400)
        errors = refused.json()
        assert {"evse_id", "connector_type", "connector_id"} <= set(errors)
        assert sim.calls("ReserveNow") == []
