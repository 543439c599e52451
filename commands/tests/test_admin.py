"""The station's "Remote actions" menu, the per-action forms and the configuration page."""
from __future__ import annotations

from django.test import Client

from commands.models import Command, CommandStatus
from stations.models import ConfigurationKey, Station


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_station_page_links_to_its_remote_actions(operator_a, station_a):
    Command.objects.create(station=station_a, action="reset", status=CommandStatus.REJECTED, result="Rejected")
    page = browser(operator_a).get(f"/admin/stations/station/{station_a.pk}/change/").content.decode()
    assert f'href="/admin/commands/command/station/{station_a.pk}/actions/"' in page
    assert "station-remote-actions" in page and "Rejected" in page


def test_an_operator_sends_an_action_from_its_form(operator_a, station_a):
    client = browser(operator_a)
    menu = client.get(f"/admin/commands/command/station/{station_a.pk}/actions/").content.decode()
    assert "Unlock connector" in menu and "The station is offline" in menu
    form_url = f"/admin/commands/command/station/{station_a.pk}/actions/unlock_connector/"
    assert 'name="connector_id"' in client.get(form_url).content.decode()
    invalid = client.post(form_url, {"connector_id": "0"})
    assert invalid.status_code == 200 and "Ensure this value is greater than or equal to 1." in invalid.content.decode()
    response = client.post(form_url, {"connector_id": "1"}, follow=True)
    command = Command.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/commands/command/{command.pk}/change/"
    page = response.content.decode()
    assert "Unlock connector for CP-A-1: Station offline." in page
    assert command.parameters == {"connector_id": 1} and command.requested_by == operator_a


def test_a_viewer_sees_the_menu_but_cannot_act(viewer_a, station_a):
    client = browser(viewer_a)
    menu = client.get(f"/admin/commands/command/station/{station_a.pk}/actions/").content.decode()
    assert "lets you see the station's remote actions, not send them" in menu
    form_url = f"/admin/commands/command/station/{station_a.pk}/actions/reset/"
    assert client.get(form_url).status_code == 403
    assert client.post(form_url, {}).status_code == 403
    assert not Command.objects.exists()


def test_another_networks_station_is_not_found(operator_b, station_a):
    client = browser(operator_b)
    for path in ("actions/", "actions/reset/", "configuration/"):
        assert client.get(f"/admin/commands/command/station/{station_a.pk}/{path}").status_code == 404
    command = Command.objects.create(station=station_a, action="reset")
    assert client.get(f"/admin/commands/command/{command.pk}/change/").status_code == 404


def test_the_configuration_page_offers_to_edit_writable_keys_only(operator_a, station_a):
    ConfigurationKey.objects.create(station=station_a, key="NumberOfConnectors", value="2", readonly=True)
    ConfigurationKey.objects.create(station=station_a, key="HeartbeatInterval", value="300")
    page = browser(operator_a).get(f"/admin/commands/command/station/{station_a.pk}/configuration/").content.decode()
    edit = f"/admin/commands/command/station/{station_a.pk}/actions/change_configuration/?key=HeartbeatInterval&amp;value=300"
    assert edit in page
    assert "key=NumberOfConnectors" not in page and "read-only" in page
    # The link pre-fills the form.
    form = browser(operator_a).get(edit.replace("&amp;", "&")).content.decode()
    assert 'value="HeartbeatInterval"' in form and 'value="300"' in form


def test_commands_are_records_nobody_edits(account_admin, station_a):
    command = Command.objects.create(station=station_a, action="reset", status=CommandStatus.SENT)
    client = browser(account_admin)
    page = client.get(f"/admin/commands/command/{command.pk}/change/").content.decode()
    assert 'http-equiv="refresh"' in page  # refreshes until the answer is in
    assert client.get("/admin/commands/command/add/").status_code == 403
    Station.objects.filter(pk=station_a.pk).update(name="Renamed")
    assert "Renamed" in client.get("/admin/commands/command/").content.decode()


def test_the_command_list_shows_only_the_users_networks(operator_b, station_a, station_b):
    Command.objects.create(station=station_a, action="reset", error="mine-a")
    Command.objects.create(station=station_b, action="clear_cache", error="mine-b")
    page = browser(operator_b).get("/admin/commands/command/").content.decode()
    assert "CP-B-1" in page and "CP-A-1" not in page
    assert "Network A" not in page  # not even in the network filter
