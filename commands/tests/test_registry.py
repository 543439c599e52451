"""The registry contract: an action registered by an app (here: by this test) is offered by every
surface and carried through the generic life cycle, without any change to the commands app."""
from __future__ import annotations

import pytest
from django import forms
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from ocpp.v201 import call as call201
from rest_framework.test import APIClient

from commands import registry
from commands.answers import command_answer_record, command_start
from commands.forms import V201, ActionForm
from commands.models import Command, CommandStatus
from commands.services import command_create
from ocpp_gateway.remote import build_request
from stations.models import Station

heard: list[tuple[str, str]] = []


class CostForm(ActionForm):
    price = forms.DecimalField(min_value=0, max_digits=6, decimal_places=2, help_text="Per kWh.")

    def parameters(self):
        return {"price": str(self.cleaned_data["price"])}


def _cost_v201(command):
    # SetVariables stands in for any 2.0.1 CALL the test action could send.
    return call201.SetVariables(
        set_variable_data=[{"attribute_value": command.parameters["price"], "component": {"name": "TariffCostCtrlr"}, "variable": {"name": "Price"}}]
    )


@pytest.fixture
def test_action():
    action = registry.register(
        registry.RemoteAction(
            name="set_test_price",
            label="Set test price",
            description="A test app's action.",
            form=CostForm,
            build={V201: _cost_v201},
            result=lambda answer: answer.get("setVariableResult", [{}])[0].get("attributeStatus", ""),
            on_final=lambda command: heard.append((command.action, command.status)),
        )
    )
    heard.clear()
    yield action
    registry.unregister(action.name)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def speaks(station: Station, version: str, *, online: bool = True) -> None:
    Station.objects.filter(pk=station.pk).update(
        ocpp_version=version, channel_name="specific.test!online" if online else "", connected=online
    )
    station.refresh_from_db()


def test_a_registered_action_is_listed_for_the_versions_it_exists_in(test_action, viewer_a, station_a):
    client = client_for(viewer_a)
    speaks(station_a, "2.0.1")
    listed = client.get("/api/charging_stations/CP-A-1/actions/").json()
    names = [a["name"] for a in listed]
    assert "set_test_price" in names and "reset" in names
    assert "update_firmware" not in names and "security_password" not in names  # internal: no operator form
    mine = next(a for a in listed if a["name"] == "set_test_price")
    assert mine["label"] == "Set test price" and mine["ocpp_versions"] == ["2.0.1"]
    assert mine["fields"] == [
        {"name": "price", "label": "price", "type": "decimal", "required": True, "help_text": "Per kWh.", "min_value": 0}
    ]
    assert mine["url"].endswith("/api/charging_stations/CP-A-1/actions/set_test_price/")
    speaks(station_a, "1.6")
    assert "set_test_price" not in [a["name"] for a in client.get("/api/charging_stations/CP-A-1/actions/").json()]


