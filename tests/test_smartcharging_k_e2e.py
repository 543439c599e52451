"""OCPP 2.0.1 Part 6 block K (CSMS side) and OCTT 1.6 smart-charging cases, end to end.

An operator sends each action through the API to a simulated station on real websockets; the test
reads the request as the station received it (the library validated it against the OCA schema on
both sides) and asserts it field by field, then the outcome the operator sees.
"""
from __future__ import annotations

import asyncio

import pytest

from tests.scripted_station import act
from tests.servers import simulated_station, wait_for

pytestmark = pytest.mark.e2e


async def outcome(api, command_id: int) -> dict:
    def final() -> dict | None:
        command = api.get(f"/api/commands/{command_id}/", expect=200).json()
        return command if command["final"] else None

    return await asyncio.to_thread(wait_for, final, timeout=20, what=f"command {command_id} to finish")


async def profiles(api, identity: str) -> list[dict]:
    response = await asyncio.to_thread(api.get, "/api/charging_profiles/", params={"station__identity": identity}, expect=200)
    return response.json()["results"]


async def charging(station) -> str:
    """Start a session that runs until stopped; return its transaction id once the CSMS has it."""
    station.spawn(station.charge(kwh=None))
    for _ in range(200):
        if station.connectors[1].transaction_id is not None and station.connectors[1].status == "Charging":
            return station.connectors[1].transaction_id
        await asyncio.sleep(0.05)
    raise AssertionError("the session did not start")


async def stop(station) -> None:
    station.connectors[1].stop_reason = "Local"
    station.connectors[1].stop_requested.set()
    await asyncio.sleep(0.5)


# --- OCPP 2.0.1 ------------------------------------------------------------------------------------


async def test_TC_K_01_set_charging_profile_tx_default_specific_evse(api, new_station):
    new = new_station("K01")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        sent = await act(
            api, new.identity, "set_charging_profile", evse_id=1, profile_id=11, purpose="TxDefaultProfile",
            kind="Absolute", stack_level=0, start_schedule="2026-01-01T00:00:00Z", charging_rate_unit="A", periods="0:16, 3600:10",
        )
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["evse_id"] == 1
        profile = request["charging_profile"]
        assert profile["id"] == 11
        assert profile["stack_level"] == 0
        assert profile["charging_profile_purpose"] == "TxDefaultProfile"
        assert profile["charging_profile_kind"] == "Absolute"
        assert "transaction_id" not in profile and "recurrency_kind" not in profile
        (schedule,) = profile["charging_schedule"]
        assert schedule["id"] == 11
        assert schedule["start_schedule"] == "2026-01-01T00:00:00+00:00"
        assert schedule["charging_rate_unit"] == "A"
        # K01.FR.31: the first period starts at 0.
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 16.0}, {"start_period": 3600, "limit": 10.0}]
        assert (done["status"], done["result"], done["answer"]) == ("accepted", "Accepted", {"status": "Accepted"})
    (stored,) = await profiles(api, new.identity)
    assert (stored["status"], stored["profile_id"], stored["evse_id"], stored["purpose"]) == ("installed", 11, 1, "TxDefaultProfile")


async def test_TC_K_10_set_charging_profile_tx_default_all_evses(api, new_station):
    new = new_station("K10")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        sent = await act(
            api, new.identity, "set_charging_profile", evse_id=0, purpose="TxDefaultProfile", kind="Relative",
            stack_level=2, charging_rate_unit="W", periods="0:7400:1",
        )
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["evse_id"] == 0
        profile = request["charging_profile"]
        assert profile["id"] == 1  # the next free id on this station
        assert (profile["stack_level"], profile["charging_profile_purpose"], profile["charging_profile_kind"]) == (2, "TxDefaultProfile", "Relative")
        (schedule,) = profile["charging_schedule"]
        assert "start_schedule" not in schedule  # Relative
        assert schedule["charging_rate_unit"] == "W"
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 7400.0, "number_phases": 1}]
        assert done["status"] == "accepted"


async def test_TC_K_03_set_charging_profile_charging_station_max_profile(api, new_station):
    new = new_station("K03")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        done = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=0, profile_id=30, purpose="ChargingStationMaxProfile",
            kind="Absolute", stack_level=0, start_schedule="2026-01-01T00:00:00Z", charging_rate_unit="W", periods="0:22000",
        ))["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["evse_id"] == 0
        profile = request["charging_profile"]
        # K01.FR.38: not Relative.
        assert (profile["id"], profile["charging_profile_purpose"], profile["charging_profile_kind"]) == (30, "ChargingStationMaxProfile", "Absolute")
        (schedule,) = profile["charging_schedule"]
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 22000.0}]
        assert done["status"] == "accepted"


