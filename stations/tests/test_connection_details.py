"""After a station is added the operator sees what to enter on it: URL, identity, hex password, Zaptec warning."""
from __future__ import annotations

import pytest
from django.urls import reverse

from networks.tests.clients import token_client
from stations.models import password_hex, zaptec_password_warning

ZAPTEC = "AAAAAAAAAAAAAAAAAAAA"
ZAPTEC_HEX = "4141414141414141414141414141414141414141"


def test_hex_form_is_the_utf8_bytes_in_hex():
    assert password_hex(ZAPTEC) == ZAPTEC_HEX
    assert password_hex("0123456789abcdef") == "30313233343536373839616263646566".upper()
    assert password_hex("ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ") == "C384" * 16


@pytest.mark.parametrize("password, warned", [(ZAPTEC, False), ("0123456789abcdef", True), ("x" * 40, True),
                                              ("ÄÄÄÄÄÄÄÄÄÄ" + "xxxxxx", True)])
def test_zaptec_warning_unless_exactly_20_bytes(password, warned):
    warning = zaptec_password_warning(password)
    assert (warning is not None) is warned
    if warned:
        assert f"{len(password.encode())} bytes" in warning


def add_in_admin(client, network, password: str, add_page: str = "admin:stations_station_add"):
    data = {"network": network.pk, "location": "", "name": "Carport", "identity": "CP-0001", "password": password,
            "evses-TOTAL_FORMS": "0", "evses-INITIAL_FORMS": "0"}
    return client.post(reverse(add_page), data)


@pytest.mark.parametrize("add_page", ["admin:stations_station_add", "admin:stations_pendingstation_add"])
def test_admin_shows_url_and_hex_password_after_adding(client, operator_a, network_a, settings, add_page):
    settings.OCPP_PUBLIC_URL = "wss://csms.example.com/ocpp/"
    client.force_login(operator_a)
    response = add_in_admin(client, network_a, ZAPTEC, add_page)
    content = response.content.decode()
    assert response.status_code == 200
    assert '<code id="connection-url">wss://csms.example.com/ocpp/CP-0001</code>' in content
    assert f'<code id="password-hex">{ZAPTEC_HEX}</code>' in content
    assert 'id="zaptec-warning"' not in content
    assert "ws:// (security profile 1)" not in content
    assert client.get(response.context["change_url"]).status_code == 200


def test_admin_warns_about_a_zaptec_password_that_is_not_20_bytes(client, operator_a, network_a):
    client.force_login(operator_a)
    content = add_in_admin(client, network_a, "0123456789abcdef").content.decode()
    assert "This password is 16 bytes. Zaptec stations need exactly 20 bytes" in content
    assert "ws://127.0.0.1:8000/ocpp/CP-0001" in content
    # Plain ws:// sends the password unencrypted: the page says so.
    assert "ws:// (security profile 1)" in content


def test_admin_change_page_shows_the_connection_url(client, operator_a, station_a):
    client.force_login(operator_a)
    content = client.get(reverse("admin:stations_station_change", args=[station_a.pk])).content.decode()
    assert "ws://127.0.0.1:8000/ocpp/CP-A-1" in content


def test_api_create_answers_url_hex_and_warning(operator_a, network_a, location_a):
    client = token_client(operator_a)
    payload = {"network": network_a.name, "location": location_a.pk, "identity": "CP-0001", "password": ZAPTEC}
    data = client.post("/api/charging_stations/", payload, format="json").json()
    assert data["connection_url"] == "ws://127.0.0.1:8000/ocpp/CP-0001"
    assert data["password_hex"] == ZAPTEC_HEX
    assert data["zaptec_warning"] is None
    assert data["name"] == "CP-0001"
    payload.update(identity="CP-0002", password="0123456789abcdef")
    assert "16 bytes" in client.post("/api/charging_stations/", payload, format="json").json()["zaptec_warning"]
