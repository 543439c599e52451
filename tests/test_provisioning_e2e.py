"""Provisioning actions (issue 14, block B): the OCA CSMS test cases, driven through the API as an
operator does, against real websocket stations on the session's live server.

Each test names its case (OCPP 2.0.1 Part 6 "TC_B_.._CSMS"; OCTT 1.6 "TC_0.."), performs the
manual action the case asks of the CSMS, and asserts the request the station received field by field.
The stations are the `ocpp` library's client (simulator/), which validates every incoming CALL
against the OCA JSON schema and answers a CALLERROR on any violation: each test ends asserting
none was sent. The platform validates every answer the same way.

The stations sit in a network with the configuration read after boot turned off, as a
certification run has it: the only requests they get are the ones the operator sends.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import call_result as result201

from certificates import pki
from simulator import Station16, Station201
from tests.recording_station import act, operator_action
from tests.servers import Platform, wait_for

pytestmark = pytest.mark.e2e

NETWORK = "Provisioning"


# --- stations ---------------------------------------------------------------------------------------


class ReportingStation201(Station201):
    """The simulator plus GetReport (B08), and a SetNetworkProfile answer the test chooses (B09)."""

    network_profile_status: str | None = None

    @on("GetReport")
    def on_get_report(self, request_id: int, component_criteria=None, component_variable=None, **kwargs):
        self.record("GetReport", {"request_id": request_id, "component_criteria": component_criteria, "component_variable": component_variable})
        return result201.GetReport(status="Accepted")

    async def _send_custom_report(self, request_id: int, component_variable: list[dict[str, Any]] | None) -> None:
        wanted = {(cv["component"]["name"], (cv.get("variable") or {}).get("name")) for cv in component_variable or []}
        chosen = [v for v in self.variables.values() if (v.component, v.name) in wanted or (v.component, None) in wanted]
        from ocpp.v201 import call as call201

        from simulator.base import now_iso

        await self.request(
            call201.NotifyReport(
                request_id=request_id, generated_at=now_iso(), seq_no=0, report_data=[self.report_data(v) for v in chosen] or None
            )
        )

    @on("SetNetworkProfile")
    def on_set_network_profile(self, configuration_slot: int, connection_data: dict[str, Any], **kwargs):
        if self.network_profile_status is None:
            return super().on_set_network_profile(configuration_slot, connection_data, **kwargs)
        self.record("SetNetworkProfile", {"configuration_slot": configuration_slot, "connection_data": connection_data})
        return result201.SetNetworkProfile(status=self.network_profile_status)


class SecurityStation16(Station16):
    """The 1.6 simulator plus the Security Whitepaper's ExtendedTriggerMessage and certificate signing.

    ``certificate_verdict`` is its answer to CertificateSigned: Rejected also sends the
    SecurityEventNotification InvalidChargePointCertificate (TC_077).
    """

    certificate_verdict = "Accepted"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.key = pki.generate_key()
        self.certificates: list[str] = []

    @on("ExtendedTriggerMessage")
    def on_extended_trigger_message(self, requested_message: str, connector_id: int | None = None, **kwargs):
        self.record("ExtendedTriggerMessage", {"requested_message": requested_message, "connector_id": connector_id})
        if requested_message == "SignChargePointCertificate":
            self.spawn(self._sign_certificate())
            return result16.ExtendedTriggerMessage(status="Accepted")
        if requested_message == "Heartbeat":
            self.spawn(self.request(call16.Heartbeat()))
            return result16.ExtendedTriggerMessage(status="Accepted")
        return result16.ExtendedTriggerMessage(status="NotImplemented")

    async def _sign_certificate(self) -> None:
        await asyncio.sleep(0.05)  # after the answer, as a station does
        csr = pki.build_csr(key=self.key, common_name=self.identity, organization="Switch")
        answer = await self.request(call16.SignCertificate(csr=csr))
        self.record("SignCertificate.conf", {"status": answer.status})

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain: str, **kwargs):
        self.record("CertificateSigned", {"certificate_chain": certificate_chain})
        if self.certificate_verdict == "Accepted":
            self.certificates.append(certificate_chain)
        else:
            self.spawn(self._report_invalid_certificate())
        return result16.CertificateSigned(status=self.certificate_verdict)

    async def _report_invalid_certificate(self) -> None:
        await asyncio.sleep(0.05)
        from simulator.base import now_iso

        await self.request(
            call16.SecurityEventNotification(type="InvalidChargePointCertificate", timestamp=now_iso(), tech_info="rejected by test")
        )
        self.record("SecurityEventNotification.sent", {})


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network(api) -> str:
    found = api.get("/api/networks/", params={"name": NETWORK}, expect=200).json()["results"]
    if not found:
        api.create_network(NETWORK, read_configuration_after_boot=False)
    return NETWORK


@contextlib.asynccontextmanager
async def station(cls, new_station, network: str, **kwargs):
    created = new_station("PROV", network=network)
    sim = cls(identity=created.identity, password=created.password, url=created.url, **kwargs)
    await sim.connect()
    try:
        await sim.boot()
        await sim.send_all_status()
        yield sim
    finally:
        await sim.disconnect()
    # Every request the platform sent passed the OCA schema (the library checks each CALL).
    assert sim.errors_sent == [], f"the station answered the platform with CALLERRORs: {sim.errors_sent}"


def maintenance_page(admin, identity: str) -> str:
    """The console's station maintenance tab: configuration keys, device model, reports."""
    return admin.page(f"/console/stations/{identity}/maintenance/")


