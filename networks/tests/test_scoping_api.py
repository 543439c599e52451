"""Scoping on every API endpoint: list, retrieve, create, update and delete of each resource.

Same rules as the admin: members see their own networks, another network's object is 404, viewers
read only, networks are created and changed by account admins.
"""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from locations.models import Location
from networks.models import Network
from networks.tests.clients import token_client
from networks.tests.conftest import MEMBER_NETWORK, MEMBERS, OTHER_NETWORK, PERSONAS, WRITERS
from stations.models import Station

# resource -> (world key, attribute the URL and the list show)
RESOURCES = {
    "networks": ("network", "pk"),
    "locations": ("location", "pk"),
    "charging_stations": ("station", "identity"),
}


def api(world: dict, persona: str) -> APIClient:
    return token_client(world["users"][persona])


def detail_url(resource: str, obj) -> str:
    return f"/api/{resource}/{getattr(obj, RESOURCES[resource][1])}/"


def listed(response, resource: str) -> set:
    field = {"networks": "name", "locations": "name", "charging_stations": "identity"}[resource]
    return {row[field] for row in response.json()["results"]}


def new_payload(resource: str, network: Network, location: Location | None = None) -> dict:
    if resource == "networks":
        return {"name": "Brand new"}
    if resource == "locations":
        return {"network": network.name, "name": "New place", "country": "NL"}
    return {
        "network": network.name,
        "location": location.pk if location else None,
        "identity": "CP-NEW",
        "name": "New station",
        "password": "0123456789abcdef",
    }


def created(resource: str) -> bool:
    if resource == "networks":
        return Network.objects.filter(name="Brand new").exists()
    if resource == "locations":
        return Location.objects.filter(name="New place").exists()
    return Station.objects.filter(identity="CP-NEW").exists()


def deletable(resource: str, world: dict, key: str):
    """An object of network ``key`` that nothing depends on, so deleting it can succeed."""
    network = world["network"][key]
    if resource == "networks":
        return network  # has locations and stations: even account admins get 409
    if resource == "locations":
        return Location.objects.create(network=network, name=f"Empty {key}", country="BE")
    return world["onboardedstation"][key]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_the_personas_networks(world, persona, resource):
    response = api(world, persona).get(f"/api/{resource}/")
    assert response.status_code == 200
    keys = ["a", "b"] if persona == "account_admin" else [MEMBER_NETWORK[persona]]
    model = RESOURCES[resource][0]
    expected = {getattr(world[model][key], "identity", None) or world[model][key].name for key in keys}
    if resource == "charging_stations":
        expected |= {world["onboardedstation"][key].identity for key in keys}
    assert listed(response, resource) == expected


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", MEMBERS)
def test_another_networks_object_is_404_for_every_method(world, persona, resource):
    client = api(world, persona)
    other = world[RESOURCES[resource][0]][OTHER_NETWORK[MEMBER_NETWORK[persona]]]
    url = detail_url(resource, other)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Taken over"}, format="json").status_code == 404
    assert client.put(url, {"name": "Taken over"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    other.refresh_from_db()
    assert other.name != "Taken over"


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_own_objects_are_read_by_all_and_changed_by_writers(world, persona, resource):
    client = api(world, persona)
    key = "a" if persona == "account_admin" else MEMBER_NETWORK[persona]
    own = world[RESOURCES[resource][0]][key]
    may_change = persona == "account_admin" if resource == "networks" else persona in WRITERS
    assert client.get(detail_url(resource, own)).status_code == 200
    response = client.patch(detail_url(resource, own), {"name": "Renamed"}, format="json")
    assert response.status_code == (200 if may_change else 403)
    own.refresh_from_db()
    assert (own.name == "Renamed") is may_change


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_is_for_writers_of_the_objects_network(world, persona, resource):
    key = "a" if persona == "account_admin" else MEMBER_NETWORK[persona]
    obj = deletable(resource, world, key)
    may_delete = persona == "account_admin" if resource == "networks" else persona in WRITERS
    response = api(world, persona).delete(detail_url(resource, obj))
    if not may_delete:
        assert response.status_code == 403
    elif resource == "networks":
        # A network with locations and stations stays; the answer says why instead of a 500.
        assert response.status_code == 409
        assert "Depot A" in response.json()["detail"]
    else:
        assert response.status_code == 204
    assert type(obj).objects.filter(pk=obj.pk).exists() is not (may_delete and resource != "networks")


def test_account_admin_deletes_an_empty_network(world):
    empty = Network.objects.create(name="Empty")
    assert api(world, "account_admin").delete(f"/api/networks/{empty.pk}/").status_code == 204
    assert not Network.objects.filter(pk=empty.pk).exists()


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_create_in_the_own_network_is_for_writers(world, persona, resource):
    key = "a" if persona == "account_admin" else MEMBER_NETWORK[persona]
    response = api(world, persona).post(
        f"/api/{resource}/", new_payload(resource, world["network"][key], world["location"][key]), format="json"
    )
    may_create = persona == "account_admin" if resource == "networks" else persona in WRITERS
    assert response.status_code == (201 if may_create else 403), response.content
    assert created(resource) is may_create


@pytest.mark.parametrize("resource", ["locations", "charging_stations"])
@pytest.mark.parametrize("persona", ["operator_a", "operator_b"])
def test_member_cannot_create_in_another_network(world, persona, resource):
    other = OTHER_NETWORK[MEMBER_NETWORK[persona]]
    payload = new_payload(resource, world["network"][other])
    response = api(world, persona).post(f"/api/{resource}/", payload, format="json")
    assert response.status_code == 400
    assert "network" in response.json()
    assert not created(resource)


def test_member_cannot_put_a_station_at_another_networks_location(world):
    payload = new_payload("charging_stations", world["network"]["a"], world["location"]["b"])
    response = api(world, "operator_a").post("/api/charging_stations/", payload, format="json")
    assert response.status_code == 400
    assert "location" in response.json()
    assert not created("charging_stations")


@pytest.mark.parametrize("resource", ["locations", "charging_stations"])
def test_member_cannot_move_an_object_into_another_network(world, resource):
    own = world[RESOURCES[resource][0]]["a"]
    response = api(world, "operator_a").patch(
        detail_url(resource, own), {"network": world["network"]["b"].name}, format="json"
    )
    assert response.status_code == 400
    assert "network" in response.json()
    own.refresh_from_db()
    assert own.network == world["network"]["a"]


def test_member_cannot_move_a_station_to_another_networks_location(world):
    station = world["station"]["a"]
    response = api(world, "operator_a").patch(
        detail_url("charging_stations", station), {"location": world["location"]["b"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "location" in response.json()
    station.refresh_from_db()
    assert station.location == world["location"]["a"]


def test_account_admin_cannot_put_a_station_at_a_location_of_another_network(world):
    payload = new_payload("charging_stations", world["network"]["a"], world["location"]["b"])
    response = api(world, "account_admin").post("/api/charging_stations/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["location"] == ["The location must be in the station's network."]
