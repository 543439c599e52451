"""Monitoring and customer information (issue 14, block N): the OCA CSMS test cases, driven through the
API as an operator does, against real websocket stations on the session's live server.

Each test names its case (OCPP 2.0.1 Part 6 "TC_N_.._CSMS"), performs the manual action the case asks
of the CSMS, and asserts the CALL the station received field by field, as it came over the wire. The
stations are the `ocpp` library's client (simulator/ with simulator.monitoring), which validates every
incoming CALL against the OCA JSON schema and answers a CALLERROR on any violation: each test ends
asserting none was sent. What the station reported is then read back where an operator reads it: the
API and the console's station page.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.recording_station import act, listed, operator_action, recording_station
from tests.servers import until

pytestmark = pytest.mark.e2e


def seed_monitor(sim, monitor_id: int, component: str, variable: str, monitor_type: str, value: float, *, evse: int | None = None, severity: int = 5) -> None:
    """The station's memory state: a monitor it already has (the cases' prerequisites)."""
    sim.monitors[monitor_id] = {
        "id": monitor_id,
        "component": {"name": component, **({"evse": {"id": evse}} if evse is not None else {})},
        "variable": {"name": variable},
        "type": monitor_type,
        "value": value,
        "severity": severity,
        "transaction": False,
    }


async def monitors_listed(api, identity: str) -> list[dict[str, Any]]:
    return await listed(api, "/api/variable_monitors/", station=identity)


async def wait_monitors(api, identity: str, count: int) -> list[dict[str, Any]]:
    def enough():
        rows = api.results("/api/variable_monitors/", station=identity)
        return (rows,) if len(rows) == count else None  # a tuple: an empty list is an answer too

    (rows,) = await until(enough, timeout=10, what=f"{count} monitors listed")
    return rows


def maintenance_page(admin, identity: str) -> str:
    return admin.page(f"/console/stations/{identity}/maintenance/")


def section(page: str, section_id: str) -> str:
    found = re.search(rf'<div class="module" id="{section_id}">(.*?)</div>', page, re.S)
    assert found, f"the page has no {section_id} section"
    return found.group(1)


# --- N02 GetMonitoringReport ------------------------------------------------------------------------------


async def test_TC_N_01_get_monitoring_report_with_monitoring_criteria(api, admin, new_station):
    async with recording_station(new_station) as sim:
        seed_monitor(sim, 7, "EVSE", "Power", "UpperThreshold", 11000, evse=1)
        empty = await operator_action(api, sim.identity, "get_monitoring_report", monitoring_criteria=["DeltaMonitoring"])
        accepted = await operator_action(api, sim.identity, "get_monitoring_report", monitoring_criteria=["ThresholdMonitoring"])
        first, second = await sim.wait_sent("GetMonitoringReport", 2)
        # Tool validations: step 1 DeltaMonitoring, step 3 ThresholdMonitoring; requestId names the command.
        assert first == {"requestId": empty["id"], "monitoringCriteria": ["DeltaMonitoring"]}
        assert second == {"requestId": accepted["id"], "monitoringCriteria": ["ThresholdMonitoring"]}
        assert (empty["status"], empty["result"], accepted["result"]) == ("accepted", "EmptyResultSet", "Accepted")
        assert (empty["answer"], accepted["answer"]) == ({"status": "EmptyResultSet"}, {"status": "Accepted"})
        rows = await wait_monitors(api, sim.identity, 1)
    assert {k: rows[0][k] for k in ("monitor_id", "component", "evse_id", "variable", "monitor_type", "value", "severity", "source")} == {
        "monitor_id": 7, "component": "EVSE", "evse_id": 1, "variable": "Power", "monitor_type": "UpperThreshold",
        "value": 11000.0, "severity": 5, "source": "report",
    }
    monitors = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "variable-monitors")
    assert re.search(r'data-monitor-id="7".*?EVSE 1.*?<code>Power</code>.*?UpperThreshold.*?11000', monitors, re.S)


async def test_TC_N_02_get_monitoring_report_with_component_variable(api, new_station):
    async with recording_station(new_station) as sim:
        seed_monitor(sim, 3, "EVSE", "AvailabilityState", "Delta", 1, evse=1)
        empty = await operator_action(api, sim.identity, "get_monitoring_report", component_variables="ChargingStation.Power")
        accepted = await operator_action(
            api, sim.identity, "get_monitoring_report",
            component_variables=[{"component": "EVSE", "evse_id": 1, "variable": "AvailabilityState"}],
        )
        first, second = await sim.wait_sent("GetMonitoringReport", 2)
        assert first == {"requestId": empty["id"], "componentVariable": [{"component": {"name": "ChargingStation"}, "variable": {"name": "Power"}}]}
        assert second == {
            "requestId": accepted["id"],
            "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}],
        }
        assert (empty["result"], accepted["result"]) == ("EmptyResultSet", "Accepted")
        rows = await wait_monitors(api, sim.identity, 1)
    assert (rows[0]["monitor_id"], rows[0]["monitor_type"], rows[0]["evse_id"]) == (3, "Delta", 1)


async def test_TC_N_03_get_monitoring_report_with_criteria_and_component_variable(api, new_station):
    async with recording_station(new_station) as sim:
        seed_monitor(sim, 4, "ChargingStation", "Power", "UpperThreshold", 22000)
        empty = await operator_action(
            api, sim.identity, "get_monitoring_report", monitoring_criteria=["DeltaMonitoring"], component_variables="EVSE@1.AvailabilityState"
        )
        accepted = await operator_action(
            api, sim.identity, "get_monitoring_report", monitoring_criteria=["ThresholdMonitoring"], component_variables="ChargingStation.Power"
        )
        first, second = await sim.wait_sent("GetMonitoringReport", 2)
        assert first == {
            "requestId": empty["id"],
            "monitoringCriteria": ["DeltaMonitoring"],
            "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}],
        }
        assert second == {
            "requestId": accepted["id"],
            "monitoringCriteria": ["ThresholdMonitoring"],
            "componentVariable": [{"component": {"name": "ChargingStation"}, "variable": {"name": "Power"}}],
        }
        assert (empty["result"], accepted["result"]) == ("EmptyResultSet", "Accepted")
        await wait_monitors(api, sim.identity, 1)


async def test_TC_N_60_get_monitoring_report_with_criteria_and_list_of_component_variables(api, new_station):
    async with recording_station(new_station) as sim:
        seed_monitor(sim, 9, "ChargingStation", "AvailabilityState", "UpperThreshold", 1)
        both = "ChargingStation.AvailabilityState\nEVSE@1.AvailabilityState"
        empty = await operator_action(api, sim.identity, "get_monitoring_report", monitoring_criteria=["DeltaMonitoring"], component_variables=both)
        accepted = await operator_action(api, sim.identity, "get_monitoring_report", monitoring_criteria=["ThresholdMonitoring"], component_variables=both)
        first, second = await sim.wait_sent("GetMonitoringReport", 2)
        component_variable = [
            {"component": {"name": "ChargingStation"}, "variable": {"name": "AvailabilityState"}},
            {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}},
        ]
        assert first == {"requestId": empty["id"], "monitoringCriteria": ["DeltaMonitoring"], "componentVariable": component_variable}
        assert second == {"requestId": accepted["id"], "monitoringCriteria": ["ThresholdMonitoring"], "componentVariable": component_variable}
        assert (empty["result"], accepted["result"]) == ("EmptyResultSet", "Accepted")
        await wait_monitors(api, sim.identity, 1)


async def test_TC_N_47_get_monitoring_report_all_in_several_parts(api, new_station):
    async with recording_station(new_station) as sim:
        for n in range(1, 13):
            seed_monitor(sim, n, "EVSE", "Power", "UpperThreshold", 1000 * n, evse=1)
        done = await operator_action(api, sim.identity, "get_monitoring_report")
        (request,) = await sim.wait_sent("GetMonitoringReport")
        # Tool validation: monitoringCriteria and componentVariable omitted.
        assert request == {"requestId": done["id"]}
        assert done["result"] == "Accepted"
        # 12 monitors in parts of 10: seqNo 0 (tbc) and 1; every one stored.
        rows = await wait_monitors(api, sim.identity, 12)
        assert sorted(r["monitor_id"] for r in rows) == list(range(1, 13))
        # A report of every monitor replaces the list: the station dropped some since.
        for n in range(4, 13):
            del sim.monitors[n]
        await operator_action(api, sim.identity, "get_monitoring_report")
        rows = await wait_monitors(api, sim.identity, 3)
    assert sorted(r["monitor_id"] for r in rows) == [1, 2, 3]


# --- N03 SetMonitoringBase, N05 SetMonitoringLevel -------------------------------------------------------


async def test_TC_N_05_set_monitoring_base(api, admin, new_station):
    async with recording_station(new_station) as sim:
        outcomes = [await operator_action(api, sim.identity, "set_monitoring_base", monitoring_base=base) for base in ("All", "FactoryDefault", "HardWiredOnly")]
        assert await sim.wait_sent("SetMonitoringBase", 3) == [
            {"monitoringBase": "All"}, {"monitoringBase": "FactoryDefault"}, {"monitoringBase": "HardWiredOnly"}
        ]
        assert [(o["status"], o["result"]) for o in outcomes] == [("accepted", "Accepted")] * 3
    page = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "variable-monitors")
    assert re.search(r"Monitoring base: <strong>HardWiredOnly</strong>", page)


async def test_TC_N_16_set_monitoring_level(api, admin, new_station):
    async with recording_station(new_station) as sim:
        done = await operator_action(api, sim.identity, "set_monitoring_level", severity=4)
        assert await sim.wait_sent("SetMonitoringLevel") == [{"severity": 4}]
        assert (done["status"], done["result"], done["answer"]) == ("accepted", "Accepted", {"status": "Accepted"})
    page = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "variable-monitors")
    assert "reporting severity 4 and more severe" in page


async def test_TC_N_17_set_monitoring_level_out_of_range(api, new_station):
    async with recording_station(new_station) as sim:
        sim.scripted["SetMonitoringLevel"].append({"status": "Rejected"})  # the OCTT always rejects
        done = await operator_action(api, sim.identity, "set_monitoring_level", severity=4)
        assert await sim.wait_sent("SetMonitoringLevel") == [{"severity": 4}]
        assert (done["status"], done["result"]) == ("rejected", "Rejected")
        # Out of the 0-9 range the platform does not send it at all.
        refused = await act(api, sim.identity, "set_monitoring_level", expect=400, severity=10)
        assert "severity" in refused
        assert len(sim.sent("SetMonitoringLevel")) == 1


# --- N04 SetVariableMonitoring ------------------------------------------------------------------------------


async def test_TC_N_08_set_variable_monitoring_one_element(api, admin, new_station):
    async with recording_station(new_station) as sim:
        done = await operator_action(api, sim.identity, "set_variable_monitoring", monitors="EVSE@1.AvailabilityState Delta 1 severity=8")
        (request,) = await sim.wait_sent("SetVariableMonitoring")
        assert request == {
            "setMonitoringData": [
                {"value": 1, "type": "Delta", "severity": 8, "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}
            ]
        }
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert done["answer"]["setMonitoringResult"][0]["status"] == "Accepted"
        station_id = done["answer"]["setMonitoringResult"][0]["id"]
        rows = await monitors_listed(api, sim.identity)
    assert [(r["monitor_id"], r["component"], r["evse_id"], r["variable"], r["monitor_type"], r["value"], r["severity"], r["source"]) for r in rows] == [
        (station_id, "EVSE", 1, "AvailabilityState", "Delta", 1.0, 8, "set")
    ]
    monitors = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "variable-monitors")
    assert re.search(rf'data-monitor-id="{station_id}".*?<code>AvailabilityState</code>.*?Delta.*?8 Informational.*?set here', monitors, re.S)


async def test_TC_N_09_set_variable_monitoring_multiple_elements(api, new_station):
    async with recording_station(new_station) as sim:
        monitors = [
            {"component": "EVSE", "evse_id": 1, "variable": "AvailabilityState", "type": "Delta", "value": 1, "severity": 8},
            {"component": "ChargingStation", "variable": "AvailabilityState", "type": "Delta", "value": 1, "severity": 8},
        ]
        done = await operator_action(api, sim.identity, "set_variable_monitoring", monitors=monitors)
        (request,) = await sim.wait_sent("SetVariableMonitoring")
        assert request == {
            "setMonitoringData": [
                {"value": 1, "type": "Delta", "severity": 8, "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}},
                {"value": 1, "type": "Delta", "severity": 8, "component": {"name": "ChargingStation"}, "variable": {"name": "AvailabilityState"}},
            ]
        }
        assert [r["status"] for r in done["answer"]["setMonitoringResult"]] == ["Accepted", "Accepted"]
        rows = await monitors_listed(api, sim.identity)
    assert sorted((r["component"], r["evse_id"]) for r in rows) == [("ChargingStation", None), ("EVSE", 1)]


async def test_set_variable_monitoring_refuses_bad_monitors_with_field_errors(api, new_station):
    async with recording_station(new_station) as sim:
        refused = await act(api, sim.identity, "set_variable_monitoring", expect=400, monitors="EVSE@1.Power Sometimes 1")
        assert "type must be one of" in refused["monitors"][0]
        refused = await act(api, sim.identity, "set_variable_monitoring", expect=400, monitors=[{"component": "EVSE", "variable": "Power", "type": "Delta", "value": "NaN"}])
        assert "finite" in refused["monitors"][0]
        refused = await act(api, sim.identity, "set_variable_monitoring", expect=400, monitors="EVSE@1.Power Delta 1 severity=12")
        assert "severity" in refused["monitors"][0]
        assert sim.sent("SetVariableMonitoring") == []


# --- N06 ClearVariableMonitoring --------------------------------------------------------------------------


def two_per_clear(sim) -> None:
    sim.variables[("MonitoringCtrlr", None, None, "ItemsPerMessage", "ClearVariableMonitoring")].value = "2"


async def test_TC_N_18_clear_monitoring_never_more_ids_than_items_per_message(api, new_station):
    async with recording_station(new_station, before_boot=two_per_clear) as sim:
        # The platform reads MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring] = 2 with the device
        # model after boot (GetBaseReport), where the case reads it with GetVariables.
        await until(lambda: sim.sent("GetBaseReport") and sim.reports_sent and not sim._background, timeout=10, what="the device model reported")
        for n in range(1, 6):
            seed_monitor(sim, n, "EVSE", "Power", "UpperThreshold", 1000 * n, evse=1)
        await operator_action(api, sim.identity, "get_monitoring_report")
        await wait_monitors(api, sim.identity, 5)
        first = await operator_action(api, sim.identity, "clear_variable_monitoring", ids="1, 2, 3, 4, 5")
        requests = await sim.wait_sent("ClearVariableMonitoring", 3)
        # Tool validation: two or more requests, none over ItemsPerMessage; each one answered.
        assert requests == [{"id": [1, 2]}, {"id": [3, 4]}, {"id": [5]}]
        assert first["answer"] == {"clearMonitoringResult": [{"status": "Accepted", "id": 1}, {"status": "Accepted", "id": 2}]}
        await wait_monitors(api, sim.identity, 0)
        assert sim.monitors == {}


async def test_TC_N_18_clear_monitoring_reads_items_per_message_first_when_the_device_model_was_not_read(api, new_station):
    # As a certification run has it: the network does not read the device model after boot.
    network = "Monitoring, no read after boot"
    if not api.get("/api/networks/", params={"name": network}, expect=200).json()["results"]:
        api.create_network(network, read_configuration_after_boot=False)
    async with recording_station(new_station, network=network, before_boot=two_per_clear) as sim:
        for n in range(1, 6):
            seed_monitor(sim, n, "EVSE", "Power", "UpperThreshold", 1000 * n, evse=1)
        first = await operator_action(api, sim.identity, "clear_variable_monitoring", ids="1, 2, 3, 4, 5")
        # Step 1: GetVariables MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring].
        assert await sim.wait_sent("GetVariables") == [
            {"getVariableData": [{"component": {"name": "MonitoringCtrlr"}, "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"}}]}
        ]
        assert (first["status"], first["result"]) == ("accepted", "Accepted")
        # Step 3: never more than the 2 ids the station takes, each request answered.
        assert await sim.wait_sent("ClearVariableMonitoring", 3) == [{"id": [1, 2]}, {"id": [3, 4]}, {"id": [5]}]
        await until(lambda: sim.monitors == {}, timeout=10, what="every monitor cleared")
        assert sim.sent("GetBaseReport") == []


async def test_TC_N_44_clear_monitoring_rejected(api, new_station):
    async with recording_station(new_station) as sim:
        seed_monitor(sim, 11, "EVSE", "Power", "UpperThreshold", 7000, evse=1)
        await operator_action(api, sim.identity, "get_monitoring_report")
        await wait_monitors(api, sim.identity, 1)
        sim.scripted["ClearVariableMonitoring"].append({"status": "Rejected"})
        done = await operator_action(api, sim.identity, "clear_variable_monitoring", ids=[11])
        assert await sim.wait_sent("ClearVariableMonitoring") == [{"id": [11]}]
        assert (done["status"], done["result"]) == ("rejected", "Rejected")
        assert done["answer"] == {"clearMonitoringResult": [{"status": "Rejected", "id": 11}]}
        # The station kept it: still listed.
        assert [r["monitor_id"] for r in await monitors_listed(api, sim.identity)] == [11]


# --- N07 NotifyEvent: a monitor trips ------------------------------------------------------------------------


async def test_a_tripped_monitor_is_shown_as_a_station_event(api, admin, new_station):
    from ocpp.v201 import call as call201

    from simulator.base import now_iso

    async with recording_station(new_station) as sim:
        await sim.request(
            call201.NotifyEvent(
                generated_at=now_iso(), seq_no=0, tbc=False,
                event_data=[{
                    "event_id": 41, "timestamp": now_iso(), "trigger": "Alerting", "actual_value": "11500",
                    "event_notification_type": "CustomMonitor", "variable_monitoring_id": 7,
                    "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
                }],
            )
        )
    events = await listed(api, "/api/station_events/", station=sim.identity, source="NotifyEvent")
    assert [(e["event_type"], e["component"], e["variable"], e["value"], e["data"]["variableMonitoringId"]) for e in events] == [
        ("Alerting", "EVSE EVSE 1", "Power", "11500", 7)
    ]
    page = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "station-events")
    assert re.search(r"NotifyEvent.*?Alerting.*?Power.*?11500", page, re.S)


# --- N09/N10 CustomerInformation -------------------------------------------------------------------------------


TOKEN = {"id_token": "04E91C5A", "id_token_type": "ISO14443"}
TOKEN_OCPP = {"idToken": "04E91C5A", "type": "ISO14443"}


async def customer_information(api, sim, **params) -> tuple[dict, dict]:
    done = await operator_action(api, sim.identity, "customer_information", **params)
    requests = await sim.wait_sent("CustomerInformation")
    return done, requests[-1]


async def wait_customer_parts(api, identity: str, request_id: int, count: int = 1) -> list[dict]:
    def parts():
        rows = api.results("/api/customer_information/", station=identity, request_id=request_id)
        return sorted(rows, key=lambda r: r["seq_no"]) if len(rows) >= count else None

    return await until(parts, timeout=10, what=f"{count} NotifyCustomerInformation parts stored")


async def test_TC_N_27_get_customer_information_accepted_with_data(api, admin, new_station):
    async with recording_station(new_station) as sim:
        # More than one part's 512 characters: the report arrives in two parts.
        sim.customer_data["ISO14443:04E91C5A"] = "Sessions: " + "; ".join(f"2026-11-{d:02d} 12.5 kWh at CP-7" for d in range(1, 25))
        done, request = await customer_information(api, sim, report=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": False, "idToken": TOKEN_OCPP}
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        parts = await wait_customer_parts(api, sim.identity, done["id"], 2)
    assert [(p["seq_no"], p["tbc"]) for p in parts] == [(0, True), (1, False)]
    assert "".join(p["data"] for p in parts) == sim.customer_data["ISO14443:04E91C5A"]
    shown = section(await asyncio.to_thread(maintenance_page, admin, sim.identity), "customer-information")
    assert re.search(rf'data-request-id="{done["id"]}".*?<td>2</td>.*?Sessions: 2026-11-01 12.5 kWh at CP-7;.*?2026-11-24', shown, re.S)


async def test_TC_N_28_get_customer_information_accepted_without_data(api, new_station):
    async with recording_station(new_station) as sim:
        done, request = await customer_information(api, sim, report=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": False, "idToken": TOKEN_OCPP}
        parts = await wait_customer_parts(api, sim.identity, done["id"])
    assert [(p["seq_no"], p["tbc"], p["data"]) for p in parts] == [(0, False, "")]


async def test_TC_N_29_get_customer_information_not_accepted(api, new_station):
    async with recording_station(new_station) as sim:
        sim.scripted["CustomerInformation"].append({"status": "Rejected"})
        done, request = await customer_information(api, sim, report=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": False, "idToken": TOKEN_OCPP}
        assert (done["status"], done["result"], done["answer"]) == ("rejected", "Rejected", {"status": "Rejected"})
    assert await listed(api, "/api/customer_information/", station=sim.identity) == []


async def test_TC_N_30_clear_customer_information_clear_and_report_with_data(api, new_station):
    async with recording_station(new_station) as sim:
        sim.customer_data["ISO14443:04E91C5A"] = "Name: J. Jansen; contract NL-SWI-C12345678-X"
        done, request = await customer_information(api, sim, report=True, clear=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": True, "idToken": TOKEN_OCPP}
        parts = await wait_customer_parts(api, sim.identity, done["id"])
        assert [p["data"] for p in parts] == ["Name: J. Jansen; contract NL-SWI-C12345678-X"]
        assert sim.customer_data == {}


async def test_TC_N_31_clear_customer_information_clear_and_report_without_data(api, new_station):
    async with recording_station(new_station) as sim:
        done, request = await customer_information(api, sim, report=True, clear=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": True, "idToken": TOKEN_OCPP}
        parts = await wait_customer_parts(api, sim.identity, done["id"])
    assert [(p["data"], p["tbc"]) for p in parts] == [("", False)]


async def test_TC_N_32_clear_customer_information_clear_without_report(api, new_station):
    async with recording_station(new_station) as sim:
        sim.customer_data["ISO14443:04E91C5A"] = "Name: J. Jansen"
        done, request = await customer_information(api, sim, clear=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": False, "clear": True, "idToken": TOKEN_OCPP}
        assert done["result"] == "Accepted"
        # The station still sends NotifyCustomerInformation, with nothing reported.
        parts = await wait_customer_parts(api, sim.identity, done["id"])
        assert [p["data"] for p in parts] == [""]
        assert sim.customer_data == {}


async def test_TC_N_62_clear_customer_information_by_customer_identifier(api, new_station):
    async with recording_station(new_station) as sim:
        sim.customer_data["OpenChargeAlliance"] = "Contract OpenChargeAlliance: 3 sessions"
        done, request = await customer_information(api, sim, report=True, clear=True, customer_identifier="OpenChargeAlliance")
        assert request == {"requestId": done["id"], "report": True, "clear": True, "customerIdentifier": "OpenChargeAlliance"}
        parts = await wait_customer_parts(api, sim.identity, done["id"])
    assert [p["data"] for p in parts] == ["Contract OpenChargeAlliance: 3 sessions"]


async def test_TC_N_63_clear_customer_information_by_customer_certificate(api, new_station):
    certificate = {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9",
        "issuer_key_hash": "F9E8D7C6B5A4938271605F4E3D2C1B0AF9E8D7C6B5A4938271605F4E3D2C1B0A",
        "serial_number": "00C0FFEE",
    }
    async with recording_station(new_station) as sim:
        sim.customer_data["certificate:00C0FFEE"] = "eMAID NL-SWI-C12345678-X"
        done, request = await customer_information(api, sim, report=True, clear=True, **certificate)
        # The hash data exactly as the operator gave it: no case folding, leading zeros kept.
        assert request == {
            "requestId": done["id"], "report": True, "clear": True,
            "customerCertificate": {
                "hashAlgorithm": "SHA256", "issuerNameHash": certificate["issuer_name_hash"],
                "issuerKeyHash": certificate["issuer_key_hash"], "serialNumber": "00C0FFEE",
            },
        }
        parts = await wait_customer_parts(api, sim.identity, done["id"])
    assert [p["data"] for p in parts] == ["eMAID NL-SWI-C12345678-X"]


async def test_customer_information_names_exactly_one_customer(api, new_station):
    async with recording_station(new_station) as sim:
        refused = await act(api, sim.identity, "customer_information", expect=400, report=True, customer_identifier="X", **TOKEN)
        assert "exactly one" in refused["non_field_errors"][0]
        refused = await act(api, sim.identity, "customer_information", expect=400, report=True)
        assert "exactly one" in refused["non_field_errors"][0]
        refused = await act(api, sim.identity, "customer_information", expect=400, customer_identifier="X")
        assert "report" in refused
        assert sim.sent("CustomerInformation") == []


async def test_TC_N_46_clear_customer_information_updates_the_local_authorization_list(api, new_station):
    # A network of its own: its allow-list refuses unlisted tokens, which the shared one must not.
    network = api.ensure_network("Customer removal")["name"]
    forgotten = api.post("/api/id_tokens/", json_body={"network": network, "token": "04E91C5A", "token_type": "ISO14443"}, expect=201).json()
    api.post("/api/id_tokens/", json_body={"network": network, "token": f"KEEP-{forgotten['id']}", "token_type": "ISO14443"}, expect=201)
    async with recording_station(new_station, network=network) as sim:
        # Prerequisite: the station holds a local list with the token.
        full = await operator_action(api, sim.identity, "send_local_list", update_type="Full")
        assert full["result"] == "Accepted"
        held = sim.local_list_version
        done, request = await customer_information(api, sim, report=True, clear=True, forget_id_token=True, **TOKEN)
        assert request == {"requestId": done["id"], "report": True, "clear": True, "idToken": TOKEN_OCPP}
        await wait_customer_parts(api, sim.identity, done["id"])
        await sim.wait_sent("SendLocalList", 2)
        # Step 5, after the NotifyCustomerInformation was answered: a Differential update removing the
        # token (no idTokenInfo), one version up.
        names = [name for name, _ in sim.calls]
        assert names.index("NotifyCustomerInformation answered") < len(names) - 1 - names[::-1].index("SendLocalList")
        assert sim.sent("SendLocalList")[-1] == {
            "versionNumber": held + 1,
            "updateType": "Differential",
            "localAuthorizationList": [{"idToken": {"idToken": "04E91C5A", "type": "ISO14443"}}],
        }
        await until(lambda: sim.local_list_version == held + 1, timeout=10, what="the update accepted")
    tokens = [t["token"] for t in await listed(api, "/api/id_tokens/", network__name=network)]
    assert "04E91C5A" not in tokens and len(tokens) == 1


async def test_removing_the_networks_last_accepted_token_is_refused(api, new_station):
    network = api.ensure_network("Customer removal, one token")["name"]
    if not [t for t in await listed(api, "/api/id_tokens/", network__name=network) if t["token"] == "04E91C5A"]:
        api.post("/api/id_tokens/", json_body={"network": network, "token": "04E91C5A", "token_type": "ISO14443"}, expect=201)
    async with recording_station(new_station, network=network) as sim:
        refused = await act(api, sim.identity, "customer_information", expect=400, report=True, clear=True, forget_id_token=True, **TOKEN)
        assert "would accept every token" in refused["forget_id_token"][0]
        refused = await act(api, sim.identity, "customer_information", expect=400, report=True, forget_id_token=True, **TOKEN)
        assert "Only a clear" in refused["forget_id_token"][0]
        assert sim.sent("CustomerInformation") == []


# --- numbers a station sends are bounded before they are stored (stations.bounds) -------------------------------

HUGE = 2**63
GENERATED = "2026-01-01T00:00:00Z"


def monitor_report(*, request_id: int = 1, seq_no: int = 0, monitor_id: int = 1, value: float = 1, severity: int = 5, evse: int = 1, count: int = 1) -> dict:
    return {
        "requestId": request_id, "seqNo": seq_no, "generatedAt": GENERATED,
        "monitor": [
            {
                "component": {"name": "EVSE", "evse": {"id": evse}}, "variable": {"name": "Power"},
                "variableMonitoring": [{"id": monitor_id + n, "transaction": False, "value": value, "type": "UpperThreshold", "severity": severity} for n in range(count)],
            }
        ],
    }


EVENT = {
    "eventId": 1, "timestamp": GENERATED, "trigger": "Alerting", "actualValue": "1", "eventNotificationType": "CustomMonitor",
    "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
}

REFUSED = {
    "monitor id 2**63": ("NotifyMonitoringReport", monitor_report(monitor_id=HUGE), "PropertyConstraintViolation"),
    "monitor value 1e300": ("NotifyMonitoringReport", monitor_report(value=1e300), "PropertyConstraintViolation"),
    "monitor severity 12": ("NotifyMonitoringReport", monitor_report(severity=12), "PropertyConstraintViolation"),
    "monitor evse 2**40": ("NotifyMonitoringReport", monitor_report(evse=2**40), "PropertyConstraintViolation"),
    "report seqNo 2**63": ("NotifyMonitoringReport", monitor_report(seq_no=HUGE), "PropertyConstraintViolation"),
    "501 monitors in one frame": ("NotifyMonitoringReport", monitor_report(count=501), "OccurrenceConstraintViolation"),
    "201 display messages in one frame": (
        "NotifyDisplayMessages",
        {"requestId": 1, "messageInfo": [{"id": n, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "x"}} for n in range(201)]},
        "OccurrenceConstraintViolation",
    ),
    "customer requestId 2**63": (
        "NotifyCustomerInformation", {"data": "x", "seqNo": 0, "generatedAt": GENERATED, "requestId": HUGE}, "PropertyConstraintViolation",
    ),
    "customer seqNo -1": (
        "NotifyCustomerInformation", {"data": "x", "seqNo": -1, "generatedAt": GENERATED, "requestId": 1}, "PropertyConstraintViolation",
    ),
    "event id 2**63": ("NotifyEvent", {"generatedAt": GENERATED, "seqNo": 0, "eventData": [dict(EVENT, eventId=HUGE)]}, "PropertyConstraintViolation"),
    "event monitor id -1": (
        "NotifyEvent", {"generatedAt": GENERATED, "seqNo": 0, "eventData": [dict(EVENT, variableMonitoringId=-1)]}, "PropertyConstraintViolation",
    ),
    "event evse 300": (
        "NotifyEvent", {"generatedAt": GENERATED, "seqNo": 0, "eventData": [dict(EVENT, component={"name": "EVSE", "evse": {"id": 300}})]},
        "PropertyConstraintViolation",
    ),
    "201 events in one frame": (
        "NotifyEvent", {"generatedAt": GENERATED, "seqNo": 0, "eventData": [dict(EVENT, eventId=n) for n in range(201)]}, "OccurrenceConstraintViolation",
    ),
    "display message id 2**63": (
        "NotifyDisplayMessages",
        {"requestId": 1, "messageInfo": [{"id": HUGE, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "x"}}]},
        "PropertyConstraintViolation",
    ),
}


async def test_numbers_out_of_range_in_reports_get_a_callerror_and_nothing_is_stored(api, new_station):
    from tests.servers import RawStation

    station = new_station("NBND")
    raw = await RawStation.open(station.url, identity=station.identity, password=station.password, ocpp_version="2.0.1")
    try:
        boot = await raw.call("BootNotification", {"chargingStation": {"vendorName": "BoundCo", "model": "B-1"}, "reason": "PowerUp"})
        assert boot[2]["status"] == "Accepted"
        for case, (action, payload, code) in REFUSED.items():
            reply = await raw.call(action, payload, timeout=10)
            assert reply[0] == 4 and reply[2] == code, f"{case}: {reply}"
        # A report within bounds is stored and answered.
        assert (await raw.call("NotifyMonitoringReport", monitor_report(monitor_id=5, value=-250.5)))[0:1] == [3]
    finally:
        await raw.close()
    rows = await monitors_listed(api, station.identity)
    assert [(r["monitor_id"], r["value"]) for r in rows] == [(5, -250.5)]
    assert await listed(api, "/api/customer_information/", station=station.identity) == []
    assert await listed(api, "/api/display_messages/", station=station.identity) == []
    assert await listed(api, "/api/station_events/", station=station.identity, source="NotifyEvent") == []
