"""The provisioning actions' parameters (per OCPP version), the requests built from them, and what
their answers store (device model, configuration keys, report rows). The e2e cases are in
tests/test_provisioning_e2e.py."""
from __future__ import annotations

import pytest
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case

from commands.models import Command
from commands.services import command_finish, command_parameters_clean
from commands.tests.test_parameters import errors_of, v16, v201  # noqa: F401 - fixtures shared with the other actions' tests
from ocpp_gateway.device_actions import notify_report_received
from ocpp_gateway.remote import build_request
from stations.models import ConfigurationKey, DeviceModelReport, DeviceModelVariable


def sent(station, action: str, **data) -> tuple[Command, dict]:
    """The command as recorded and the request payload as it goes on the wire (camelCase)."""
    parameters = command_parameters_clean(station=station, action=action, data=data)
    command = Command.objects.create(station=station, action=action, parameters=parameters, status="sent")
    payload = build_request(command, version=station.ocpp_version)
    return command, snake_to_camel_case(remove_nones(serialize_as_dict(payload)))


def answered(command: Command, answer: dict) -> Command:
    from commands import registry

    action = registry.get(command.action)
    result = action.result(answer)
    command_finish(command=command, status="accepted" if result in action.accepting else "rejected", result=result, answer=answer)
    command.refresh_from_db()
    return command


def test_variables_are_read_from_lines_or_a_json_list(v201):
    lines = "OCPPCommCtrlr.OfflineThreshold\nEVSE(main)@1/2.Power(max):MaxSet\n\n"
    as_list = ["OCPPCommCtrlr.OfflineThreshold", {"component": "EVSE", "component_instance": "main", "evse_id": 1, "connector_id": 2, "variable": "Power", "variable_instance": "max", "attribute_type": "MaxSet"}]
    for value in (lines, as_list):
        _, payload = sent(v201, "get_variables", variables=value)
        assert payload == {
            "getVariableData": [
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
                {
                    "attributeType": "MaxSet",
                    "component": {"name": "EVSE", "instance": "main", "evse": {"id": 1, "connectorId": 2}},
                    "variable": {"name": "Power", "instance": "max"},
                },
            ]
        }


@pytest.mark.parametrize(
    "variables, message",
    [
        ("OCPPCommCtrlr", "a variable name is required"),
        ("Comp.Var:Later", "attribute type is one of"),
        ("Connector@/1.Var", "is not Component"),
        ("C" * 51 + ".Var", "at most 50 characters"),
        ("SecurityCtrlr.BasicAuthPassword", "a secret"),
        ([{"component": "A", "variable": "B", "colour": "red"}], "unknown keys colour"),
        ("\n".join(f"C.V{i}" for i in range(51)), "At most 50 entries"),
    ],
)
def test_get_variables_refuses_what_cannot_be_sent(v201, variables, message):
    assert message in " ".join(errors_of(v201, "get_variables", variables=variables)["variables"])


def test_the_stations_items_per_message_limit_is_kept(v201):
    DeviceModelVariable.objects.create(
        station=v201, component="DeviceDataCtrlr", variable="ItemsPerMessage", variable_instance="SetVariables", value="2"
    )
    errors = errors_of(v201, "set_variables", variables="A.B=1\nA.C=2\nA.D=3")
    assert "at most 2 entries" in " ".join(errors["variables"])
    assert command_parameters_clean(station=v201, action="set_variables", data={"variables": "A.B=1\nA.C=x=y"})["variables"][1]["value"] == "x=y"


def test_set_variables_refuses_read_only_write_only_and_security_settings(v201):
    DeviceModelVariable.objects.create(station=v201, component="ChargingStation", variable="Model", mutability="ReadOnly")
    DeviceModelVariable.objects.create(station=v201, component="Vendor", variable="Token", mutability="WriteOnly")
    errors = " ".join(
        errors_of(
            v201, "set_variables",
            variables="ChargingStation.Model=X\nVendor.Token=abc\nSecurityCtrlr.BasicAuthPassword=0123456789abcdef\nSecurityCtrlr.SecurityProfile=2",
        )["variables"]
    )
    assert "ChargingStation.Model: ChargingStation.Model is read-only" in errors
    assert "Vendor.Token" in errors and "write-only" in errors
    assert "BasicAuthPassword" in errors and "Rotate password" in errors
    assert "security-profile upgrade" in errors


def test_a_1_6_station_has_no_device_model_actions(v16):
    for action, data in [
        ("get_variables", {"variables": "A.B"}),
        ("set_variables", {"variables": "A.B=1"}),
        ("get_base_report", {"report_base": "FullInventory"}),
        ("set_network_profile", {}),
    ]:
        assert "does not exist in OCPP 1.6" in " ".join(errors_of(v16, action, **data)["__all__"])