async def test_TC_K_04_replace_charging_profile_with_the_same_id(api, new_station):
    new = new_station("K04")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        for limit in (8, 6):
            done = await outcome(api, (await act(
                api, new.identity, "set_charging_profile", evse_id=1, profile_id=40, purpose="TxDefaultProfile",
                kind="Absolute", stack_level=1, start_schedule="2026-01-01T00:00:00Z", periods=f"0:{limit}",
            ))["id"])
            assert done["status"] == "accepted"
        first, second = [p for a, p in station.received if a == "SetChargingProfile"]
        for request, limit in ((first, 8.0), (second, 6.0)):
            profile = request["charging_profile"]
            assert (profile["id"], profile["stack_level"], profile["charging_profile_purpose"]) == (40, 1, "TxDefaultProfile")
            assert profile["charging_schedule"][0]["charging_schedule_period"] == [{"start_period": 0, "limit": limit}]
        assert [p.periods[0]["limit"] for p in station.held_profiles()] == [6.0]
    rows = await profiles(api, new.identity)
    assert sorted((r["status"], r["periods"][0]["limit"]) for r in rows) == [("cleared", 8.0), ("installed", 6.0)]


async def test_TC_K_19_set_charging_profile_recurring(api, new_station):
    new = new_station("K19")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        done = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=1, purpose="TxDefaultProfile", kind="Recurring",
            recurrency_kind="Daily", start_schedule="2026-01-01T22:00:00Z", stack_level=3, periods="0:16, 28800:32",
        ))["id"])
        profile = (await station.wait_for_request("SetChargingProfile"))["charging_profile"]
        assert (profile["charging_profile_kind"], profile["recurrency_kind"], profile["stack_level"]) == ("Recurring", "Daily", 3)
        (schedule,) = profile["charging_schedule"]
        assert schedule["start_schedule"] == "2026-01-01T22:00:00+00:00"
        assert schedule["charging_schedule_period"] == [{"start_period": 0, "limit": 16.0}, {"start_period": 28800, "limit": 32.0}]
        assert done["status"] == "accepted"


async def test_TC_K_70_set_multiple_charging_profiles(api, new_station):
    new = new_station("K70")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url, power_kw=11) as station:
        await charging(station)
        first = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=1, purpose="TxDefaultProfile", kind="Absolute",
            start_schedule="2026-01-01T00:00:00Z", periods="0:10",
        ))["id"])
        second = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=0, purpose="ChargingStationMaxProfile", kind="Absolute",
            start_schedule="2026-01-01T00:00:00Z", periods="0:8",
        ))["id"])
        a, b = [p["charging_profile"] for act_, p in station.received if act_ == "SetChargingProfile"]
        assert (a["charging_profile_purpose"], b["charging_profile_purpose"]) == ("TxDefaultProfile", "ChargingStationMaxProfile")
        assert a["id"] != b["id"] and "start_schedule" in a["charging_schedule"][0]
        assert (first["status"], second["status"]) == ("accepted", "accepted")
        # The lower of the two applies: 8 A on three phases.
        assert station.drawn_power_w(station.connectors[1]) == pytest.approx(8 * 3 * 230)
        await stop(station)


async def test_TC_K_02_tx_profile_without_transaction_is_refused_by_the_station(api, new_station):
    new = new_station("K02")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        sent = await act(
            api, new.identity, "set_charging_profile", evse_id=1, purpose="TxProfile", transaction_id="no-such-tx",
            charging_rate_unit="A", periods="0:6",
        )
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["charging_profile"]["transaction_id"] == "no-such-tx"
        assert request["charging_profile"]["charging_profile_purpose"] == "TxProfile"
        assert (done["status"], done["result"]) == ("rejected", "Rejected")
    (stored,) = await profiles(api, new.identity)
    assert stored["status"] == "rejected"