def shown_value(page: str, name: str) -> str:
    """The value the page shows in the row of ``name`` (a configuration key or variable)."""
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*?>{re.escape(name)}<(?:(?!</tr>).)*</tr>", page, re.S)
    assert row, f"{name} is not shown"
    return row.group(0)


# --- 2.0.1 Get/SetVariables (B05, B06) -----------------------------------------------------------------


async def test_TC_B_06_get_variables_single_value(api, admin, new_station, network):
    async with station(Station201, new_station, network) as sim:
        done = await operator_action(api, sim.identity, "get_variables", variables="OCPPCommCtrlr.OfflineThreshold")
        request = await sim.wait_for_request("GetVariables")
        # Tool validation step 1: attributeType absent (or Actual), variable and component names.
        assert request["get_variable_data"] == [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert done["answer"]["getVariableResult"] == [
            {
                "attributeStatus": "Accepted",
                "attributeType": "Actual",
                "attributeValue": "600",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "OfflineThreshold"},
            }
        ]
    # Post scenario: the CSMS has read the variable: the station page shows it.
    assert "600" in shown_value(await asyncio.to_thread(maintenance_page, admin, sim.identity), "OfflineThreshold")


async def test_TC_B_07_get_variables_multiple_values(api, admin, new_station, network):
    async with station(Station201, new_station, network) as sim:
        done = await operator_action(
            api, sim.identity, "get_variables", variables=["OCPPCommCtrlr.OfflineThreshold", "AuthCtrlr.AuthorizeRemoteStart"]
        )
        request = await sim.wait_for_request("GetVariables")
        assert request["get_variable_data"] == [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
            {"component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"}},
        ]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert [(r["variable"]["name"], r["attributeStatus"], r["attributeValue"]) for r in done["answer"]["getVariableResult"]] == [
            ("OfflineThreshold", "Accepted", "600"),
            ("AuthorizeRemoteStart", "Accepted", "false"),
        ]
        # Several entries with EVSE, instance and attribute type; an unknown one is answered per variable.
        done = await operator_action(
            api, sim.identity, "get_variables", variables="EVSE@1.AvailabilityState\nOCPPCommCtrlr.MessageTimeout(Default):Actual\nOCPPCommCtrlr.Nope"
        )
        request = await sim.wait_for_request("GetVariables", count=2)
        assert request["get_variable_data"] == [
            {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}},
            {"attribute_type": "Actual", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "MessageTimeout", "instance": "Default"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nope"}},
        ]
        assert (done["status"], done["result"]) == ("rejected", "2 of 3 accepted")
        assert [r["attributeStatus"] for r in done["answer"]["getVariableResult"]] == ["Accepted", "Accepted", "UnknownVariable"]
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert "false" in shown_value(page, "AuthorizeRemoteStart")
    assert "30" in shown_value(page, "MessageTimeout")


async def test_TC_B_08_the_csms_sends_no_more_variables_than_the_station_takes(api, admin, new_station, network):
    """TC_B_08 is a station case (B06.FR.05, at most ItemsPerMessageGetVariables per request): the
    CSMS's side is to keep that limit once the station reported it (here 20, in its FullInventory)."""
    async with station(Station201, new_station, network) as sim:
        await _base_report(api, admin, sim, "FullInventory")
        names = [f"{v.component}.{v.name}" + (f"({v.instance})" if v.instance else "") for v in sim.variables.values() if v.evse is None and v.mutability != "WriteOnly"]
        refused = await act(api, sim.identity, "get_variables", expect=400, variables=names[:21])
        assert "at most 20 entries" in " ".join(refused["variables"])
        done = await operator_action(api, sim.identity, "get_variables", variables=names[:20])
        assert len((await sim.wait_for_request("GetVariables"))["get_variable_data"]) == 20
        assert (done["status"], done["result"]) == ("accepted", "Accepted")


