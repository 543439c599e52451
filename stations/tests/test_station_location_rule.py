"""One rule, every surface: a station's location is in the station's network (stations.models.validate_station_location).

The account admin sees both networks, so each surface gets as far as the rule itself (an operator of
network A would already be stopped by scoping: network B's location is not among their choices).
"""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import STATION_PASSWORD
from locations.models import Location
from networks.tests.clients import token_client
from stations.models import Station
from stations.services import station_create

MESSAGE = "The location must be in the station's network."


def test_the_service_refuses_a_location_of_another_network(network_a, location_b):
    with pytest.raises(ValidationError) as caught:
        station_create(network=network_a, location=location_b, identity="CP-SVC", password=STATION_PASSWORD)
    assert caught.value.message_dict == {"location": [MESSAGE]}
    assert not Station.objects.filter(identity="CP-SVC").exists()


def test_the_api_refuses_it_on_create_and_on_update(account_admin, network_a, location_a, location_b, station_a):
    api = token_client(account_admin)
    created = api.post(
        "/api/charging_stations/",
        {"network": "Network A", "location": location_b.pk, "identity": "CP-API", "password": STATION_PASSWORD},
        format="json",
    )
    assert created.status_code == 400 and created.json() == {"location": [MESSAGE]}
    assert not Station.objects.filter(identity="CP-API").exists()

    moved = api.patch(f"/api/charging_stations/{station_a.identity}/", {"location": location_b.pk}, format="json")
    assert moved.status_code == 400 and moved.json() == {"location": [MESSAGE]}
    station_a.refresh_from_db()
    assert station_a.location == location_a


def test_the_admin_form_refuses_it(client, account_admin, network_a, location_b):
    client.force_login(account_admin)
    data = {"network": network_a.pk, "location": location_b.pk, "name": "X", "identity": "CP-ADM",
            "password": STATION_PASSWORD, "evses-TOTAL_FORMS": "0", "evses-INITIAL_FORMS": "0"}
    response = client.post(reverse("admin:stations_station_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["location"] == [MESSAGE]
    assert not Station.objects.filter(identity="CP-ADM").exists()


def test_the_console_form_refuses_it(client, account_admin, network_a, location_b):
    client.force_login(account_admin)
    response = client.post(
        reverse("console:station-add"),
        {"network": network_a.pk, "location": location_b.pk, "identity": "CP-CON", "password": STATION_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["location"] == [MESSAGE]
    assert MESSAGE.replace("'", "&#x27;") in response.content.decode()
    assert not Station.objects.filter(identity="CP-CON").exists()


def test_a_location_in_the_stations_network_is_taken_everywhere(account_admin, network_a, location_a):
    api = token_client(account_admin)
    created = api.post(
        "/api/charging_stations/",
        {"network": "Network A", "location": location_a.pk, "identity": "CP-OK", "password": STATION_PASSWORD},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert Station.objects.get(identity="CP-OK").location == location_a
    assert Location.objects.get(pk=location_a.pk).stations.count() == 1


def test_a_location_with_stations_keeps_its_network_in_the_api_and_the_admin(client, account_admin, network_b, location_a, station_a):
    moved = token_client(account_admin).patch(f"/api/locations/{location_a.pk}/", {"network": "Network B"}, format="json")
    assert moved.status_code == 400, moved.content
    assert list(moved.json()) == ["network"]

    client.force_login(account_admin)
    data = {"network": network_b.pk, "name": location_a.name, "country": location_a.country, "address": location_a.address,
            "latitude": "", "longitude": ""}
    response = client.post(reverse("admin:locations_location_change", args=[location_a.pk]), data)
    assert response.status_code == 200
    assert "network" in response.context["adminform"].form.errors
    assert Location.objects.get(pk=location_a.pk).network.name == "Network A"


def test_an_empty_location_may_move(account_admin, network_b, location_a):
    moved = token_client(account_admin).patch(f"/api/locations/{location_a.pk}/", {"network": "Network B"}, format="json")
    assert moved.status_code == 200, moved.content
    assert Location.objects.get(pk=location_a.pk).network == network_b
