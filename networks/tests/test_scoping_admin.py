"""Scoping on every admin page: changelist, add, change, delete and history of each model.

Members see their own networks only; another network's object answers 404 (not 403, which would
confirm it exists); viewers read and change nothing; networks and users are managed by account admins.
"""
from __future__ import annotations

import pytest
from django.urls import reverse

from locations.models import Location
from networks.tests.admin_forms import change_form_data
from networks.tests.conftest import MEMBER_NETWORK, MEMBERS, OTHER_NETWORK, PERSONAS, WRITERS
from stations.models import Station

SCOPED_MODELS = {
    "network": "networks",
    "location": "locations",
    "station": "stations",
    "pendingstation": "stations",
    "onboardedstation": "stations",
}
PAGES = ["change", "delete", "history"]


def admin_url(model: str, page: str, obj=None) -> str:
    app = "networks" if model == "user" else SCOPED_MODELS[model]
    name = f"admin:{app}_{model}_{page}"
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


def traces_of(world: dict, key: str) -> list[str]:
    """Text by which a page would reveal anything of network ``key``."""
    return [
        world["network"][key].name,
        world["location"][key].name,
        world["station"][key].identity,
        world["onboardedstation"][key].identity,
    ]


def assert_reveals_nothing_of(response, world: dict, key: str) -> None:
    content = response.content.decode()
    for trace in traces_of(world, key):
        assert trace not in content, f"{trace!r} of the other network is on {response.request['PATH_INFO']}"


def login(client, world: dict, persona: str):
    client.force_login(world["users"][persona])
    return world["users"][persona]


