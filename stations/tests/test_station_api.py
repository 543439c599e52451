"""The charging_stations API: create, list with filters, retrieve by identity, update, delete; identity rules."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from networks.tests.clients import token_client
from stations.models import Station, StationState
from stations.services import station_create

PASSWORD = "0123456789abcdef"


@pytest.fixture
def api(account_admin) -> APIClient:
    return token_client(account_admin)


@pytest.fixture
def fleet(station_a, station_b, network_a, location_a) -> None:
    station_create(network=network_a, identity="CP-A-2", name="Loose", password=PASSWORD, state=StationState.ONBOARDED)
    station_create(network=network_a, identity="CP-A-3", name="Yard", location=location_a, password=PASSWORD,
                   state=StationState.REJECTED)


def identities(api, **params) -> list[str]:
    response = api.get("/api/charging_stations/", params)
    assert response.status_code == 200
    return sorted(row["identity"] for row in response.json()["results"])


def test_filters_by_network_location_state_and_search(api, fleet, location_a, location_b):
    assert identities(api) == ["CP-A-1", "CP-A-2", "CP-A-3", "CP-B-1"]
    assert identities(api, network="Network A") == ["CP-A-1", "CP-A-2", "CP-A-3"]
    assert identities(api, location=location_a.pk) == ["CP-A-1", "CP-A-3"]
    assert identities(api, location=location_b.pk) == ["CP-B-1"]
    assert identities(api, state="pending") == ["CP-A-1", "CP-B-1"]
    assert identities(api, state="onboarded") == ["CP-A-2"]
    assert identities(api, state="rejected", network="Network A") == ["CP-A-3"]
    assert identities(api, search="yard") == ["CP-A-3"]
    assert identities(api, search="cp-b") == ["CP-B-1"]


def test_an_unknown_filter_value_is_a_field_error(api, fleet):
    response = api.get("/api/charging_stations/", {"state": "sleeping"})
    assert response.status_code == 400
    assert "state" in response.json()


@pytest.mark.parametrize("identity", ["CP-0001", "cp.0001_a~b", "A" * 48, "0"])
def test_create_and_retrieve_update_delete_by_identity(api, network_a, identity):
    created = api.post("/api/charging_stations/", {"network": "Network A", "identity": identity, "name": "Carport",
                                                    "password": PASSWORD}, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/charging_stations/{identity}/"
    assert created.json()["connection_url"] == f"ws://127.0.0.1:8000/ocpp/{identity}"
    fetched = api.get(url).json()
    assert (fetched["identity"], fetched["name"], fetched["network"], fetched["state"]) == (
        identity, "Carport", "Network A", "pending")
    assert api.patch(url, {"name": "Garage", "state": "onboarded"}, format="json").status_code == 200
    station = Station.objects.get(identity=identity)
    assert (station.name, station.state) == ("Garage", "onboarded")
    assert station.check_password(PASSWORD)
    assert api.delete(url).status_code == 204
    assert not Station.objects.filter(identity=identity).exists()
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    "identity",
    ["A" * 49, "CP:0001", "CP 0001", "CP/0001", "CP%2F0001", "CP?1", "Ünïcode", "", "CP#1", ".", ".."],
)
def test_identities_that_do_not_fit_in_a_url_are_refused(api, network_a, identity):
    response = api.post("/api/charging_stations/", {"network": "Network A", "identity": identity,
                                                     "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "identity" in response.json()
    assert not Station.objects.exists()


def test_identities_are_unique_across_networks(api, station_b, network_a):
    response = api.post("/api/charging_stations/", {"network": "Network A", "identity": station_b.identity,
                                                     "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "already exists" in " ".join(response.json()["identity"])


def test_gateway_fields_are_read_only(api, station_a):
    response = api.patch(f"/api/charging_stations/{station_a.identity}/",
                         {"vendor": "Evil", "connected": True, "last_seen": "2020-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 200
    station_a.refresh_from_db()
    assert (station_a.vendor, station_a.connected, station_a.last_seen) == ("", False, None)


def test_station_rows_carry_evses_and_connectors(api, station_a):
    evse = station_a.evses.create(evse_id=1, status="Available")
    evse.connectors.create(connector_id=1, status="Faulted", error_code="GroundFailure")
    row = api.get(f"/api/charging_stations/{station_a.identity}/").json()
    assert row["evses"][0]["evse_id"] == 1
    assert row["evses"][0]["connectors"][0] | {"status_at": None} == {
        "connector_id": 1, "status": "Faulted", "error_code": "GroundFailure", "error_info": "",
        "vendor_error_code": "", "status_at": None, "faulted": True}