async def test_TC_K_60_tx_profile_with_ongoing_transaction(api, new_station):
    new = new_station("K60")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url, power_kw=11) as station:
        transaction_id = await charging(station)
        sent = await act(
            api, new.identity, "set_charging_profile", evse_id=1, purpose="TxProfile", transaction_id=transaction_id,
            kind="Relative", charging_rate_unit="A", periods="0:8:3",
        )
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("SetChargingProfile")
        profile = request["charging_profile"]
        # K01.FR.03: a TxProfile names its transaction.
        assert (request["evse_id"], profile["transaction_id"], profile["charging_profile_purpose"]) == (1, transaction_id, "TxProfile")
        assert profile["charging_schedule"][0]["charging_schedule_period"] == [{"start_period": 0, "limit": 8.0, "number_phases": 3}]
        assert done["status"] == "accepted"
        # The simulator obeys: 8 A on three phases.
        assert station.drawn_power_w(station.connectors[1]) == pytest.approx(8 * 3 * 230)
        await stop(station)


async def test_the_form_refuses_a_tx_profile_without_transaction_and_a_relative_start(api, new_station):
    new = new_station("KF")
    response = await asyncio.to_thread(
        api.post, f"/api/charging_stations/{new.identity}/actions/set_charging_profile/",
        json_body={"evse_id": 0, "purpose": "TxProfile", "kind": "Relative", "start_schedule": "2026-01-01T00:00:00Z", "periods": "10:16"},
        expect=400,
    )
    errors = response.json()
    assert "transaction_id" in str(errors) and "periods" in str(errors) and "start_schedule" in str(errors)


async def test_TC_K_05_clear_charging_profile_by_id_and_TC_K_08_without_previous_profile(api, new_station):
    new = new_station("K05")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        sent = await act(api, new.identity, "set_charging_profile", evse_id=1, profile_id=5, purpose="TxDefaultProfile", periods="0:16")
        assert (await outcome(api, sent["id"]))["status"] == "accepted"
        cleared = await outcome(api, (await act(api, new.identity, "clear_charging_profile", profile_id=5))["id"])
        request = await station.wait_for_request("ClearChargingProfile")
        assert request == {"charging_profile_id": 5, "charging_profile_criteria": {}}
        assert (cleared["status"], cleared["result"]) == ("accepted", "Accepted")
        (stored,) = await profiles(api, new.identity)
        assert stored["status"] == "cleared"
        # TC_K_08: nothing left to clear: the station answers Unknown.
        again = await outcome(
            api, (await act(api, new.identity, "clear_charging_profile", purpose="TxDefaultProfile", stack_level=0))["id"]
        )
        request = await station.wait_for_request("ClearChargingProfile", count=2)
        assert request == {
            "charging_profile_id": None,
            "charging_profile_criteria": {"charging_profile_purpose": "TxDefaultProfile", "stack_level": 0},
        }
        assert (again["status"], again["result"]) == ("rejected", "Unknown")


async def test_TC_K_43_get_composite_schedule_specific_evse(api, admin, new_station):
    new = new_station("K43")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        await outcome(api, (await act(api, new.identity, "set_charging_profile", evse_id=1, purpose="TxDefaultProfile", kind="Relative", periods="0:20"))["id"])
        done = await outcome(api, (await act(api, new.identity, "get_composite_schedule", evse_id=1, duration=600, charging_rate_unit="A"))["id"])
        request = await station.wait_for_request("GetCompositeSchedule")
        assert request == {"duration": 600, "evse_id": 1, "charging_rate_unit": "A"}
        assert done["status"] == "accepted"
        assert done["answer"]["schedule"]["chargingSchedulePeriod"][0] == {"startPeriod": 0, "limit": 20.0, "numberPhases": 3}
    schedules = (await asyncio.to_thread(api.get, "/api/composite_schedules/", params={"station__identity": new.identity}, expect=200)).json()["results"]
    assert schedules[0]["evse_id"] == 1 and schedules[0]["charging_rate_unit"] == "A"
    assert schedules[0]["periods"] == [{"start_period": 0, "limit": 20.0, "number_phases": 3}]
    # The station page draws it: an inline SVG step line (no script), 20 A for the whole 10 minutes.
    page = await asyncio.to_thread(admin.page, f"/console/stations/{new.identity}/")
    assert 'id="composite-chart"' in page and "<script" not in page.split('id="composite-schedule"')[1]
    assert 'points="32.0,32.0 568.0,32.0"' in page
    assert "20.0 A" in page and "10.0 min" in page


