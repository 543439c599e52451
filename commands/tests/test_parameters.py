"""Each action's parameters are checked per OCPP version before anything is recorded or sent."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from commands.services import UnknownAction, command_parameters_clean
from stations.models import ConfigurationKey, DeviceModelVariable


def errors_of(station, action: str, **data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        command_parameters_clean(station=station, action=action, data=data)
    return info.value.message_dict


@pytest.fixture
def v16(station_a):
    station_a.ocpp_version = "1.6"
    station_a.save()
    return station_a


@pytest.fixture
def v201(station_a):
    station_a.ocpp_version = "2.0.1"
    station_a.save()
    return station_a


def test_a_reset_defaults_to_immediate(v16):
    assert command_parameters_clean(station=v16, action="reset", data={}) == {"when": "immediate"}
    assert command_parameters_clean(station=v16, action="reset", data={"type": "Hard", "when": "on_idle"}) == {
        "type": "Hard",
        "when": "on_idle",
    }


def test_a_1_6_station_resets_as_a_whole(v16):
    assert "evse_id" in errors_of(v16, "reset", evse_id=1)
    assert "type" in errors_of(v16, "reset", type="Gentle")


def test_2_0_1_reset_takes_an_evse_but_not_a_type(v201):
    assert command_parameters_clean(station=v201, action="reset", data={"evse_id": 2}) == {"when": "immediate", "evse_id": 2}
    assert "type" in errors_of(v201, "reset", type="Hard")
    assert "type" in errors_of(v201, "reset", type="Gentle")


def test_unlock_needs_an_evse_on_2_0_1_and_refuses_one_on_1_6(v16):
    assert "evse_id" in errors_of(v16, "unlock_connector", connector_id=1, evse_id=1)
    assert "connector_id" in errors_of(v16, "unlock_connector", connector_id=0)
    v16.ocpp_version = "2.0.1"
    assert errors_of(v16, "unlock_connector", connector_id=1) == {"evse_id": ["OCPP 2.0.1 requires this."]}


def test_unknown_parameters_and_actions_are_refused(v16):
    assert errors_of(v16, "clear_cache", force=True) == {"force": ["Unknown parameter for clear_cache; allowed: none."]}
    with pytest.raises(UnknownAction):
        command_parameters_clean(station=v16, action="self_destruct", data={})


def test_a_read_only_configuration_key_cannot_be_changed(v16):
    ConfigurationKey.objects.create(station=v16, key="NumberOfConnectors", value="2", readonly=True)
    ConfigurationKey.objects.create(station=v16, key="HeartbeatInterval", value="300", readonly=False)
    assert errors_of(v16, "change_configuration", key="NumberOfConnectors", value="3") == {
        "key": ["NumberOfConnectors is read-only on this station."]
    }
    assert command_parameters_clean(station=v16, action="change_configuration", data={"key": "HeartbeatInterval", "value": "60"}) == {
        "key": "HeartbeatInterval",
        "value": "60",
    }
    # An empty value is a value.
    assert command_parameters_clean(station=v16, action="change_configuration", data={"key": "HeartbeatInterval"})["value"] == ""
    assert "value" in errors_of(v16, "change_configuration", key="HeartbeatInterval", value="x" * 501)
    assert "component" in errors_of(v16, "change_configuration", component="OCPPCommCtrlr", variable="X", key="K")


def test_a_read_only_device_model_variable_cannot_be_changed(v201):
    DeviceModelVariable.objects.create(station=v201, component="SecurityCtrlr", variable="SecurityProfile", value="1", mutability="ReadOnly")
    DeviceModelVariable.objects.create(station=v201, component="OCPPCommCtrlr", variable="HeartbeatInterval", value="300", mutability="ReadWrite")
    assert errors_of(v201, "change_configuration", component="SecurityCtrlr", variable="SecurityProfile", value="2") == {
        "variable": ["SecurityCtrlr.SecurityProfile is read-only on this station."]
    }
    assert command_parameters_clean(
        station=v201, action="change_configuration", data={"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"}
    ) == {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"}
    assert set(errors_of(v201, "change_configuration", value="1")) == {"component", "variable"}
    assert "key" in errors_of(v201, "change_configuration", key="HeartbeatInterval", value="1")


def test_trigger_messages_are_those_of_the_stations_version(v16):
    assert "requested_message" in errors_of(v16, "trigger_message", requested_message="TransactionEvent")
    assert "requested_message" in errors_of(v16, "trigger_message")
    v16.ocpp_version = "2.0.1"
    assert "requested_message" in errors_of(v16, "trigger_message", requested_message="DiagnosticsStatusNotification")
    assert "evse_id" in errors_of(v16, "trigger_message", requested_message="StatusNotification", connector_id=1)


def test_remote_start_and_stop_follow_the_versions_limits(v16):
    assert "id_tag" in errors_of(v16, "remote_start", id_tag="X" * 21)
    assert "evse_id" in errors_of(v16, "remote_start", id_tag="TAG", evse_id=1)
    assert "transaction_id" in errors_of(v16, "remote_stop", transaction_id="abc")
    v16.ocpp_version = "2.0.1"
    assert command_parameters_clean(station=v16, action="remote_start", data={"id_tag": "X" * 36, "evse_id": 1})["id_tag"] == "X" * 36
    assert command_parameters_clean(station=v16, action="remote_stop", data={"transaction_id": "abc"}) == {"transaction_id": "abc"}
    assert "connector_id" in errors_of(v16, "remote_start", id_tag="TAG", connector_id=1)


def test_change_availability_needs_a_status(v16):
    assert "operational_status" in errors_of(v16, "change_availability", connector_id=0)
    assert "operational_status" in errors_of(v16, "change_availability", operational_status="Broken")
