"""The console's Id tokens page: list, search and filters, add/edit/delete of tokens and groups,
the sessions app's rules, the local list per network, per persona; another network's rows are 404."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commands.models import Command
from sessions.models import IdToken, IdTokenGroup, LocalListVersion
from sessions.services.local_list import station_local_list_sent
from stations.models import StationState

LIST = reverse("console:id-token-list")


@pytest.fixture
def tokens_a(network_a):
    staff = IdTokenGroup.objects.create(network=network_a, token="STAFF", label="Staff cards")
    IdToken.objects.create(network=network_a, token="RFID-ALICE", label="Alice's card", group=staff)
    IdToken.objects.create(network=network_a, token="RFID-OLD", status="Blocked", label="Lost card")
    IdToken.objects.create(network=network_a, token="RFID-TEMP", expires_at=timezone.now() - timedelta(days=1))
    return staff


@pytest.fixture
def token_b(network_b):
    return IdToken.objects.create(network=network_b, token="RFID-BERLIN", label="Berlin card")


def rows(response) -> list[str]:
    return [t.token for t in response.context["page"]]


def test_an_operator_lists_searches_and_filters_their_networks_tokens(client, operator_a, tokens_a, token_b):
    client.force_login(operator_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert rows(response) == ["RFID-ALICE", "RFID-OLD", "RFID-TEMP"]
    assert b"RFID-BERLIN" not in response.content
    assert b"Add an id token" in response.content
    assert rows(client.get(LIST, {"q": "lost"})) == ["RFID-OLD"]
    assert rows(client.get(LIST, {"q": "staff"})) == ["RFID-ALICE"]
    assert rows(client.get(LIST, {"status": "Blocked"})) == ["RFID-OLD"]
    assert rows(client.get(LIST, {"status": "expired"})) == ["RFID-TEMP"]
    assert rows(client.get(LIST, {"group": tokens_a.pk})) == ["RFID-ALICE"]
    assert [g.token for g in response.context["groups"]] == ["STAFF"]


def test_an_operator_adds_edits_and_deletes_a_token(client, operator_a, network_a, tokens_a):
    client.force_login(operator_a)
    response = client.post(
        reverse("console:id-token-add"),
        {"network": network_a.pk, "token": "04A2B3C4", "token_type": "ISO14443", "status": "Accepted",
         "expires_at": "2030-01-31T12:00", "group": tokens_a.pk, "label": "New driver"},
    )
    assert response.status_code == 302
    token = IdToken.objects.get(token="04A2B3C4")
    assert (token.network, token.group, token.label) == (network_a, tokens_a, "New driver")
    assert token.expires_at.isoformat() == "2030-01-31T12:00:00+00:00"

    edit = reverse("console:id-token-edit", args=[token.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {"network": network_a.pk, "token": "04A2B3C4", "token_type": "ISO14443", "status": "Blocked", "label": "Lost"})
    token.refresh_from_db()
    assert (token.status, token.group, token.expires_at) == ("Blocked", None, None)

    assert client.post(reverse("console:id-token-delete", args=[token.pk])).status_code == 302
    assert not IdToken.objects.filter(pk=token.pk).exists()


def test_a_token_is_listed_once_per_network_whatever_its_case(client, operator_a, network_a, tokens_a):
    client.force_login(operator_a)
    response = client.post(
        reverse("console:id-token-add"),
        {"network": network_a.pk, "token": "rfid-alice", "token_type": "ISO14443", "status": "Accepted"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["token"] == ["This network already lists that token (tokens are case-insensitive)."]
    assert IdToken.objects.filter(token__iexact="rfid-alice").count() == 1


def test_another_networks_group_or_network_is_refused(client, account_admin, network_a, network_b, tokens_a):
    group_b = IdTokenGroup.objects.create(network=network_b, token="BERLIN-STAFF")
    client.force_login(account_admin)
    response = client.post(
        reverse("console:id-token-add"),
        {"network": network_a.pk, "token": "X-1", "token_type": "ISO14443", "status": "Accepted", "group": group_b.pk},
    )
    assert response.context["form"].errors["group"] == ["Pick a group of the token's own network."]
    assert not IdToken.objects.filter(token="X-1").exists()


def test_an_operator_cannot_put_a_token_into_another_network(client, operator_a, network_b):
    client.force_login(operator_a)
    response = client.post(
        reverse("console:id-token-add"),
        {"network": network_b.pk, "token": "SNEAKY", "token_type": "ISO14443", "status": "Accepted"},
    )
    assert "network" in response.context["form"].errors
    assert not IdToken.objects.filter(token="SNEAKY").exists()


def test_groups_are_added_edited_and_deleted_with_their_rules(client, operator_a, network_a, tokens_a):
    client.force_login(operator_a)
    add = reverse("console:id-token-group-add")
    response = client.post(add, {"network": network_a.pk, "token": "staff", "token_type": "Central", "label": ""})
    assert response.context["form"].errors["token"] == ["This network already has that group."]
    client.post(add, {"network": network_a.pk, "token": "MASTER", "token_type": "Central", "master_pass": "on", "label": "Service"})
    master = IdTokenGroup.objects.get(token="MASTER")
    assert master.master_pass
    client.post(reverse("console:id-token-group-edit", args=[master.pk]),
                {"network": network_a.pk, "token": "MASTER", "token_type": "Central", "label": "Service desk"})
    master.refresh_from_db()
    assert (master.master_pass, master.label) == (False, "Service desk")
    client.post(reverse("console:id-token-group-delete", args=[tokens_a.pk]))
    assert not IdTokenGroup.objects.filter(pk=tokens_a.pk).exists()
    assert IdToken.objects.get(token="RFID-ALICE").group is None


def test_a_viewer_sees_the_tokens_but_cannot_change_them(client, viewer_a, network_a, tokens_a):
    client.force_login(viewer_a)
    response = client.get(LIST)
    assert rows(response) == ["RFID-ALICE", "RFID-OLD", "RFID-TEMP"]
    assert b"Add an id token" not in response.content
    assert b"Send local list to all stations" not in response.content
    token = IdToken.objects.get(token="RFID-ALICE")
    assert client.get(reverse("console:id-token-add")).status_code == 403
    assert client.post(reverse("console:id-token-add"), {"network": network_a.pk, "token": "V", "token_type": "ISO14443", "status": "Accepted"}).status_code == 403
    assert client.post(reverse("console:id-token-edit", args=[token.pk]), {"network": network_a.pk, "token": "CHANGED"}).status_code == 403
    assert client.post(reverse("console:id-token-delete", args=[token.pk])).status_code == 403
    assert client.post(reverse("console:id-token-group-delete", args=[tokens_a.pk])).status_code == 403
    assert client.post(LIST, {"network": network_a.pk, "update_type": "Full"}).status_code == 403
    assert IdToken.objects.filter(token="RFID-ALICE").exists() and IdTokenGroup.objects.filter(pk=tokens_a.pk).exists()


def test_another_networks_operator_gets_404_for_every_row(client, operator_b, network_a, tokens_a, token_b):
    client.force_login(operator_b)
    assert rows(client.get(LIST)) == ["RFID-BERLIN"]
    token = IdToken.objects.get(token="RFID-ALICE")
    assert client.get(reverse("console:id-token-edit", args=[token.pk])).status_code == 404
    assert client.post(reverse("console:id-token-delete", args=[token.pk])).status_code == 404
    assert client.get(reverse("console:id-token-group-edit", args=[tokens_a.pk])).status_code == 404
    assert client.post(reverse("console:id-token-group-delete", args=[tokens_a.pk])).status_code == 404
    assert client.post(LIST, {"network": network_a.pk, "update_type": "Full"}).status_code == 404
    assert IdToken.objects.filter(pk=token.pk).exists()


def test_an_account_admin_sees_every_network_and_the_network_column(client, account_admin, tokens_a, token_b):
    client.force_login(account_admin)
    response = client.get(LIST)
    assert rows(response) == ["RFID-ALICE", "RFID-OLD", "RFID-TEMP", "RFID-BERLIN"]
    assert b"<th>Network</th>" in response.content
    assert [row["network"].name for row in response.context["local_lists"]] == ["Network A", "Network B"]


def test_the_local_list_version_shows_and_is_sent_to_every_station(client, operator_a, network_a, tokens_a, station_a):
    station_a.state, station_a.ocpp_version = StationState.ONBOARDED, "1.6"
    station_a.save()
    client.force_login(operator_a)
    row = client.get(LIST).context["local_lists"][0]
    assert (row["network"], row["latest"], row["changed"]) == (network_a, None, True)
    assert b"none sent yet" in client.get(LIST).content

    response = client.post(LIST, {"network": network_a.pk, "update_type": "Full"}, follow=True)
    command = Command.objects.get(station=station_a, action="send_local_list")
    assert command.parameters["update_type"] == "Full"
    assert "Full local list sent to 1 of 1 stations of Network A" in response.content.decode()
    latest = LocalListVersion.objects.get(network=network_a)
    row = response.context["local_lists"][0]
    assert (row["latest"], row["changed"]) == (latest, False)
    assert f"{latest.version} (3 tokens" in response.content.decode()
    assert '<td class="local-list-stations">0 of 1</td>' in response.content.decode()
    # The station's Accepted answer is what counts it as holding the version.
    station_local_list_sent(station=station_a, version=latest.version, result="Accepted")
    assert '<td class="local-list-stations">1 of 1</td>' in client.get(LIST).content.decode()