async def test_TC_B_10_set_variables_multiple_values(api, admin, new_station, network):
    async with station(Station201, new_station, network) as sim:
        done = await operator_action(
            api, sim.identity, "set_variables", variables="OCPPCommCtrlr.OfflineThreshold=123\nAuthCtrlr.AuthorizeRemoteStart=false"
        )
        request = await sim.wait_for_request("SetVariables")
        # Tool validation step 1: names, attributeValue, attributeType absent (or Actual).
        assert request["set_variable_data"] == [
            {"attribute_value": "123", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
            {"attribute_value": "false", "component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"}},
        ]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert [(r["variable"]["name"], r["attributeStatus"]) for r in done["answer"]["setVariableResult"]] == [
            ("OfflineThreshold", "Accepted"),
            ("AuthorizeRemoteStart", "Accepted"),
        ]
        assert sim.variables[("OCPPCommCtrlr", None, None, "OfflineThreshold", None)].value == "123"
        # A refused entry is shown per variable; only the accepted one is stored.
        done = await operator_action(
            api, sim.identity, "set_variables", variables=["OCPPCommCtrlr.OfflineThreshold=77", "OCPPCommCtrlr.HeartbeatInterval=soon"]
        )
        assert (done["status"], done["result"]) == ("rejected", "1 of 2 accepted")
        assert [r["attributeStatus"] for r in done["answer"]["setVariableResult"]] == ["Accepted", "Rejected"]
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert "77" in shown_value(page, "OfflineThreshold")
    assert "false" in shown_value(page, "AuthorizeRemoteStart")
    assert "soon" not in page


async def test_set_variables_refuses_secrets_and_bad_entries_with_field_errors(api, new_station, network):
    created = new_station("PROV", network=network, ocpp_version="2.0.1")
    for variables, message in [
        ("SecurityCtrlr.BasicAuthPassword=abcdefghijklmnopq", "security setting"),
        ("SecurityCtrlr.SecurityProfile=3", "security-profile upgrade"),
        ("OCPPCommCtrlr.OfflineThreshold", "has no value"),
        ("OCPPCommCtrlr.OfflineThreshold:Sometimes=1", "attribute type"),
        ("", "required"),
    ]:
        refused = await act(api, created.identity, "set_variables", expect=400, variables=variables)
        assert message in " ".join(refused["variables"]), refused
    refused = await act(api, created.identity, "get_variables", expect=400, variables="SecurityCtrlr.BasicAuthPassword")
    assert "secret" in " ".join(refused["variables"])
    refused = await act(api, created.identity, "get_configuration", expect=400)
    assert "OCPP 1.6" in str(refused)


# --- 2.0.1 reports (B07, B08) ---------------------------------------------------------------------


async def _base_report(api, admin, sim, report_base: str) -> tuple[dict, dict]:
    done = await operator_action(api, sim.identity, "get_base_report", report_base=report_base)
    request = await sim.wait_for_request("GetBaseReport")
    # Tool validation step 1: requestId an integer >= 0, reportBase as asked.
    assert request == {"request_id": done["id"], "report_base": report_base}
    assert (done["status"], done["result"], done["answer"]) == ("accepted", "Accepted", {"status": "Accepted"})
    # Post scenario: every NotifyReport for this requestId received, the result shown to the operator.
    await asyncio.to_thread(
        wait_for, lambda: f"#{done['id']}" in (page := maintenance_page(admin, sim.identity)) and "complete" in _report_row(page, done["id"]),
        timeout=10, what="the report shown complete",
    )
    return done, request


def _report_row(page: str, request_id: int) -> str:
    match = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*#{request_id}\b(?:(?!</tr>).)*</tr>", page, re.S)
    return match.group(0) if match else ""


