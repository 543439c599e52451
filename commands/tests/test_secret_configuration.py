"""Issue 13: passwords, the security profile and write-only values are not plain configuration.

The change-configuration form refuses them (the stations app's rule), so every surface does: the
API, the admin form, a crafted console POST and ``station_action``. A password the platform does
push (its own rotation) rests sealed in the command, is dropped once the station answered, and is
never returned by the API or shown by the admin.
"""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from certificates.models import PasswordRotation
from certificates.redaction import redact_secrets
from certificates.services import password_rotation_send
from commands.answers import command_answer_record, command_start
from commands.models import Command, CommandStatus
from commands.secrets import REDACTED
from ocpp_gateway.remote import build_request
from stations.models import ConfigurationKey, DeviceModelVariable, Station
from stations.services import station_configuration_store

SECRETS_V16 = [
    ("AuthorizationKey", "password rotation"),
    ("authorizationkey", "password rotation"),  # 1.6 keys are case-insensitive (CiString)
    ("SecurityProfile", "security-profile upgrade"),
]


def speaks(station: Station, version: str) -> Station:
    Station.objects.filter(pk=station.pk).update(ocpp_version=version, channel_name="specific.test!online", connected=True)
    station.refresh_from_db()
    return station


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("key,pointer", SECRETS_V16)
def test_the_api_refuses_1_6_security_keys(operator_a, station_a, key, pointer):
    speaks(station_a, "1.6")
    response = api(operator_a).post(
        "/api/charging_stations/CP-A-1/actions/change_configuration/", {"key": key, "value": "s3cret-s3cret-s3cret"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["key"] and pointer in response.json()["key"][0]
    assert not Command.objects.exists()


def test_the_api_refuses_the_2_0_1_password_and_any_write_only_value(operator_a, station_a):
    speaks(station_a, "2.0.1")
    url = "/api/charging_stations/CP-A-1/actions/change_configuration/"
    client = api(operator_a)
    password = client.post(url, {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": "x" * 20}, format="json")
    assert password.status_code == 400 and "password rotation" in password.json()["variable"][0]
    DeviceModelVariable.objects.create(station=station_a, component="VendorCtrlr", variable="ApiToken", mutability="WriteOnly")
    secret = client.post(url, {"component": "VendorCtrlr", "variable": "ApiToken", "value": "tok"}, format="json")
    assert secret.status_code == 400 and "write-only" in secret.json()["variable"][0]
    # Another attribute of the write-only variable is as secret.
    target = client.post(url, {"component": "VendorCtrlr", "variable": "ApiToken", "attribute_type": "Target", "value": "t"}, format="json")
    assert target.status_code == 400
    assert not Command.objects.exists()
    plain = client.post(url, {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "60"}, format="json")
    assert plain.status_code == 202


def test_the_admin_form_refuses_them(operator_a, station_a):
    speaks(station_a, "1.6")
    client = Client()
    client.force_login(operator_a)
    url = f"/admin/commands/command/station/{station_a.pk}/actions/change_configuration/"
    response = client.post(url, {"key": "AuthorizationKey", "value": "41" * 20})
    assert response.status_code == 200
    assert "password rotation" in response.content.decode()
    assert not Command.objects.exists()


def test_the_admin_configuration_page_offers_no_edit_for_them(operator_a, station_a):
    speaks(station_a, "1.6")
    ConfigurationKey.objects.create(station=station_a, key="SecurityProfile", value="1")
    ConfigurationKey.objects.create(station=station_a, key="HeartbeatInterval", value="60")
    client = Client()
    client.force_login(operator_a)
    page = client.get(f"/admin/commands/command/station/{station_a.pk}/configuration/").content.decode()
    assert "key=HeartbeatInterval" in page and "key=SecurityProfile" not in page


def test_a_crafted_console_post_is_refused(operator_a, station_a):
    speaks(station_a, "2.0.1")
    client = Client()
    client.force_login(operator_a)
    response = client.post(
        reverse("console:station-action", args=["CP-A-1", "change-configuration"]),
        {"component": "SecurityCtrlr", "variable": "BasicAuthPassword", "value": "y" * 20},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "password rotation" in response.json()["error"]
    assert not Command.objects.exists()


def test_station_action_refuses_them(station_a, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # never reached
    speaks(station_a, "1.6")
    with pytest.raises(CommandError, match="Invalid parameters: key: AuthorizationKey is a security setting.*password rotation"):
        call_command("station_action", "CP-A-1", "change_configuration", "-p", "key=AuthorizationKey", "-p", "value=abc")
    with pytest.raises(CommandError, match="security-profile upgrade"):
        call_command("station_action", "CP-A-1", "change_configuration", "-p", "key=SecurityProfile", "-p", "value=2")
    assert not Command.objects.exists()


def test_a_rotated_password_is_sealed_redacted_and_then_dropped(operator_a, station_a, django_capture_on_commit_callbacks):
    speaks(station_a, "2.0.1")
    with django_capture_on_commit_callbacks():
        rotation = password_rotation_send(station=station_a, requested_by=operator_a)
    command = Command.objects.get()
    sealed = command.parameters["sealed"]
    request = build_request(command, version="2.0.1")
    password = request.set_variable_data[0]["attribute_value"]
    assert len(password) == 20 and password not in sealed and password not in str(command.parameters)
    client = api(operator_a)
    for url in ("/api/commands/", f"/api/commands/{command.pk}/", "/api/charging_stations/CP-A-1/commands/"):
        body = client.get(url).content.decode()
        assert password not in body and sealed not in body and REDACTED in body
    admin = Client()
    admin.force_login(operator_a)
    page = admin.get(f"/admin/commands/command/{command.pk}/change/").content.decode()
    assert password not in page and sealed not in page
    started = command_start(command_id=command.pk, station_id=station_a.pk, ocpp_version="2.0.1")
    assert command_answer_record(command=started, answer={"setVariableResult": [{"attributeStatus": "Accepted"}]}) == "accepted"
    command.refresh_from_db()
    assert command.parameters == {"rotation_id": rotation.pk}  # nothing left to unseal
    assert PasswordRotation.objects.get().status == "accepted"


def test_a_rotation_to_an_offline_station_drops_the_password_at_once(station_a):
    password_rotation_send(station=station_a)
    command = Command.objects.get()
    assert command.status == CommandStatus.STATION_OFFLINE
    assert "sealed" not in command.parameters


def test_a_disclosed_secret_is_neither_stored_nor_logged(station_a):
    station_configuration_store(
        station=station_a, keys=[{"key": "AuthorizationKey", "value": "41" * 20, "readonly": False}, {"key": "HeartbeatInterval", "value": "60"}]
    )
    assert dict(ConfigurationKey.objects.values_list("key", "value")) == {"AuthorizationKey": "", "HeartbeatInterval": "60"}
    conf = {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": "4141"}, {"key": "HeartbeatInterval", "readonly": False, "value": "60"}]}
    assert [k["value"] for k in redact_secrets("GetConfiguration", conf)["configurationKey"]] == [REDACTED, "60"]
    report = {
        "requestId": 1, "generatedAt": "2026-01-01T00:00:00Z", "seqNo": 0,
        "reportData": [
            {"component": {"name": "VendorCtrlr"}, "variable": {"name": "ApiToken"}, "variableAttribute": [{"value": "tok", "mutability": "WriteOnly"}]},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}, "variableAttribute": [{"value": "pw"}]},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "variableAttribute": [{"value": "60"}]},
        ],
    }
    values = [item["variableAttribute"][0]["value"] for item in redact_secrets("NotifyReport", report)["reportData"]]
    assert values == [REDACTED, REDACTED, "60"]
    got = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "pw", "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}]}
    assert redact_secrets("GetVariables", got)["getVariableResult"][0]["attributeValue"] == REDACTED
