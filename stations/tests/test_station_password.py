"""Station passwords: 16 to 40 characters, stored as a Django hash, never shown again, never logged."""
from __future__ import annotations

import logging

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import STATION_PASSWORD
from networks.tests.admin_forms import change_form_data
from networks.tests.clients import token_client
from stations.models import Station

GOOD = "s3cret-Station-pw-01"  # 20 characters
TOO_SHORT = "fifteen-chars-x"
TOO_LONG = "x" * 41
WITH_CONTROL = "sixteen-chars\x07xx"


@pytest.fixture
def api(operator_a) -> APIClient:
    return token_client(operator_a)


def admin_add(client, network, password: str, identity: str = "CP-NEW"):
    data = {"network": network.pk, "location": "", "name": "New", "identity": identity, "password": password,
            "evses-TOTAL_FORMS": "0", "evses-INITIAL_FORMS": "0"}
    return client.post(reverse("admin:stations_station_add"), data)


def admin_change(client, station: Station, password: str):
    url = reverse("admin:stations_station_change", args=[station.pk])
    return client.post(url, {**change_form_data(client.get(url)), "password": password})


@pytest.mark.parametrize("password", ["0123456789abcdef", "x" * 40, "spaces are fine in here"])
def test_16_to_40_characters_are_accepted_and_stored_as_a_hash(client, operator_a, network_a, password):
    client.force_login(operator_a)
    assert admin_add(client, network_a, password).status_code == 200
    station = Station.objects.get(identity="CP-NEW")
    assert station.password_hash.startswith("station_pbkdf2_sha256$")
    assert password not in station.password_hash
    assert station.check_password(password)
    assert not station.check_password(password + "x")


@pytest.mark.parametrize("password", [TOO_SHORT, TOO_LONG, WITH_CONTROL, ""])
def test_admin_refuses_a_bad_password_with_a_field_error(client, operator_a, network_a, password):
    client.force_login(operator_a)
    response = admin_add(client, network_a, password)
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["password"])
    expected = {"": "This field is required.", WITH_CONTROL: "control characters"}.get(password, "16 to 40 characters")
    assert expected in errors
    assert not Station.objects.filter(identity="CP-NEW").exists()


@pytest.mark.parametrize("password", [TOO_SHORT, TOO_LONG, None])
def test_api_refuses_a_bad_password_with_a_field_error(api, network_a, password):
    payload = {"network": network_a.name, "identity": "CP-NEW", "name": "New"}
    if password is not None:
        payload["password"] = password
    response = api.post("/api/charging_stations/", payload, format="json")
    assert response.status_code == 400
    expected = "16 to 40 characters" if password else "This field is required."
    assert expected in " ".join(response.json()["password"])
    assert not Station.objects.filter(identity="CP-NEW").exists()


def test_command_refuses_a_bad_password(network_a):
    with pytest.raises(CommandError, match="16 to 40 characters"):
        call_command("add_station", network=network_a.name, identity="CP-NEW", password=TOO_SHORT)
    assert not Station.objects.filter(identity="CP-NEW").exists()


def test_the_password_is_never_shown_again(client, api, operator_a, station_a):
    client.force_login(operator_a)
    page = client.get(reverse("admin:stations_station_change", args=[station_a.pk])).content.decode()
    hex_form = STATION_PASSWORD.encode().hex()
    for text in (STATION_PASSWORD, hex_form, hex_form.upper(), station_a.password_hash):
        assert text not in page
    data = api.get(f"/api/charging_stations/{station_a.identity}/").json()
    assert not {"password", "password_hash"} & set(data)
    assert (data["password_hex"], data["zaptec_warning"]) == (None, None)
    assert STATION_PASSWORD not in str(data)


def test_admin_replaces_the_password_and_shows_the_new_one_once(client, operator_a, station_a):
    client.force_login(operator_a)
    response = admin_change(client, station_a, GOOD)
    assert response.status_code == 200
    assert GOOD.encode().hex().upper() in response.content.decode()
    station_a.refresh_from_db()
    assert station_a.check_password(GOOD) and not station_a.check_password(STATION_PASSWORD)
    # The page links back to the station (not to a nested ../<pk>/change/ path).
    back = client.get(response.context["change_url"])
    assert back.status_code == 200 and GOOD.encode().hex().upper() not in back.content.decode()


def test_admin_keeps_the_password_when_the_field_is_left_empty(client, operator_a, station_a):
    client.force_login(operator_a)
    response = admin_change(client, station_a, "")
    assert response.status_code == 302
    station_a.refresh_from_db()
    assert station_a.check_password(STATION_PASSWORD)


def test_admin_refuses_a_bad_replacement_and_keeps_the_old_password(client, operator_a, station_a):
    client.force_login(operator_a)
    response = admin_change(client, station_a, TOO_SHORT)
    assert "16 to 40 characters" in " ".join(response.context["adminform"].form.errors["password"])
    station_a.refresh_from_db()
    assert station_a.check_password(STATION_PASSWORD)


def test_api_replaces_the_password_and_answers_its_hex_form_once(api, station_a):
    response = api.patch(f"/api/charging_stations/{station_a.identity}/", {"password": GOOD}, format="json")
    assert response.status_code == 200
    assert response.json()["password_hex"] == GOOD.encode().hex().upper()
    station_a.refresh_from_db()
    assert station_a.check_password(GOOD)
    assert api.get(f"/api/charging_stations/{station_a.identity}/").json()["password_hex"] is None


def test_a_viewer_cannot_replace_the_password(viewer_a, station_a):
    client = token_client(viewer_a)
    response = client.patch(f"/api/charging_stations/{station_a.identity}/", {"password": GOOD}, format="json")
    assert response.status_code == 403
    station_a.refresh_from_db()
    assert station_a.check_password(STATION_PASSWORD)


def test_the_password_never_reaches_the_logs(client, api, operator_a, network_a, station_a, caplog, settings, capsys):
    # DEBUG makes Django log every SQL statement with its parameters: the strictest case.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    client.force_login(operator_a)
    admin_add(client, network_a, "admin-added-password-1")
    admin_change(client, station_a, "admin-changed-password-2")
    api.post("/api/charging_stations/", {"network": network_a.name, "identity": "CP-API", "name": "API",
                                         "password": "api-created-password-3"}, format="json")
    api.patch("/api/charging_stations/CP-API/", {"password": "api-changed-password-4"}, format="json")
    call_command("add_station", network=network_a.name, identity="CP-CMD", password="command-password-05")
    api.post("/api/charging_stations/", {"network": network_a.name, "identity": "CP-BAD", "name": "Bad",
                                         "password": "too-short-pw-6"}, format="json")
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    # The SQL log is on, so the check below looks at every statement that stored a password hash.
    assert 'UPDATE "stations_station" SET' in logged and "station_pbkdf2_sha256$" in logged
    for password in ("admin-added-password-1", "admin-changed-password-2", "api-created-password-3",
                     "api-changed-password-4", "command-password-05", "too-short-pw-6"):
        assert password not in logged
    assert Station.objects.filter(identity__in=["CP-NEW", "CP-API", "CP-CMD"]).count() == 3