async def test_TC_B_12_get_base_report_configuration_inventory(api, admin, new_station, network):
    async with station(Station201, new_station, network) as sim:
        sim.report_part_size = 5
        done, _ = await _base_report(api, admin, sim, "ConfigurationInventory")
        settable = [v for v in sim.variables.values() if v.mutability != "ReadOnly"]
        parts = [r for r in sim.reports_sent if r["request_id"] == done["id"]]
        assert len(parts) == -(-len(settable) // 5) > 1
    row = _report_row(await asyncio.to_thread(maintenance_page, admin, sim.identity), done["id"])
    assert "ConfigurationInventory" in row and f">{len(parts)} parts<" in row
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert "600" in shown_value(page, "OfflineThreshold")


async def test_TC_B_13_get_base_report_full_inventory(api, admin, new_station, network):
    async with station(Station201, new_station, network) as sim:
        done, _ = await _base_report(api, admin, sim, "FullInventory")
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert "FullInventory" in _report_row(page, done["id"])
    # Read-only variables too: the full inventory.
    assert "cType2" in shown_value(page, "ConnectorType")


async def test_get_base_report_summary_inventory(api, admin, new_station, network):
    """B07.FR.09 SummaryInventory (the issue's TC_B_18; the 2023 Part 6 has no CSMS case of that number)."""
    async with station(Station201, new_station, network) as sim:
        done, _ = await _base_report(api, admin, sim, "SummaryInventory")
    assert "SummaryInventory" in _report_row(await asyncio.to_thread(maintenance_page, admin, sim.identity), done["id"])


async def test_get_report_with_criteria_and_component_variables(api, admin, new_station, network):
    """B08 GetReport (the issue's TC_B_08/TC_B_14: criteria and componentVariable)."""
    async with station(ReportingStation201, new_station, network) as sim:
        done = await operator_action(
            api, sim.identity, "get_report", component_criteria="Active, Problem",
            component_variables="OCPPCommCtrlr.HeartbeatInterval\nEVSE@1",
        )
        request = await sim.wait_for_request("GetReport")
        assert request == {
            "request_id": done["id"],
            "component_criteria": ["Active", "Problem"],
            "component_variable": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "EVSE", "evse": {"id": 1}}},
            ],
        }
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        await sim._send_custom_report(done["id"], request["component_variable"])
    row = _report_row(await asyncio.to_thread(maintenance_page, admin, sim.identity), done["id"])
    assert "Custom" in row and "complete" in row and ">1 part<" in row
    refused = await act(api, sim.identity, "get_report", expect=400)
    assert "criteria" in " ".join(refused["component_criteria"])
    refused = await act(api, sim.identity, "get_report", expect=400, component_criteria="Broken")
    assert "not one of" in " ".join(refused["component_criteria"])


# --- 2.0.1 SetNetworkProfile (B09) ------------------------------------------------------------------


async def test_TC_B_42_set_network_profile_accepted(api, platform, new_station, network):
    async with station(ReportingStation201, new_station, network) as sim:
        done = await operator_action(
            api, sim.identity, "set_network_profile", configuration_slot=1, ocpp_csms_url=platform.ocpp_url,
            security_profile=1, ocpp_interface="Wired0", message_timeout=30,
        )
        request = await sim.wait_for_request("SetNetworkProfile")
        assert request == {
            "configuration_slot": 1,
            "connection_data": {
                "ocpp_version": "OCPP20",
                "ocpp_transport": "JSON",
                "ocpp_csms_url": platform.ocpp_url,
                "message_timeout": 30,
                "security_profile": 1,
                "ocpp_interface": "Wired0",
            },
        }
        assert (done["status"], done["result"]) == ("accepted", "Accepted")


async def test_TC_B_44_set_network_profile_failed(api, platform, new_station, network):
    async with station(ReportingStation201, new_station, network) as sim:
        sim.network_profile_status = "Failed"
        done = await operator_action(
            api, sim.identity, "set_network_profile", configuration_slot=2, ocpp_csms_url=platform.ocpp_url, security_profile=1
        )
        assert (await sim.wait_for_request("SetNetworkProfile"))["configuration_slot"] == 2
        # The CSMS handles Failed: the command is final, rejected, with the station's word.
        assert (done["status"], done["result"], done["answer"]) == ("rejected", "Failed", {"status": "Failed"})
    for params, field, message in [
        ({"security_profile": 2}, "ocpp_csms_url", "wss://"),
        ({"ocpp_csms_url": "http://example.com/ocpp/"}, "ocpp_csms_url", "websocket URL"),
        ({"ocpp_interface": "Satellite0"}, "ocpp_interface", "valid choice"),
    ]:
        body = {"configuration_slot": 1, "ocpp_csms_url": platform.ocpp_url, "security_profile": 1, **params}
        refused = await act(api, sim.identity, "set_network_profile", expect=400, **body)
        assert message in " ".join(refused[field]), refused


