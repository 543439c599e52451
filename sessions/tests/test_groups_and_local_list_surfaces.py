"""Id token groups and the local list on every surface: API, admin, console; scoped per network."""
from __future__ import annotations

from commands.models import Command
from sessions.models import IdToken, IdTokenGroup, StationLocalList
from sessions.services import id_tag_info_v16, id_token_authorize, id_token_info_v201


def test_group_tokens_answer_with_their_group_and_a_master_pass_never_starts(station_a, network_a):
    fleet = IdTokenGroup.objects.create(network=network_a, token="FLEET", token_type="Central")
    police = IdTokenGroup.objects.create(network=network_a, token="MASTER", master_pass=True)
    IdToken.objects.create(network=network_a, token="CARD-1", group=fleet)
    IdToken.objects.create(network=network_a, token="OFFICER", group=police)
    verdict = id_token_authorize(station=station_a, id_token="card-1")
    assert verdict == "Accepted"
    assert id_token_info_v201(verdict) == {"status": "Accepted", "group_id_token": {"id_token": "FLEET", "type": "Central"}}
    assert id_tag_info_v16(verdict) == {"status": "Accepted", "parent_id_tag": "FLEET"}
    # C16: a master pass is accepted to ask and to stop, refused to start.
    assert id_token_authorize(station=station_a, id_token="OFFICER") == "Accepted"
    assert id_token_authorize(station=station_a, id_token="OFFICER", purpose="stop") == "Accepted"
    refused = id_token_authorize(station=station_a, id_token="OFFICER", purpose="start")
    assert refused == "Invalid"
    assert id_token_info_v201(refused)["group_id_token"] == {"id_token": "MASTER", "type": "Central"}
    # A token without a group answers the status alone.
    IdToken.objects.create(network=network_a, token="LONER")
    assert id_token_info_v201(id_token_authorize(station=station_a, id_token="LONER")) == {"status": "Accepted"}


def test_a_parent_id_tag_longer_than_1_6_allows_is_left_out(station_a, network_a):
    group = IdTokenGroup.objects.create(network=network_a, token="G" * 21)
    IdToken.objects.create(network=network_a, token="CARD", group=group)
    assert id_tag_info_v16(id_token_authorize(station=station_a, id_token="CARD")) == {"status": "Accepted"}


