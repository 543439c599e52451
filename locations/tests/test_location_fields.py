"""Locations: country codes, coordinates, search and filters in the admin and the API."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from locations.models import Location
from networks.tests.clients import token_client


@pytest.fixture
def api(operator_a) -> APIClient:
    return token_client(operator_a)


def form(network, **overrides) -> dict:
    data = {"network": network.pk, "name": "Harbour", "country": "NL", "address": "Kade 9",
            "latitude": "52.090737", "longitude": "5.121420"}
    return {**data, **overrides}


def test_admin_saves_coordinates_and_edits_them(client, operator_a, network_a):
    client.force_login(operator_a)
    assert client.post(reverse("admin:locations_location_add"), form(network_a)).status_code == 302
    location = Location.objects.get(name="Harbour")
    assert (location.latitude, location.longitude) == (Decimal("52.090737"), Decimal("5.121420"))
    url = reverse("admin:locations_location_change", args=[location.pk])
    assert client.post(url, form(network_a, latitude="-33.868820", longitude="151.209290")).status_code == 302
    location.refresh_from_db()
    assert (location.latitude, location.longitude) == (Decimal("-33.868820"), Decimal("151.209290"))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("latitude", "90.5", "less than or equal to 90"),
        ("latitude", "-91", "greater than or equal to -90"),
        ("longitude", "180.1", "less than or equal to 180"),
        ("longitude", "-181", "greater than or equal to -180"),
        ("country", "XX", "Select a valid choice"),
        ("country", "nl", "Select a valid choice"),
    ],
)
def test_admin_refuses_out_of_range_coordinates_and_unknown_countries(client, operator_a, network_a, field, value,
                                                                      message):
    client.force_login(operator_a)
    response = client.post(reverse("admin:locations_location_add"), form(network_a, **{field: value}))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not Location.objects.filter(name="Harbour").exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("latitude", "90.5", "less than or equal to 90"),
        ("longitude", "-180.5", "greater than or equal to -180"),
        ("country", "UK", "is not a valid choice"),
        ("country", "", "is not a valid choice"),
    ],
)
def test_api_refuses_out_of_range_coordinates_and_unknown_countries(api, network_a, field, value, message):
    payload = {"network": network_a.name, "name": "Harbour", "country": "NL", "latitude": "52.1", "longitude": "5.1"}
    response = api.post("/api/locations/", {**payload, field: value}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not Location.objects.filter(name="Harbour").exists()


def test_api_creates_a_location_with_coordinates(api, network_a):
    payload = {"network": network_a.name, "name": "Harbour", "country": "BE", "address": "Dok 1",
               "latitude": "51.2194", "longitude": "4.4025"}
    response = api.post("/api/locations/", payload, format="json")
    assert response.status_code == 201
    assert response.json() | {"id": None, "created_at": None} == {
        **payload, "id": None, "created_at": None, "latitude": "51.219400", "longitude": "4.402500"}


def test_names_are_unique_within_a_network(api, location_a):
    response = api.post("/api/locations/", {"network": location_a.network.name, "name": location_a.name,
                                            "country": "NL"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.fixture
def three_locations(network_a, location_a) -> None:
    Location.objects.create(network=network_a, name="Depot Antwerp", country="BE", address="Dok 1")
    Location.objects.create(network=network_a, name="Garage", country="NL", address="Kade 7, Amsterdam")


def rows(response) -> list[str]:
    return [obj.name for obj in response.context["cl"].result_list]


def test_admin_filters_by_country_and_searches_name_and_address(client, operator_a, three_locations):
    client.force_login(operator_a)
    url = reverse("admin:locations_location_changelist")
    assert rows(client.get(url, {"country": "BE"})) == ["Depot Antwerp"]
    assert rows(client.get(url, {"q": "Kade"})) == ["Depot A", "Garage"]
    assert rows(client.get(url, {"q": "Depot"})) == ["Depot A", "Depot Antwerp"]
    # The country filter offers the countries in use, by name.
    content = client.get(url).content.decode()
    assert "BE - Belgium" in content and "NL - Netherlands" in content and "DE - Germany" not in content


def test_api_filters_by_country_and_network(api, three_locations, location_b):
    def names(**params):
        return sorted(row["name"] for row in api.get("/api/locations/", params).json()["results"])

    assert names(country="NL") == ["Depot A", "Garage"]
    assert names(network__name="Network A") == ["Depot A", "Depot Antwerp", "Garage"]
    assert names(network__name="Network B") == []