# --- 1.6 GetConfiguration (TC_019_1, TC_019_2) ---------------------------------------------------------


async def test_TC_019_1_retrieve_all_configuration_keys(api, admin, new_station, network):
    async with station(Station16, new_station, network) as sim:
        done = await operator_action(api, sim.identity, "get_configuration")
        request = await sim.wait_for_request("GetConfiguration")
        # No key: the station reports every key it has (1.6 §5.8).
        assert request == {"key": None}
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        reported = {k["key"]: k for k in done["answer"]["configurationKey"]}
        assert set(reported) == {name for name, entry in sim.config.items() if not entry.writeonly}
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert sim.config["HeartbeatInterval"].value in shown_value(page, "HeartbeatInterval")
    assert "AuthorizationKey" not in page or "<redacted>" not in page


async def test_TC_019_2_retrieve_specific_configuration_key(api, admin, new_station, network):
    async with station(Station16, new_station, network) as sim:
        done = await operator_action(api, sim.identity, "get_configuration", keys="SupportedFeatureProfiles")
        assert await sim.wait_for_request("GetConfiguration") == {"key": ["SupportedFeatureProfiles"]}
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert done["answer"]["configurationKey"] == [
            {"key": "SupportedFeatureProfiles", "readonly": True, "value": sim.config["SupportedFeatureProfiles"].value}
        ]
        # A key the station does not know comes back as unknown; the others stay stored.
        done = await operator_action(api, sim.identity, "get_configuration", keys=["HeartbeatInterval", "NoSuchKey"])
        assert (done["status"], done["result"], done["answer"]["unknownKey"]) == ("rejected", "1 unknown key", ["NoSuchKey"])
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    assert sim.config["SupportedFeatureProfiles"].value in shown_value(page, "SupportedFeatureProfiles")
    assert sim.config["HeartbeatInterval"].value in shown_value(page, "HeartbeatInterval")


# --- 1.6 Security Whitepaper: ExtendedTriggerMessage and CertificateSigned (TC_074, TC_077) -----------------


async def _certificate_by_trigger(api, sim) -> dict:
    done = await operator_action(api, sim.identity, "extended_trigger_message", requested_message="SignChargePointCertificate")
    assert await sim.wait_for_request("ExtendedTriggerMessage") == {"requested_message": "SignChargePointCertificate", "connector_id": None}
    assert (done["status"], done["result"]) == ("accepted", "Accepted")
    # The CSMS signs the CSR (SignCertificate.conf Accepted), then sends CertificateSigned.
    assert (await sim.wait_for_request("SignCertificate.conf"))["status"] == "Accepted"
    return await sim.wait_for_request("CertificateSigned")


@pytest.fixture(scope="module")
def pki_platform(tmp_path_factory):
    """A platform with its CA (the shared one has none: other modules expect that) and a vendor whose
    DataTransfer it takes."""
    instance = Platform.create(
        tmp_path_factory.mktemp("provisioning-pki"),
        env={"OCPP_AUTH_FAILURES_PER_MINUTE": "10000", "OCPP_DATA_TRANSFER_VENDORS": "com.example.fleet:Status|Ping"},
    )
    try:
        instance.manage("init_pki", "--hostname", "127.0.0.1")
        instance.start_daphne()
        instance.api.ensure_network(NETWORK)
        yield instance
    finally:
        instance.stop()


def pki_station(pki_platform, new_station):
    return lambda prefix, network: new_station(prefix, target=pki_platform, network=network)


async def test_TC_074_update_charge_point_certificate_by_request_of_central_system(pki_platform, new_station):
    api = pki_platform.api
    async with station(SecurityStation16, pki_station(pki_platform, new_station), NETWORK) as sim:
        signed = await _certificate_by_trigger(api, sim)
        certificate = pki.load_certificate(signed["certificate_chain"].encode())
        assert pki.common_names(certificate.subject) == [sim.identity]
        ca = pki.load_certificate(api.get("/pki/ca.pem", expect=200).text.encode())
        assert pki.signed_by(certificate, ca)
        assert sim.certificates == [signed["certificate_chain"]]