@pytest.mark.parametrize("model", SCOPED_MODELS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_changelist_shows_only_the_personas_networks(client, world, persona, model):
    login(client, world, persona)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    own_keys = ["a", "b"] if persona == "account_admin" else [MEMBER_NETWORK[persona]]
    for key in own_keys:
        obj = world[model][key]
        assert str(getattr(obj, "identity", obj.name)) in content
    if persona != "account_admin":
        # Not in the rows, and not in the filters, the search or the network selector either.
        assert_reveals_nothing_of(response, world, OTHER_NETWORK[MEMBER_NETWORK[persona]])


@pytest.mark.parametrize("model", ["location", "station", "pendingstation", "onboardedstation"])
@pytest.mark.parametrize("persona", MEMBERS)
def test_bulk_actions_are_offered_only_to_writers(client, world, persona, model):
    login(client, world, persona)
    content = client.get(admin_url(model, "changelist")).content.decode()
    assert ('name="action"' in content) is (persona in WRITERS)


@pytest.mark.parametrize("model", SCOPED_MODELS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_add_page_is_for_writers_and_offers_only_their_networks(client, world, persona, model):
    login(client, world, persona)
    response = client.get(admin_url(model, "add"))
    may_add = persona == "account_admin" if model == "network" else persona in WRITERS
    assert response.status_code == (200 if may_add else 403)
    if may_add and persona != "account_admin":
        assert world["network"][MEMBER_NETWORK[persona]].name in response.content.decode()
        assert_reveals_nothing_of(response, world, OTHER_NETWORK[MEMBER_NETWORK[persona]])


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model", SCOPED_MODELS)
@pytest.mark.parametrize("persona", MEMBERS)
def test_another_networks_object_is_404_on_every_page(client, world, persona, model, page):
    login(client, world, persona)
    other = world[model][OTHER_NETWORK[MEMBER_NETWORK[persona]]]
    assert client.get(admin_url(model, page, other)).status_code == 404
    assert client.post(admin_url(model, page, other), {"post": "yes"}).status_code == 404


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("model", SCOPED_MODELS)
def test_account_admin_reaches_every_networks_objects(client, world, model, page):
    login(client, world, "account_admin")
    # The world's locations have stations: their delete page refuses and sends back to the location.
    expected = 302 if (model, page) == ("location", "delete") else 200
    for key in ("a", "b"):
        assert client.get(admin_url(model, page, world[model][key])).status_code == expected


@pytest.mark.parametrize("model", SCOPED_MODELS)
@pytest.mark.parametrize("persona", MEMBERS)
def test_own_objects_open_read_only_unless_the_role_may_change_them(client, world, persona, model):
    login(client, world, persona)
    own = world[model][MEMBER_NETWORK[persona]]
    may_change = persona in WRITERS and model != "network"
    change = client.get(admin_url(model, "change", own))
    assert change.status_code == 200
    assert ('name="_save"' in change.content.decode()) is may_change
    assert client.get(admin_url(model, "history", own)).status_code == 200
    # The world's locations have stations: deleting one is refused with a redirect (locations/tests).
    delete_page = (302 if model == "location" else 200) if may_change else 403
    assert client.get(admin_url(model, "delete", own)).status_code == delete_page
    assert client.post(admin_url(model, "change", own), {}).status_code == (200 if may_change else 403)
    assert client.post(admin_url(model, "delete", own), {"post": "yes"}).status_code == (302 if may_change else 403)
    deleted = may_change and model != "location"
    assert type(own).objects.filter(pk=own.pk).exists() is not deleted


@pytest.mark.parametrize("page", ["changelist", "add", "change", "delete", "history"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_users_are_managed_by_account_admins_only(client, world, persona, page):
    login(client, world, persona)
    target = world["users"]["operator_b"] if page not in ("changelist", "add") else None
    response = client.get(admin_url("user", page, target))
    assert response.status_code == (200 if persona == "account_admin" else 403)


def test_admin_index_lists_users_only_for_account_admins(client, world):
    login(client, world, "operator_a")
    assert reverse("admin:networks_user_changelist") not in client.get(reverse("admin:index")).content.decode()
    login(client, world, "account_admin")
    assert reverse("admin:networks_user_changelist") in client.get(reverse("admin:index")).content.decode()


def location_form(network, **overrides) -> dict:
    data = {"network": network.pk, "name": "New place", "country": "NL", "address": "", "latitude": "", "longitude": ""}
    return {**data, **overrides}


def station_form(network, location, **overrides) -> dict:
    data = {
        "network": network.pk,
        "location": location.pk if location else "",
        "name": "New station",
        "identity": "CP-NEW",
        "password": "0123456789abcdef",
        "evses-TOTAL_FORMS": "0",
        "evses-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def test_operator_cannot_create_a_location_in_another_network(client, world):
    login(client, world, "operator_a")
    response = client.post(admin_url("location", "add"), location_form(world["network"]["b"]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Location.objects.filter(name="New place").exists()


def test_operator_cannot_move_a_location_into_another_network(client, world):
    login(client, world, "operator_a")
    location = world["location"]["a"]
    response = client.post(
        admin_url("location", "change", location), location_form(world["network"]["b"], name=location.name)
    )
    assert "Select a valid choice" in response.content.decode()
    location.refresh_from_db()
    assert location.network == world["network"]["a"]


@pytest.mark.parametrize("model", ["station", "pendingstation"])
def test_operator_cannot_create_a_station_in_another_network_or_at_its_location(client, world, model):
    login(client, world, "operator_a")
    into_b = client.post(admin_url(model, "add"), station_form(world["network"]["b"], None))
    at_b = client.post(admin_url(model, "add"), station_form(world["network"]["a"], world["location"]["b"]))
    for response in (into_b, at_b):
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Station.objects.filter(identity="CP-NEW").exists()


def test_operator_cannot_move_a_station_into_another_network(client, world):
    login(client, world, "operator_a")
    station = world["station"]["a"]
    url = admin_url("station", "change", station)
    data = change_form_data(client.get(url))
    data.update(network=world["network"]["b"].pk, location=world["location"]["b"].pk)
    response = client.post(url, data)
    assert "Select a valid choice" in response.content.decode()
    station.refresh_from_db()
    assert (station.network, station.location) == (world["network"]["a"], world["location"]["a"])


def test_station_location_must_be_in_the_stations_network(client, world):
    login(client, world, "account_admin")
    response = client.post(admin_url("station", "add"), station_form(world["network"]["a"], world["location"]["b"]))
    assert "The location must be in the station&#x27;s network." in response.content.decode()
    assert not Station.objects.filter(identity="CP-NEW").exists()
