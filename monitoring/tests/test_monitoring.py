"""The monitoring app without a live server: reference parsing, the action forms' field errors, the
services' bookkeeping and the API's network scoping."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from commands.models import Command
from commands.services import command_parameters_clean
from monitoring.models import CustomerInformationPart, VariableMonitor
from monitoring.references import reference_clean, reference_parse
from monitoring.services import customer_information_store, monitors_clear_answered, monitors_set_answered
from stations.models import DeviceModelVariable

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def station(station_a):
    station_a.ocpp_version = "2.0.1"
    station_a.save()
    return station_a


def test_a_reference_is_read_from_text_and_from_an_object():
    assert reference_parse("EVSE@1/2.Voltage:L1") == {"component": "EVSE", "evse_id": 1, "connector_id": 2, "variable": "Voltage", "variable_instance": "L1"}
    assert reference_parse(" OCPPCommCtrlr.MessageTimeout:Default ") == {"component": "OCPPCommCtrlr", "variable": "MessageTimeout", "variable_instance": "Default"}
    assert reference_clean({"component": "EVSE", "evse_id": "1", "variable": "Power"}) == {"component": "EVSE", "evse_id": 1, "variable": "Power"}


@pytest.mark.parametrize(
    "bad, says",
    [
        ("EVSE", "is not a reference"),
        ({"component": "EVSE"}, "variable is required"),
        ({"component": "EVSE", "variable": "Power", "evse_id": 9999}, "between 0 and"),
        ({"component": "EVSE", "variable": "Power", "connector_id": 1}, "give its EVSE id"),
        ({"component": "EVSE", "variable": "Power", "colour": "red"}, "Unknown fields colour"),
    ],
)
def test_a_bad_reference_says_what_is_wrong(bad, says):
    with pytest.raises(ValidationError, match=says):
        reference_parse(bad) if isinstance(bad, str) else reference_clean(bad)


def test_set_variable_monitoring_reads_lines_and_objects_alike(station):
    from_text = command_parameters_clean(
        station=station, action="set_variable_monitoring", data={"monitors": "EVSE@1.Power UpperThreshold 11000.5 severity=3 transaction id=4"}
    )
    from_api = command_parameters_clean(
        station=station, action="set_variable_monitoring",
        data={"monitors": [{"component": "EVSE", "evse_id": 1, "variable": "Power", "type": "UpperThreshold", "value": 11000.5, "severity": 3, "transaction": True, "id": 4}]},
    )
    assert from_text == from_api == {
        "monitors": [{"component": "EVSE", "evse_id": 1, "variable": "Power", "type": "UpperThreshold", "value": 11000.5, "severity": 3, "transaction": True, "id": 4}]
    }


def test_a_bad_monitor_is_named_by_its_line(station):
    with pytest.raises(ValidationError) as refused:
        command_parameters_clean(station=station, action="set_variable_monitoring", data={"monitors": "EVSE@1.Power Delta 1\nEVSE@1.Power Delta inf"})
    assert refused.value.message_dict["monitors"] == ["Item 2: value must be a finite number within ±1e+12."]


def test_monitoring_actions_do_not_exist_for_16_stations(station_a):
    station_a.ocpp_version = "1.6"
    station_a.save()
    with pytest.raises(ValidationError, match="does not exist in OCPP 1.6"):
        command_parameters_clean(station=station_a, action="set_monitoring_level", data={"severity": 3})


def test_more_ids_than_the_station_takes_are_split(station):
    DeviceModelVariable.objects.create(
        station=station, component="MonitoringCtrlr", variable="ItemsPerMessage", variable_instance="ClearVariableMonitoring", value="3"
    )
    assert command_parameters_clean(station=station, action="clear_variable_monitoring", data={"ids": "1 2 3 4"}) == {
        "ids": [1, 2, 3, 4], "items_per_message": 3
    }
    assert command_parameters_clean(station=station, action="clear_variable_monitoring", data={"ids": [1, 2]}) == {"ids": [1, 2]}


def test_accepted_monitors_are_stored_and_cleared_ones_dropped(station):
    command = Command.objects.create(
        station=station, action="set_variable_monitoring", status="accepted",
        parameters={"monitors": [
            {"component": "EVSE", "evse_id": 1, "variable": "Power", "type": "UpperThreshold", "value": 7000, "severity": 4},
            {"component": "Nope", "variable": "Power", "type": "Delta", "value": 1, "severity": 8},
        ]},
        answer={"setMonitoringResult": [
            {"id": 12, "status": "Accepted", "type": "UpperThreshold", "severity": 4, "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}},
            {"status": "UnknownComponent", "type": "Delta", "severity": 8, "component": {"name": "Nope"}, "variable": {"name": "Power"}},
        ]},
    )
    assert monitors_set_answered(command=command) == 1
    assert list(VariableMonitor.objects.values_list("monitor_id", "value", "source")) == [(12, 7000.0, "set")]
    clear = Command.objects.create(
        station=station, action="clear_variable_monitoring", status="accepted", parameters={"ids": [12]},
        answer={"clearMonitoringResult": [{"status": "Accepted", "id": 12}]},
    )
    assert monitors_clear_answered(command=clear) == 1
    assert not VariableMonitor.objects.exists()


def test_another_networks_monitors_and_reports_do_not_exist(operator_b, viewer_a, station):
    VariableMonitor.objects.create(station=station, monitor_id=1, component="EVSE", variable="Power", monitor_type="Delta", value=1, severity=8, source="report")
    request = Command.objects.create(station=station, action="customer_information", parameters={"report": True, "clear": False, "customer_identifier": "X"})
    customer_information_store(station=station, request_id=request.pk, seq_no=0, tbc=False, data="secret-ish", generated_at=timezone.now())
    for path in ("/api/variable_monitors/", "/api/customer_information/", "/api/station_events/"):
        assert client_for(operator_b).get(path).json()["count"] == 0
    monitor = VariableMonitor.objects.get()
    assert client_for(operator_b).get(f"/api/variable_monitors/{monitor.pk}/").status_code == 404
    assert client_for(viewer_a).get(f"/api/variable_monitors/{monitor.pk}/").status_code == 200
    part = CustomerInformationPart.objects.get()
    assert client_for(viewer_a).get("/api/customer_information/", {"station": "CP-A-1"}).json()["results"][0]["data"] == "secret-ish"
    # Read-only: nobody writes reports through the API.
    assert client_for(viewer_a).delete(f"/api/customer_information/{part.pk}/").status_code == 405


def test_the_admin_offers_every_n_and_o_action_with_its_form(operator_a, station):
    from django.test import Client

    client = Client()
    client.force_login(operator_a)
    base = f"/admin/commands/command/station/{station.pk}/actions/"
    menu = client.get(base).content.decode()
    forms = {
        "get_monitoring_report": 'name="component_variables"',
        "set_variable_monitoring": 'name="monitors"',
        "clear_variable_monitoring": 'name="ids"',
        "set_monitoring_base": 'name="monitoring_base"',
        "set_monitoring_level": 'name="severity"',
        "customer_information": 'name="customer_identifier"',
        "set_display_message": 'name="content"',
        "get_display_messages": 'name="priority"',
        "clear_display_message": 'name="message_id"',
    }
    for action, field in forms.items():
        assert f"{base}{action}/" in menu, action
        assert field in client.get(f"{base}{action}/").content.decode(), action
    # Several criteria ticked in the admin's form reach the command (offline: failed at once, kept).
    client.post(f"{base}get_monitoring_report/", {"monitoring_criteria": ["ThresholdMonitoring", "DeltaMonitoring"], "component_variables": "EVSE@1.Power"})
    assert Command.objects.get().parameters == {
        "monitoring_criteria": ["ThresholdMonitoring", "DeltaMonitoring"], "component_variables": [{"component": "EVSE", "evse_id": 1, "variable": "Power"}]
    }


def test_criteria_come_as_a_list_or_as_comma_separated_text(station):
    as_list = command_parameters_clean(station=station, action="get_monitoring_report", data={"monitoring_criteria": ["DeltaMonitoring", "PeriodicMonitoring"]})
    as_text = command_parameters_clean(station=station, action="get_monitoring_report", data={"monitoring_criteria": "DeltaMonitoring, PeriodicMonitoring"})
    assert as_list["monitoring_criteria"] == as_text["monitoring_criteria"] == ["DeltaMonitoring", "PeriodicMonitoring"]
    with pytest.raises(ValidationError, match="Select a valid choice"):
        command_parameters_clean(station=station, action="get_monitoring_report", data={"monitoring_criteria": "Sometimes"})


def test_a_monitoring_report_may_name_a_component_alone(station):
    from monitoring.actions import _get_monitoring_report

    parameters = command_parameters_clean(station=station, action="get_monitoring_report", data={"component_variables": "EVSE@1\nChargingStation.Power"})
    assert parameters["component_variables"] == [{"component": "EVSE", "evse_id": 1}, {"component": "ChargingStation", "variable": "Power"}]
    command = Command(pk=7, station=station, action="get_monitoring_report", parameters=parameters)
    assert _get_monitoring_report(command).component_variable == [
        {"component": {"name": "EVSE", "evse": {"id": 1}}}, {"component": {"name": "ChargingStation"}, "variable": {"name": "Power"}}
    ]
    # Monitors are set on a variable: there it is required.
    with pytest.raises(ValidationError, match="is not a reference"):
        command_parameters_clean(station=station, action="set_variable_monitoring", data={"monitors": "EVSE@1 Delta 1"})


def test_reports_the_platform_did_not_ask_for_do_not_grow_its_tables(station, settings):
    import monitoring.services as services
    from monitoring.services import ReportedMonitor, monitoring_report_store
    from ocpp.exceptions import OCPPError

    assert customer_information_store(station=station, request_id=999, seq_no=0, tbc=False, data="x", generated_at=timezone.now()) is None
    assert not CustomerInformationPart.objects.exists()

    def monitor(n: int) -> ReportedMonitor:
        return ReportedMonitor(n, "EVSE", "", 1, None, "Power", "", "Delta", 1.0, 8, False)

    original = services.MAX_MONITORS_PER_STATION
    services.MAX_MONITORS_PER_STATION = 3
    try:
        monitoring_report_store(station=station, request_id=1, seq_no=0, monitors=[monitor(1), monitor(2), monitor(3)])
        # The same ids again are updates, not growth.
        monitoring_report_store(station=station, request_id=1, seq_no=1, monitors=[monitor(3), monitor(2)])
        with pytest.raises(OCPPError, match="at most 3"):
            monitoring_report_store(station=station, request_id=1, seq_no=2, monitors=[monitor(4)])
    finally:
        services.MAX_MONITORS_PER_STATION = original
    assert VariableMonitor.objects.count() == 3