async def test_TC_077_invalid_charge_point_certificate_security_event(pki_platform, new_station):
    api, admin = pki_platform.api, pki_platform.admin()
    async with station(SecurityStation16, pki_station(pki_platform, new_station), NETWORK) as sim:
        sim.certificate_verdict = "Rejected"
        await _certificate_by_trigger(api, sim)
        await sim.wait_for_request("SecurityEventNotification.sent")
        # The CSMS answered the SecurityEventNotification (the request returned) and shows the event.
        page = await asyncio.to_thread(
            wait_for, lambda: p if "InvalidChargePointCertificate" in (p := maintenance_page(admin, sim.identity)) else None,
            timeout=10, what="the security event shown",
        )
        assert "InvalidChargePointCertificate" in page
        # Another trigger the station answers per its own support.
        done = await operator_action(api, sim.identity, "extended_trigger_message", requested_message="StatusNotification", connector_id=1)
        assert await sim.wait_for_request("ExtendedTriggerMessage", count=2) == {"requested_message": "StatusNotification", "connector_id": 1}
        assert (done["status"], done["result"]) == ("rejected", "NotImplemented")


# --- DataTransfer both ways (1.6 §4.3/§5.6, 2.0.1 P01/P02) ---------------------------------------------


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_data_transfer_both_directions(version, api, new_station, network):
    cls = Station16 if version == "1.6" else Station201
    async with station(cls, new_station, network) as sim:
        done = await operator_action(api, sim.identity, "data_transfer", vendor_id="com.example", message_id="Ping", data='{"n": 1}')
        assert await sim.wait_for_request("DataTransfer") == {"vendor_id": "com.example", "message_id": "Ping", "data": '{"n": 1}'}
        assert (done["status"], done["result"], done["answer"]) == ("rejected", "UnknownVendorId", {"status": "UnknownVendorId"})
        # Station-initiated: no vendor is configured on this platform, so UnknownVendorId (1.6 §4.3, 2.0.1 P02.FR.06).
        module = call16 if version == "1.6" else __import__("ocpp.v201.call", fromlist=["DataTransfer"])
        answer = await sim.request(module.DataTransfer(vendor_id="com.example", message_id="Hello", data="x"))
        assert answer.status == "UnknownVendorId"
        refused = await act(api, sim.identity, "data_transfer", expect=400, vendor_id="v" * 256)
        assert "255" in " ".join(refused["vendor_id"])


async def test_TC_P_02_data_transfer_from_a_station_is_kept_only_for_a_configured_vendor(pki_platform, new_station):
    from ocpp.v201 import call as call201

    admin = pki_platform.admin()
    async with station(Station201, pki_station(pki_platform, new_station), NETWORK) as sim:
        # TC_P_02_CSMS: a vendor the platform has no agreement with.
        answer = await sim.request(call201.DataTransfer(vendor_id="org.unknown", message_id="Status", data="x"))
        assert (answer.status, answer.data) == ("UnknownVendorId", None)
        answer = await sim.request(call201.DataTransfer(vendor_id="com.example.fleet", message_id="Reboot"))
        assert answer.status == "UnknownMessageId"
        answer = await sim.request(call201.DataTransfer(vendor_id="com.example.fleet", message_id="Status", data={"temp": 41}))
        assert answer.status == "Accepted"
    page = await asyncio.to_thread(maintenance_page, admin, sim.identity)
    events = re.search(r'id="station-events".*?</table>', page, re.S).group(0)
    assert "com.example.fleet" in events and "Status" in events and "{&quot;temp&quot;: 41}" in events
    assert "org.unknown" not in events and "Reboot" not in events


# --- TriggerMessage covers every requestable message --------------------------------------------------


async def test_trigger_message_offers_every_requestable_message(api, new_station, network):
    from ocpp.v16.enums import MessageTrigger as Trigger16
    from ocpp.v201.enums import MessageTriggerEnumType as Trigger201

    core_v16 = {"BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StatusNotification"}
    identity = new_station("PROV", network=network).identity
    actions = {a["name"]: a for a in api.get(f"/api/charging_stations/{identity}/actions/", expect=200).json()}
    fields = {f["name"]: f for f in actions["trigger_message"]["fields"]}
    # 1.6 §7.37 MessageTrigger and 2.0.1 MessageTriggerEnumType, every value.
    assert set(fields["requested_message"]["choices"]) == core_v16 | {t.value for t in Trigger201}
    assert {"evse_id", "connector_id"} <= set(fields)
    extended = {f["name"]: f for f in actions["extended_trigger_message"]["fields"]}
    # The Security Whitepaper's MessageTriggerEnumType (the library's 1.6 enum merges both lists).
    assert set(extended["requested_message"]["choices"]) == {t.value for t in Trigger16} - {"DiagnosticsStatusNotification"}
    assert actions["extended_trigger_message"]["ocpp_versions"] == ["1.6"]
