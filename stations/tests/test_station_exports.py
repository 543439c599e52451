"""Station list CSV (API and console, filters as on screen) and the FAQ's singular /api/charging_station/ path."""
from __future__ import annotations

import csv
import io

import pytest

from stations.exports import HEADER
from stations.models import Connector, EquipmentStatus, EVSE, StationState
from stations.services import station_create

PASSWORD = "0123456789abcdef"


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


@pytest.fixture
def fleet(station_a, station_b, network_a, location_a):
    for station in (station_a, station_b):
        station.state = StationState.ONBOARDED
        station.save()
    evse = EVSE.objects.create(station=station_a, evse_id=1)
    Connector.objects.create(evse=evse, connector_id=1, status=EquipmentStatus.FAULTED, error_code="GroundFailure")
    station_a.connected = True
    station_a.vendor = "=HYPERLINK(\"http://x\")"
    station_a.save()
    station_create(network=network_a, identity="CP-A-2", name="Yard", password=PASSWORD, state=StationState.ONBOARDED,
                   vendor="Zaptec")


def test_api_csv_lists_the_filtered_stations_of_the_users_networks(client, operator_a, fleet):
    client.force_login(operator_a)
    rows = read_csv(client.get("/api/charging_stations/?format=csv"))
    assert [r["identity"] for r in rows] == ["CP-A-1", "CP-A-2"]  # never CP-B-1
    first = rows[0]
    assert first["network"] == "Network A" and first["location"] == "Depot A"
    assert first["status"] == "faulted"
    assert first["connectors"] == "1: Faulted GroundFailure"
    # Formula neutralised, as in the sessions export.
    assert first["vendor"] == "'=HYPERLINK(\"http://x\")"
    assert [r["identity"] for r in read_csv(client.get("/api/charging_stations/?format=csv&status=faulted"))] == ["CP-A-1"]
    assert [r["identity"] for r in read_csv(client.get("/api/charging_stations/?format=csv&search=yard"))] == ["CP-A-2"]


def test_api_csv_for_another_networks_user(client, operator_b, fleet):
    client.force_login(operator_b)
    assert [r["identity"] for r in read_csv(client.get("/api/charging_stations/?format=csv"))] == ["CP-B-1"]


def test_the_singular_path_answers_as_the_plural(client, operator_a, operator_b, fleet):
    client.force_login(operator_a)
    listed = client.get("/api/charging_station/")
    assert listed.status_code == 200
    assert sorted(r["identity"] for r in listed.json()["results"]) == ["CP-A-1", "CP-A-2"]
    assert client.get("/api/charging_station/CP-A-1/").json()["identity"] == "CP-A-1"
    assert [r["identity"] for r in read_csv(client.get("/api/charging_station/?format=csv"))] == ["CP-A-1", "CP-A-2"]
    assert client.get("/api/charging_station/CP-B-1/").status_code == 404
    client.force_login(operator_b)
    assert client.get("/api/charging_station/CP-A-1/").status_code == 404
    assert client.get("/api/charging_station/CP-A-1/sessions/").status_code == 404


def test_console_export_follows_the_filters_on_screen(client, operator_a, operator_b, fleet):
    client.force_login(operator_a)
    rows = read_csv(client.get("/console/stations/export.csv?status=faulted"))
    assert [r["identity"] for r in rows] == ["CP-A-1"]
    assert [r["identity"] for r in read_csv(client.get("/console/stations/export.csv?q=yard"))] == ["CP-A-2"]
    client.force_login(operator_b)
    assert [r["identity"] for r in read_csv(client.get("/console/stations/export.csv"))] == ["CP-B-1"]