async def test_TC_K_29_get_charging_profiles_evse_0_and_K09_report_stored(api, new_station):
    new = new_station("K09")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        await outcome(api, (await act(api, new.identity, "set_charging_profile", evse_id=0, profile_id=7, purpose="TxDefaultProfile", periods="0:13"))["id"])
        done = await outcome(api, (await act(api, new.identity, "get_charging_profiles", evse_id=0, purpose="TxDefaultProfile"))["id"])
        request = await station.wait_for_request("GetChargingProfiles")
        # K09.FR.03: a criterion is always given.
        assert request == {"request_id": done["id"], "charging_profile": {"charging_profile_purpose": "TxDefaultProfile"}, "evse_id": 0}
        assert (done["status"], done["result"]) == ("accepted", "Accepted")

        def reported() -> list[dict] | None:
            rows = api.get("/api/charging_profiles/", params={"station__identity": new.identity, "source": "station"}).json()["results"]
            return rows or None

        (row,) = await asyncio.to_thread(wait_for, reported, timeout=10, what="the reported profile")
        assert (row["profile_id"], row["evse_id"], row["purpose"], row["request_id"], row["reported_source"]) == (7, 0, "TxDefaultProfile", done["id"], "CSO")
        assert row["periods"][0]["limit"] == 13.0


