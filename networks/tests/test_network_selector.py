"""The network selector in the admin header narrows every list to the picked network."""
from __future__ import annotations

import pytest
from django.urls import reverse

from networks.models import Membership

LISTS = {
    "admin:locations_location_changelist": ("Depot A", "Depot B"),
    "admin:stations_station_changelist": ("CP-A-1", "CP-B-1"),
    "admin:stations_pendingstation_changelist": ("CP-A-1", "CP-B-1"),
    "admin:stations_onboardedstation_changelist": ("CP-A-ON", "CP-B-ON"),
}


def select(client, network_pk, next_url="/admin/"):
    return client.post(reverse("select-network"), {"network": network_pk or "", "next": next_url})


def selector_options(content: str) -> str:
    return content.split('id="network-select"', 1)[1].split("</select>", 1)[0]


@pytest.mark.parametrize("changelist", LISTS)
def test_picking_a_network_narrows_the_list_and_all_networks_widens_it(client, world, changelist):
    client.force_login(world["users"]["account_admin"])
    in_a, in_b = LISTS[changelist]
    url = reverse(changelist)
    both = client.get(url).content.decode()
    assert in_a in both and in_b in both

    assert select(client, world["network"]["b"].pk, url).url == url
    only_b = client.get(url).content.decode()
    assert in_b in only_b and in_a not in only_b

    select(client, None, url)
    again = client.get(url).content.decode()
    assert in_a in again and in_b in again


def test_the_selector_shows_the_picked_network_and_offers_all_visible_ones(client, world):
    client.force_login(world["users"]["account_admin"])
    select(client, world["network"]["a"].pk)
    options = selector_options(client.get(reverse("admin:index")).content.decode())
    assert f'value="{world["network"]["a"].pk}" selected>Network A' in options
    assert "Network B" in options and "All networks" in options


def test_a_member_of_two_networks_narrows_to_one(client, world):
    operator = world["users"]["operator_a"]
    Membership.objects.create(user=operator, network=world["network"]["b"], role="viewer")
    client.force_login(operator)
    url = reverse("admin:stations_station_changelist")
    assert "CP-B-1" in client.get(url).content.decode()
    select(client, world["network"]["a"].pk)
    content = client.get(url).content.decode()
    assert "CP-A-1" in content and "CP-B-1" not in content


def test_a_member_cannot_pick_another_network(client, world):
    client.force_login(world["users"]["operator_a"])
    assert select(client, world["network"]["b"].pk).status_code == 404
    content = client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert "CP-B-1" not in content and "CP-A-1" in content


def test_losing_access_to_the_picked_network_falls_back_to_own_networks(client, world):
    operator = world["users"]["operator_a"]
    membership = Membership.objects.create(user=operator, network=world["network"]["b"], role="viewer")
    client.force_login(operator)
    select(client, world["network"]["b"].pk)
    membership.delete()
    content = client.get(reverse("admin:stations_station_changelist")).content.decode()
    assert "CP-A-1" in content and "CP-B-1" not in content


def test_the_add_form_starts_in_the_picked_network(client, world):
    client.force_login(world["users"]["account_admin"])
    select(client, world["network"]["b"].pk)
    content = client.get(reverse("admin:locations_location_add")).content.decode()
    assert f'<option value="{world["network"]["b"].pk}" selected>Network B</option>' in content


def test_the_selector_does_not_redirect_off_site(client, world):
    client.force_login(world["users"]["account_admin"])
    assert select(client, world["network"]["a"].pk, "https://evil.example/").url == "/admin/"


def test_the_selector_needs_a_login(client, world):
    response = select(client, world["network"]["a"].pk)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_a_member_of_one_network_finds_it_preselected_on_add_forms(client, world):
    client.force_login(world["users"]["operator_a"])
    for page in ("admin:locations_location_add", "admin:stations_station_add"):
        content = client.get(reverse(page)).content.decode()
        assert f'<option value="{world["network"]["a"].pk}" selected>Network A</option>' in content