def test_a_registered_action_goes_through_the_api_with_field_errors(test_action, operator_a, station_a):
    speaks(station_a, "2.0.1")
    client = client_for(operator_a)
    url = "/api/charging_stations/CP-A-1/actions/set_test_price/"
    bad = client.post(url, {"price": "-1"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["price"]
    unknown = client.post(url, {"price": "0.30", "currency": "EUR"}, format="json")
    assert unknown.status_code == 400 and "Unknown parameter" in unknown.json()["currency"][0]
    sent = client.post(url, {"price": "0.30"}, format="json")
    assert sent.status_code == 202, sent.json()
    assert sent.json()["action"] == "set_test_price" and sent.json()["action_label"] == "Set test price"
    assert Command.objects.get().parameters == {"price": "0.30"}


def test_a_station_of_another_version_gets_a_clear_refusal(test_action, operator_a, station_a):
    speaks(station_a, "1.6")
    response = client_for(operator_a).post("/api/charging_stations/CP-A-1/actions/set_test_price/", {"price": "1"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Set test price does not exist in OCPP 1.6; it exists in OCPP 2.0.1."]}


def test_the_generic_life_cycle_builds_reads_and_tells_the_listener(test_action, station_a):
    speaks(station_a, "2.0.1")
    command = command_create(station=station_a, action="set_test_price", parameters={"price": "0.30"}, send=False)
    started = command_start(command_id=command.pk, station_id=station_a.pk, ocpp_version="2.0.1")
    request = build_request(started, version="2.0.1")
    assert request.set_variable_data[0]["attribute_value"] == "0.30"
    with pytest.raises(ValueError, match="does not exist in OCPP 1.6"):
        build_request(started, version="1.6")
    status = command_answer_record(command=started, answer={"setVariableResult": [{"attributeStatus": "Rejected"}]})
    assert status == CommandStatus.REJECTED
    assert heard == [("set_test_price", "rejected")]
    # Final: a second answer changes nothing and the listener is not called again.
    assert command_answer_record(command=started, answer={"setVariableResult": [{"attributeStatus": "Accepted"}]}) is None
    assert heard == [("set_test_price", "rejected")]


def test_a_listener_that_fails_does_not_undo_the_answer(test_action, station_a):
    registry.unregister("set_test_price")
    registry.register(
        registry.RemoteAction(
            name="set_test_price", label="Set test price", form=CostForm, build={V201: _cost_v201},
            on_final=lambda command: 1 / 0,
        )
    )
    command = command_create(station=station_a, action="set_test_price", parameters={"price": "1"})
    command.refresh_from_db()
    assert command.status == CommandStatus.STATION_OFFLINE  # offline: failed at once, listener crashed, answer kept


def test_station_action_lists_registered_actions(test_action, station_a, settings, capsys):
    with pytest.raises(SystemExit):
        call_command("station_action", "--help")
    assert "set_test_price" in capsys.readouterr().out
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # never reached: the station is offline
    with pytest.raises(CommandError, match="invalid choice: 'explode'.*set_test_price"):
        call_command("station_action", "CP-A-1", "explode")
    with pytest.raises(CommandError, match="did not do it: Station offline"):
        call_command("station_action", "CP-A-1", "set_test_price", "-p", "price=0.25")
    assert Command.objects.get().parameters == {"price": "0.25"}


def test_the_admin_menu_offers_registered_actions(test_action, operator_a, station_a):
    client = Client()
    client.force_login(operator_a)
    menu = client.get(f"/admin/commands/command/station/{station_a.pk}/actions/").content.decode()
    assert "Set test price" in menu and "A test app&#x27;s action." in menu
    form = client.get(f"/admin/commands/command/station/{station_a.pk}/actions/set_test_price/").content.decode()
    assert 'name="price"' in form
    internal = client.get(f"/admin/commands/command/station/{station_a.pk}/actions/update_firmware/")
    assert internal.status_code == 404


def test_two_apps_cannot_claim_one_name(test_action):
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.RemoteAction(name="reset", label="Mine", form=CostForm, build={V201: _cost_v201}))
    assert Command(action="nope").get_action_display() == "Nope"


def test_the_action_endpoints_per_persona(operator_a, viewer_a, operator_b, account_admin, station_a, station_b):
    speaks(station_a, "1.6")
    listing = "/api/charging_stations/CP-A-1/actions/"
    reset = "/api/charging_stations/CP-A-1/actions/reset/"
    assert APIClient().get(listing).status_code == 401
    for user in (operator_a, viewer_a, account_admin):
        assert client_for(user).get(listing).status_code == 200
        assert client_for(user).get(reset).json()["name"] == "reset"
    assert client_for(operator_b).get(listing).status_code == 404
    assert client_for(operator_b).get(reset).status_code == 404
    assert client_for(operator_b).post(reset, {}, format="json").status_code == 404
    assert client_for(viewer_a).post(reset, {}, format="json").status_code == 403
    assert client_for(operator_b).get("/api/charging_stations/CP-B-1/actions/").status_code == 200
    assert client_for(operator_a).get("/api/charging_stations/CP-A-1/actions/security_password/").status_code == 404
    assert client_for(operator_a).post(reset, {"type": "Hard"}, format="json").status_code == 202
    assert Command.objects.get().requested_by == operator_a


def test_the_console_menu_offers_registered_actions(test_action, operator_a, viewer_a, station_a):
    from django.urls import reverse

    from stations.models import StationState

    Station.objects.filter(pk=station_a.pk).update(state=StationState.ONBOARDED, ocpp_version="2.0.1")
    client = Client()
    client.force_login(operator_a)
    page = client.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert 'data-open-dialog="dlg-action-set_test_price"' in page and 'name="price"' in page
    assert 'data-open-dialog="dlg-action-clear_cache"' in page  # a core action without a dialog of its own
    url = reverse("console:station-action", args=["CP-A-1", "set_test_price"])
    bad = client.post(url, {"price": "-2"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "price" in bad.json()["error"]
    sent = client.post(url, {"price": "0.40"}, HTTP_ACCEPT="application/json")
    assert sent.status_code == 201 and sent.json()["label"] == "Set test price"
    assert Command.objects.get().parameters == {"price": "0.40"}
    assert client.post(reverse("console:station-action", args=["CP-A-1", "update_firmware"])).status_code == 404
    viewer = Client()
    viewer.force_login(viewer_a)
    assert "dlg-action-set_test_price" not in viewer.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert viewer.post(url, {"price": "1"}).status_code == 403