async def test_K12_K13_K15_K17_station_reports_are_stored_and_answered(api, new_station):
    from ocpp.v201 import call as call201

    new = new_station("K12")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        limit = await station.request(call201.NotifyChargingLimit(charging_limit={"charging_limit_source": "EMS", "is_grid_critical": True}, evse_id=1))
        cleared = await station.request(call201.ClearedChargingLimit(charging_limit_source="EMS", evse_id=1))
        needs = await station.request(
            call201.NotifyEVChargingNeeds(evse_id=1, charging_needs={"requested_energy_transfer": "AC_three_phase", "ac_charging_parameters": {"energy_amount": 20000, "ev_min_current": 6, "ev_max_current": 32, "ev_max_voltage": 400}})
        )
        schedule = await station.request(
            call201.NotifyEVChargingSchedule(time_base="2026-01-01T00:00:00Z", evse_id=1, charging_schedule={"id": 1, "charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0, "limit": 16}]})
        )
        assert (limit.custom_data, cleared.custom_data) == (None, None)
        assert (needs.status, schedule.status) == ("Accepted", "Accepted")
    rows = (await asyncio.to_thread(api.get, "/api/charging_limit_reports/", params={"station__identity": new.identity}, expect=200)).json()["results"]
    assert sorted(r["kind"] for r in rows) == ["ClearedChargingLimit", "NotifyChargingLimit", "NotifyEVChargingNeeds", "NotifyEVChargingSchedule"]
    assert {r["kind"]: r["limit_source"] for r in rows}["NotifyChargingLimit"] == "EMS"


# --- OCPP 1.6 (OCTT) ----------------------------------------------------------------------------------


async def test_TC_056_central_smart_charging_tx_default_profile(api, new_station):
    new = new_station("T56")
    async with simulated_station("1.6", identity=new.identity, password=new.password, url=new.url, power_kw=11) as station:
        done = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=0, profile_id=3, purpose="TxDefaultProfile", kind="Absolute",
            stack_level=0, start_schedule="2026-01-01T00:00:00Z", charging_rate_unit="A", periods="0:6",
        ))["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["connector_id"] == 0
        profile = request["cs_charging_profiles"]
        assert profile == {
            "charging_profile_id": 3, "stack_level": 0, "charging_profile_purpose": "TxDefaultProfile",
            "charging_profile_kind": "Absolute",
            "charging_schedule": {"start_schedule": "2026-01-01T00:00:00+00:00", "charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0, "limit": 6}]},
        }
        assert done["status"] == "accepted"
        await charging(station)
        assert station.drawn_power_w(station.connectors[1]) == pytest.approx(6 * 3 * 230)
        await stop(station)


async def test_TC_057_central_smart_charging_tx_profile(api, new_station):
    new = new_station("T57")
    async with simulated_station("1.6", identity=new.identity, password=new.password, url=new.url, power_kw=11) as station:
        transaction_id = await charging(station)
        done = await outcome(api, (await act(
            api, new.identity, "set_charging_profile", evse_id=1, profile_id=4, purpose="TxProfile", kind="Relative",
            transaction_id=str(transaction_id), stack_level=0, charging_rate_unit="W", periods="0:3000",
        ))["id"])
        request = await station.wait_for_request("SetChargingProfile")
        assert request["connector_id"] == 1
        assert request["cs_charging_profiles"] == {
            "charging_profile_id": 4, "transaction_id": transaction_id, "stack_level": 0, "charging_profile_purpose": "TxProfile",
            "charging_profile_kind": "Relative",
            "charging_schedule": {"charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 3000}]},
        }
        assert done["status"] == "accepted"
        assert station.drawn_power_w(station.connectors[1]) == 3000
        await stop(station)


async def test_TC_066_get_composite_schedule(api, new_station):
    new = new_station("T66")
    async with simulated_station("1.6", identity=new.identity, password=new.password, url=new.url) as station:
        await outcome(api, (await act(api, new.identity, "set_charging_profile", evse_id=0, purpose="ChargingStationMaxProfile", kind="Relative", charging_rate_unit="A", periods="0:25"))["id"])
        max_request = await station.wait_for_request("SetChargingProfile")
        # 1.6 calls the station-wide maximum ChargePointMaxProfile.
        assert max_request["cs_charging_profiles"]["charging_profile_purpose"] == "ChargePointMaxProfile"
        done = await outcome(api, (await act(api, new.identity, "get_composite_schedule", evse_id=0, duration=300))["id"])
        request = await station.wait_for_request("GetCompositeSchedule")
        assert request == {"connector_id": 0, "duration": 300, "charging_rate_unit": None}
        assert done["status"] == "accepted"
        assert done["answer"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 25
    (stored,) = (await asyncio.to_thread(api.get, "/api/composite_schedules/", params={"station__identity": new.identity}, expect=200)).json()["results"]
    assert (stored["evse_id"], stored["status"], stored["periods"][0]["limit"]) == (0, "Accepted", 25.0)


async def test_TC_067_clear_charging_profile(api, new_station):
    new = new_station("T67")
    async with simulated_station("1.6", identity=new.identity, password=new.password, url=new.url) as station:
        await outcome(api, (await act(api, new.identity, "set_charging_profile", evse_id=1, profile_id=9, purpose="TxDefaultProfile", periods="0:10"))["id"])
        done = await outcome(api, (await act(api, new.identity, "clear_charging_profile", profile_id=9))["id"])
        request = await station.wait_for_request("ClearChargingProfile")
        assert request == {"id": 9, "connector_id": None, "charging_profile_purpose": None, "stack_level": None}
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert station.held_profiles() == []


async def test_TC_059_remote_start_transaction_with_charging_profile(api, new_station):
    new = new_station("T59")
    async with simulated_station("1.6", identity=new.identity, password=new.password, url=new.url, power_kw=11) as station:
        sent = await act(api, new.identity, "remote_start", id_tag="TAG59", connector_id=1, charging_limit=10, charging_rate_unit="A")
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("RemoteStartTransaction")
        assert request == {
            "id_tag": "TAG59",
            "connector_id": 1,
            "charging_profile": {
                "charging_profile_id": sent["id"], "stack_level": 0, "charging_profile_purpose": "TxProfile",
                "charging_profile_kind": "Relative",
                # 1.6 §5.11: no transactionId, the profile belongs to the transaction this starts.
                "charging_schedule": {"charging_rate_unit": "A", "charging_schedule_period": [{"start_period": 0, "limit": 10}]},
            },
        }
        assert done["status"] == "accepted"
        for _ in range(100):
            if station.connectors[1].status == "Charging":
                break
            await asyncio.sleep(0.05)
        assert station.drawn_power_w(station.connectors[1]) == pytest.approx(10 * 3 * 230)
        await stop(station)


async def test_request_start_transaction_with_a_tx_profile(api, new_station):
    new = new_station("F01K")
    async with simulated_station("2.0.1", identity=new.identity, password=new.password, url=new.url) as station:
        sent = await act(api, new.identity, "remote_start", id_tag="TAGF01", evse_id=1, charging_limit=7400, charging_rate_unit="W")
        done = await outcome(api, sent["id"])
        request = await station.wait_for_request("RequestStartTransaction")
        assert request["charging_profile"] == {
            "id": sent["id"], "stack_level": 0, "charging_profile_purpose": "TxProfile", "charging_profile_kind": "Relative",
            "charging_schedule": [{"id": sent["id"], "charging_rate_unit": "W", "charging_schedule_period": [{"start_period": 0, "limit": 7400.0}]}],
        }
        assert request["remote_start_id"] == sent["id"] and request["evse_id"] == 1
        assert done["status"] == "accepted"
        await asyncio.sleep(0.5)
        await stop(station)