def test_a_2_0_1_station_has_no_get_configuration_nor_extended_trigger(v201):
    assert "does not exist in OCPP 2.0.1" in " ".join(errors_of(v201, "get_configuration")["__all__"])
    assert "does not exist in OCPP 2.0.1" in " ".join(
        errors_of(v201, "extended_trigger_message", requested_message="Heartbeat")["__all__"]
    )


def test_get_variables_stores_accepted_values_and_never_a_disclosed_secret(v201):
    command, _ = sent(v201, "get_variables", variables="OCPPCommCtrlr.OfflineThreshold\nVendor.Key\nAuthCtrlr.Nope")
    DeviceModelVariable.objects.create(station=v201, component="Vendor", variable="Key", mutability="WriteOnly")
    command = answered(
        command,
        {
            "getVariableResult": [
                {"attributeStatus": "Accepted", "attributeValue": "600", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
                {"attributeStatus": "Accepted", "attributeValue": "s3cret", "component": {"name": "Vendor"}, "variable": {"name": "Key"}},
                {"attributeStatus": "UnknownVariable", "component": {"name": "AuthCtrlr"}, "variable": {"name": "Nope"}},
            ]
        },
    )
    assert (command.status, command.result) == ("rejected", "2 of 3 accepted")
    assert DeviceModelVariable.objects.get(station=v201, variable="OfflineThreshold").value == "600"
    assert DeviceModelVariable.objects.get(station=v201, variable="Key").value == ""
    assert "s3cret" not in str(command.answer)


def test_set_variables_stores_only_what_the_station_accepted(v201):
    command, payload = sent(v201, "set_variables", variables="OCPPCommCtrlr.OfflineThreshold=123\nEVSE@1.Power:MaxSet=7000")
    assert payload["setVariableData"][1] == {
        "attributeType": "MaxSet", "attributeValue": "7000", "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"},
    }
    command = answered(
        command,
        {
            "setVariableResult": [
                {"attributeStatus": "RebootRequired", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
                {"attributeStatus": "Rejected", "attributeType": "MaxSet", "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}},
            ]
        },
    )
    assert (command.status, command.result) == ("rejected", "1 of 2 accepted")
    assert DeviceModelVariable.objects.get(station=v201, variable="OfflineThreshold").value == "123"
    assert not DeviceModelVariable.objects.filter(station=v201, variable="Power").exists()


def test_report_parts_are_counted_by_request_id_and_a_full_inventory_replaces(v201):
    DeviceModelVariable.objects.create(station=v201, component="Old", variable="Gone", value="1")
    command, payload = sent(v201, "get_base_report", report_base="FullInventory")
    assert payload == {"requestId": command.pk, "reportBase": "FullInventory"}
    item = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "HeartbeatInterval"},
        "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
    }
    notify_report_received(station=v201, payload={"requestId": command.pk, "seqNo": 0, "tbc": True, "generatedAt": "2026-01-01T00:00:00Z", "reportData": [item]}, boot_request_id=None)
    notify_report_received(station=v201, payload={"requestId": command.pk, "seqNo": 1, "generatedAt": "2026-01-01T00:00:00Z"}, boot_request_id=None)
    report = DeviceModelReport.objects.get(station=v201, request_id=command.pk)
    assert (report.report_base, report.parts, report.variables, report.complete) == ("FullInventory", 2, 1, True)
    assert not DeviceModelVariable.objects.filter(station=v201, component="Old").exists()
    # A report nobody asked for by this id (another CSMS's, or a station's mistake) updates, never replaces.
    notify_report_received(station=v201, payload={"requestId": 999999, "seqNo": 0, "generatedAt": "2026-01-01T00:00:00Z", "reportData": [item]}, boot_request_id=None)
    assert DeviceModelVariable.objects.filter(station=v201).count() == 1
    answered(command, {"status": "Accepted"})
    assert DeviceModelReport.objects.filter(station=v201, request_id=command.pk).count() == 1


def test_a_report_request_id_out_of_range_is_refused(v201):
    from stations.bounds import OutOfBounds

    with pytest.raises(OutOfBounds):
        notify_report_received(station=v201, payload={"requestId": 2**40, "seqNo": 0, "generatedAt": "2026-01-01T00:00:00Z"}, boot_request_id=None)


def test_get_report_needs_criteria_or_components(v201):
    assert "criteria" in " ".join(errors_of(v201, "get_report")["component_criteria"])
    command, payload = sent(v201, "get_report", component_criteria=["Problem"], component_variables="EVSE@1")
    assert payload == {"requestId": command.pk, "componentCriteria": ["Problem"], "componentVariable": [{"component": {"name": "EVSE", "evse": {"id": 1}}}]}