def test_groups_through_the_api_stay_in_their_network(client, operator_a, operator_b, network_a, network_b):
    client.force_login(operator_a)
    created = client.post(
        "/api/id_token_groups/", {"network": "Network A", "token": "FLEET", "master_pass": True}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["master_pass"] is True
    token = client.post(
        "/api/id_tokens/", {"network": "Network A", "token": "CARD-1", "group": "fleet", "token_type": "ISO15693"}, content_type="application/json"
    )
    assert token.status_code == 201, token.content
    assert (token.json()["group"], token.json()["master_pass"], token.json()["token_type"]) == ("FLEET", True, "ISO15693")
    assert IdToken.objects.get(token="CARD-1").group.token == "FLEET"
    ungrouped = client.patch(f"/api/id_tokens/{token.json()['id']}/", {"group": None}, content_type="application/json")
    assert ungrouped.status_code == 200 and ungrouped.json()["group"] is None

    IdTokenGroup.objects.create(network=network_b, token="B-GROUP")
    foreign = client.post("/api/id_tokens/", {"network": "Network A", "token": "CARD-2", "group": "B-GROUP"}, content_type="application/json")
    assert foreign.status_code == 400
    assert foreign.json()["group"] == ["Network A has no id token group 'B-GROUP'."]

    client.force_login(operator_b)
    assert [g["token"] for g in client.get("/api/id_token_groups/").json()["results"]] == ["B-GROUP"]
    assert client.get(f"/api/id_token_groups/{created.json()['id']}/").status_code == 404


def test_a_network_send_queues_one_command_per_station_and_reports_refusals(client, operator_a, operator_b, network_a, station_a, station_b):
    from stations.services import station_create

    second = station_create(network=network_a, location=None, identity="CP-A-2", name="Station A2", password="x" * 20)
    StationLocalList.objects.create(station=second, supported=False)
    IdToken.objects.create(network=network_a, token="CARD-1")
    client.force_login(operator_a)
    response = client.post("/api/local_lists/send/", {"network": "Network A", "update_type": "Full"}, content_type="application/json")
    assert response.status_code == 202, response.content
    by_station = {row["station"]: row for row in response.json()}
    assert set(by_station) == {"CP-A-1", "CP-A-2"}
    assert by_station["CP-A-1"]["status"] == "station_offline" and by_station["CP-A-1"]["error"] == ""
    command = Command.objects.get(pk=by_station["CP-A-1"]["command"])
    assert (command.action, command.parameters["update_type"], command.parameters["version"]) == ("send_local_list", "Full", 1)
    assert by_station["CP-A-2"]["command"] is None
    assert "does not support a local authorization list" in by_station["CP-A-2"]["error"]
    assert not Command.objects.filter(station=station_b).exists()
    assert client.get("/api/local_lists/").json()["count"] == 1

    held = client.get("/api/local_lists/stations/?network=Network A").json()
    assert held == [{"station": "CP-A-2", "version": None, "supported": False, "last_result": "", "updated_at": held[0]["updated_at"]}]

    missing = client.post("/api/local_lists/send/", {"network": "Network A"}, content_type="application/json")
    assert missing.status_code == 400 and "update_type" in missing.json()

    client.force_login(operator_b)
    assert client.post("/api/local_lists/send/", {"network": "Network A", "update_type": "Full"}, content_type="application/json").status_code == 400
    assert client.get("/api/local_lists/").json()["count"] == 0
    assert client.get("/api/local_lists/stations/").json() == []


def test_the_station_page_shows_the_version_the_station_holds(client, operator_a, station_a):
    client.force_login(operator_a)
    page = client.get("/console/stations/CP-A-1/").content.decode()
    assert "not known yet" in page
    StationLocalList.objects.create(station=station_a, version=4, supported=True, last_result="Accepted")
    page = client.get("/console/stations/CP-A-1/").content.decode()
    assert '<dd id="local-list-version">version 4</dd>' in page


def test_the_network_page_sends_to_every_station_and_lists_their_versions(client, account_admin, network_a, station_a):
    IdToken.objects.create(network=network_a, token="CARD-1")
    StationLocalList.objects.create(station=station_a, version=0, supported=True)
    client.force_login(account_admin)
    url = f"/console/networks/{network_a.pk}/"
    page = client.get(url).content.decode()
    assert "No list sent yet." in page and '<tr data-station="CP-A-1">' in page
    response = client.post(url, {"intent": "local-list", "local_list_action": "differential"}, follow=True)
    page = response.content.decode()
    assert "Sent to 1 of 1 stations" in page
    assert "Latest version 1, 1 id token" in page
    command = Command.objects.get(station=station_a)
    assert command.parameters["update_type"] == "Differential" and command.parameters["entries"][0]["id_token"] == "CARD-1"


def test_the_admin_edits_groups_and_sends_the_list_to_the_tokens_networks(client, operator_a, network_a, network_b, station_a):
    fleet = IdTokenGroup.objects.create(network=network_a, token="FLEET")
    other = IdTokenGroup.objects.create(network=network_b, token="B-GROUP")
    client.force_login(operator_a)
    form = client.get("/admin/charging_sessions/idtoken/add/").content.decode()
    assert "FLEET" in form and "B-GROUP" not in form
    added = client.post(
        "/admin/charging_sessions/idtoken/add/",
        {"network": network_a.pk, "token": "CARD-9", "token_type": "ISO14443", "status": "Accepted", "group": fleet.pk},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assert IdToken.objects.get(token="CARD-9").group == fleet
    refused = client.post(
        "/admin/charging_sessions/idtoken/add/",
        {"network": network_a.pk, "token": "CARD-10", "token_type": "ISO14443", "status": "Accepted", "group": other.pk},
    )
    assert refused.status_code == 200 and not IdToken.objects.filter(token="CARD-10").exists()
    token = IdToken.objects.get(token="CARD-9")
    response = client.post(
        "/admin/charging_sessions/idtoken/",
        {"action": "send_full_local_list", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "1 of 1 stations sent the command" in response.content.decode()
    assert Command.objects.get(station=station_a).action == "send_local_list"
