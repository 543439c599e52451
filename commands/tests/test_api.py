"""The remote-action endpoints, as each persona sees them. The delivery itself is covered end to end."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from commands.models import Command, CommandStatus
from stations.models import Station


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def go_online(station: Station) -> None:
    # What the consumer does on connect; the tests that need a live socket live in test_remote_execute.
    Station.objects.filter(pk=station.pk).update(channel_name="specific.test!online", connected=True)


def test_an_operator_acts_and_gets_the_command_back(operator_a, station_a, django_capture_on_commit_callbacks):
    go_online(station_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(operator_a).post(
            "/api/charging_stations/CP-A-1/actions/reset/", {"type": "Hard"}, format="json"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["final"] is False
    assert body["parameters"] == {"type": "Hard", "when": "immediate"}
    assert body["requested_by"] == "bob" and body["station"] == "CP-A-1"
    assert response["Location"] == f"/api/commands/{body['id']}/"
    assert len(callbacks) == 1  # the Celery task, queued once the row is committed


def test_an_offline_station_fails_at_once(operator_a, station_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(operator_a).post("/api/charging_stations/CP-A-1/actions/clear_cache/", {}, format="json")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["error"]) == ("station_offline", "station offline")
    assert callbacks == []
    assert Command.objects.get().status == CommandStatus.STATION_OFFLINE


def test_a_viewer_may_not_act_and_another_network_does_not_exist(viewer_a, operator_b, account_admin, station_a):
    go_online(station_a)
    url = "/api/charging_stations/CP-A-1/actions/clear_cache/"
    refused = client_for(viewer_a).post(url, {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Your role in this network does not allow changes."
    assert client_for(operator_b).post(url, {}, format="json").status_code == 404
    assert not Command.objects.exists()
    assert client_for(account_admin).post(url, {}, format="json").status_code == 202


def test_field_errors_and_unknown_actions(operator_a, station_a):
    go_online(station_a)
    client = client_for(operator_a)
    response = client.post("/api/charging_stations/CP-A-1/actions/trigger_message/", {"connector_id": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"requested_message", "connector_id"}
    assert client.post("/api/charging_stations/CP-A-1/actions/explode/", {}, format="json").status_code == 404
    assert not Command.objects.exists()


@pytest.fixture
def commands_ab(station_a, station_b) -> tuple[Command, Command]:
    return (
        Command.objects.create(station=station_a, action="reset", status=CommandStatus.ACCEPTED, result="Accepted"),
        Command.objects.create(station=station_b, action="clear_cache", status=CommandStatus.FAILED, error="x"),
    )


def test_commands_are_read_through_the_users_networks(viewer_a, operator_b, account_admin, commands_ab):
    mine, theirs = commands_ab
    viewer = client_for(viewer_a)
    assert [c["id"] for c in viewer.get("/api/commands/").json()["results"]] == [mine.pk]
    assert viewer.get(f"/api/commands/{mine.pk}/").json()["result"] == "Accepted"
    assert viewer.get(f"/api/commands/{theirs.pk}/").status_code == 404
    assert [c["id"] for c in viewer.get("/api/charging_stations/CP-A-1/commands/").json()["results"]] == [mine.pk]
    assert client_for(operator_b).get("/api/charging_stations/CP-A-1/commands/").status_code == 404
    everything = client_for(account_admin).get("/api/commands/?status=failed").json()["results"]
    assert [c["id"] for c in everything] == [theirs.pk]


def test_the_api_needs_credentials(station_a):
    assert APIClient().get("/api/commands/").status_code == 401
    assert APIClient().post("/api/charging_stations/CP-A-1/actions/reset/", {}, format="json").status_code == 401


def test_parameters_come_as_json_or_as_a_form(operator_a, station_a):
    go_online(station_a)
    client = client_for(operator_a)
    form = client.post("/api/charging_stations/CP-A-1/actions/unlock_connector/", {"connector_id": "2"})
    assert form.status_code == 202 and form.json()["parameters"] == {"connector_id": 2}
    listed = client.post("/api/charging_stations/CP-A-1/actions/unlock_connector/", [1, 2], format="json")
    assert listed.status_code == 400
    assert listed.json() == {"non_field_errors": ["Send the parameters as a JSON object."]}