def test_get_configuration_all_keys_replaces_named_keys_merge(v16):
    ConfigurationKey.objects.create(station=v16, key="Stale", value="x")
    command, payload = sent(v16, "get_configuration", keys="HeartbeatInterval, AuthorizationKey")
    assert payload == {"key": ["HeartbeatInterval", "AuthorizationKey"]}
    command = answered(
        command,
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}, {"key": "AuthorizationKey", "readonly": False, "value": "leaked"}]},
    )
    assert command.result == "Accepted" and "leaked" not in str(command.answer)
    assert set(ConfigurationKey.objects.filter(station=v16).values_list("key", "value")) == {("Stale", "x"), ("HeartbeatInterval", "300"), ("AuthorizationKey", "")}
    command, payload = sent(v16, "get_configuration")
    assert payload == {}
    answered(command, {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}], "unknownKey": []})
    assert list(ConfigurationKey.objects.filter(station=v16).values_list("key", "value")) == [("HeartbeatInterval", "60")]


def test_set_network_profile_matches_the_url_to_the_profile_and_keeps_the_minimum(v201):
    base = {"configuration_slot": 1, "ocpp_csms_url": "wss://csms.example.com/ocpp/", "security_profile": 2}
    _, payload = sent(v201, "set_network_profile", **base)
    assert payload["connectionData"] == {
        "messageTimeout": 30, "ocppCsmsUrl": "wss://csms.example.com/ocpp/", "ocppInterface": "Wired0",
        "ocppTransport": "JSON", "ocppVersion": "OCPP20", "securityProfile": 2,
    }
    assert "ws://" in " ".join(errors_of(v201, "set_network_profile", **{**base, "security_profile": 1})["ocpp_csms_url"])
    v201.security_profile = 3
    v201.save()
    assert "below security profile 3" in " ".join(errors_of(v201, "set_network_profile", **base)["security_profile"])


def test_data_transfer_and_extended_trigger_requests(v16):
    _, payload = sent(v16, "data_transfer", vendor_id="com.example", message_id="Ping", data="x")
    assert payload == {"vendorId": "com.example", "messageId": "Ping", "data": "x"}
    _, payload = sent(v16, "extended_trigger_message", requested_message="SignChargePointCertificate")
    assert payload == {"requestedMessage": "SignChargePointCertificate"}
    assert "requested_message" in errors_of(v16, "extended_trigger_message", requested_message="SignV2GCertificate")


def test_a_station_s_data_transfer_is_kept_only_for_a_configured_vendor(v16, settings):
    from ocpp_gateway.data_transfer import data_transfer_received
    from stations.models import StationEvent

    assert data_transfer_received(station=v16, vendor_id="com.example", message_id="Status", data="1") == "UnknownVendorId"
    settings.OCPP_DATA_TRANSFER_VENDORS = ["COM.Example:Status", "org.any"]
    assert data_transfer_received(station=v16, vendor_id="com.example", message_id="Other", data="1") == "UnknownMessageId"
    assert data_transfer_received(station=v16, vendor_id="com.example", message_id="Status", data="x" * 20_000) == "Accepted"
    assert data_transfer_received(station=v16, vendor_id="org.any", message_id=None, data={"a": [1]}) == "Accepted"
    events = list(StationEvent.objects.filter(station=v16, source="DataTransfer").order_by("pk"))
    assert [(e.component, e.event_type, len(e.value), e.data["truncated"]) for e in events] == [
        ("com.example", "Status", 10_000, True),
        ("org.any", "", len('{"a": [1]}'), False),
    ]


def test_the_console_menu_offers_the_provisioning_forms_and_takes_their_lines(client, operator_a, v201):
    from django.urls import reverse

    from console.tests.test_pages import login, onboard

    onboard(v201, connected=False)
    v201.ocpp_version = "2.0.1"  # onboard() makes it a 1.6 Zaptec
    v201.save()
    login(client, operator_a)
    html = client.get(reverse("console:station-detail", args=[v201.identity])).content.decode()
    for name in ("get_variables", "set_variables", "get_base_report", "get_report", "set_network_profile", "data_transfer"):
        assert f'id="action-{name}-' in html, name
    assert "get_configuration" not in html and "extended_trigger_message" not in html  # 1.6 only
    response = client.post(
        reverse("console:station-action", args=[v201.identity, "set_variables"]),
        {"variables": "OCPPCommCtrlr.OfflineThreshold=123\r\nAuthCtrlr.AuthorizeRemoteStart=false"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    assert Command.objects.get(action="set_variables").parameters["variables"] == [
        {"component": "OCPPCommCtrlr", "variable": "OfflineThreshold", "value": "123"},
        {"component": "AuthCtrlr", "variable": "AuthorizeRemoteStart", "value": "false"},
    ]
