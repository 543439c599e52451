"""The API's outer contract: token auth, 401 for bad credentials, field errors, the OpenAPI schema."""
from __future__ import annotations

import pytest
import yaml
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from networks.models import User
from networks.tests.clients import token_client

ENDPOINTS = ["/api/networks/", "/api/locations/", "/api/charging_stations/"]


@pytest.mark.parametrize("url", ENDPOINTS + ["/api/charging_stations/CP-A-1/"])
@pytest.mark.parametrize("header", [None, "Token not-a-real-key", "Bearer abc", "Basic Ym9iOnB3LWJvYg=="])
def test_missing_or_bad_credentials_get_401(station_a, url, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "CP-A-1" not in response.content.decode()


def test_a_deactivated_users_token_gets_401(operator_a):
    key = Token.objects.create(user=operator_a).key
    operator_a.is_active = False
    operator_a.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/locations/").status_code == 401


def test_the_admin_session_also_authenticates(client, operator_a, station_a):
    client.force_login(operator_a)
    assert client.get("/api/charging_stations/").json()["results"][0]["identity"] == "CP-A-1"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_user_without_memberships_sees_nothing(url, world):
    nobody = User.objects.create_user(username="nobody", password="pw")
    client = token_client(nobody)
    assert client.get(url).json()["results"] == []
    assert client.post(url, {}, format="json").status_code == 403


@pytest.fixture
def api(operator_a) -> APIClient:
    return token_client(operator_a)


def test_invalid_location_gets_field_errors(api):
    response = api.post("/api/locations/", {"network": "Network A", "latitude": "north"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "country", "latitude"}
    assert response.json()["name"] == ["This field is required."]


def test_invalid_station_gets_field_errors(api, network_a):
    response = api.post("/api/charging_stations/", {"network": "Nowhere", "identity": "a b", "password": "short",
                                                     "location": "x", "state": "asleep"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"network", "identity", "password", "location", "state"}


def test_malformed_json_is_a_400(api):
    response = api.generic("POST", "/api/locations/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_openapi_schema_describes_every_endpoint():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ["/api/networks/", "/api/networks/{id}/", "/api/locations/", "/api/locations/{id}/",
                 "/api/charging_stations/", "/api/charging_stations/{identity}/"]:
        assert path in schema["paths"], path
    station = schema["components"]["schemas"]["Station"]["properties"]
    assert station["password"]["writeOnly"] is True
    assert station["password_hex"]["readOnly"] is True and station["password_hex"]["nullable"] is True
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])
    params = {p["name"] for p in schema["paths"]["/api/charging_stations/"]["get"]["parameters"]}
    assert {"network", "location", "state", "search"} <= params


def test_api_docs_page_is_served():
    assert APIClient().get("/api/docs/").status_code == 200


def test_openapi_schema_generates_without_warnings(tmp_path):
    # Warnings mean ambiguous component names (enum collisions) that break generated clients.
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--file", str(out))
    assert "Status508Enum" not in out.read_text()
    assert "EquipmentStatusEnum" in out.read_text()
