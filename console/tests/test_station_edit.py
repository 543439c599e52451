"""Charger edit and delete in the console: the stations app's rules (location in the station's
network, password rules, new password shown once), per persona; another network's station is 404."""
from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from conftest import STATION_PASSWORD
from locations.models import Location
from sessions.models import Session
from stations.models import Station, password_hex


def edit_url(identity: str = "CP-A-1") -> str:
    return reverse("console:station-edit", args=[identity])


def delete_url(identity: str = "CP-A-1") -> str:
    return reverse("console:station-delete", args=[identity])


def form_data(station: Station, **changes) -> dict:
    data = {"name": station.name, "location": station.location_id or "", "ocpp_version": station.ocpp_version, "state": station.state}
    data.update(changes)
    return data


def test_the_actions_menu_links_to_the_console_edit_page_not_the_admin(client, operator_a, station_a):
    client.force_login(operator_a)
    page = client.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert f'href="{edit_url()}"' in page
    assert "/admin/stations/station/" not in page


def test_an_operator_renames_moves_and_forces_a_version(client, operator_a, network_a, station_a):
    second = Location.objects.create(network=network_a, name="Depot A2", country="NL")
    client.force_login(operator_a)
    assert client.get(edit_url()).status_code == 200
    response = client.post(edit_url(), form_data(station_a, name="Gate 1", location=second.pk, ocpp_version="2.0.1"))
    assert response["Location"] == reverse("console:station-detail", args=["CP-A-1"])
    station_a.refresh_from_db()
    assert (station_a.name, station_a.location, station_a.ocpp_version) == ("Gate 1", second, "2.0.1")
    assert station_a.check_password(STATION_PASSWORD)


def test_a_location_of_another_network_is_refused(client, account_admin, station_a, location_b):
    client.force_login(account_admin)
    response = client.post(edit_url(), form_data(station_a, location=location_b.pk))
    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    # The choices offered are the station's own network's locations only.
    assert list(response.context["form"].fields["location"].queryset) == [station_a.location]
    station_a.refresh_from_db()
    assert station_a.location.name == "Depot A"


def test_a_new_password_is_shown_once_as_typed_and_in_hex_and_drops_the_socket(client, operator_a, station_a):
    Station.objects.filter(pk=station_a.pk).update(channel_name="specific.test!abc")
    client.force_login(operator_a)
    with mock.patch("stations.services._station_socket_close") as close:
        response = client.post(edit_url(), form_data(station_a, new_password="brand-new-secret-2026"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert '<code id="password-plain">brand-new-secret-2026</code>' in page
    assert password_hex("brand-new-secret-2026") in page
    close.assert_called_once_with(channel_name="specific.test!abc", code=4001)
    station_a.refresh_from_db()
    assert station_a.check_password("brand-new-secret-2026") and not station_a.check_password(STATION_PASSWORD)
    # Not in the edit page afterwards.
    assert "brand-new-secret-2026" not in client.get(edit_url()).content.decode()


def test_a_generated_password_has_twenty_characters(client, operator_a, station_a):
    client.force_login(operator_a)
    response = client.post(edit_url(), form_data(station_a, generate_password="on"))
    password = response.context["password"]
    assert len(password) == 20 and password.isalnum()
    station_a.refresh_from_db()
    assert station_a.check_password(password)


def test_a_short_password_is_a_field_error(client, operator_a, station_a):
    client.force_login(operator_a)
    response = client.post(edit_url(), form_data(station_a, new_password="short"))
    assert response.status_code == 200
    assert "16 to 40 characters" in " ".join(response.context["form"].errors["new_password"])
    station_a.refresh_from_db()
    assert station_a.check_password(STATION_PASSWORD)


def test_deleting_needs_the_identity_typed(client, operator_a, station_a):
    client.force_login(operator_a)
    response = client.post(delete_url(), {"confirm_identity": "CP-A-2"}, follow=True)
    assert "Type the station&#x27;s identity to delete it." in response.content.decode()
    assert Station.objects.filter(pk=station_a.pk).exists()
    response = client.post(delete_url(), {"confirm_identity": "CP-A-1"})
    assert response["Location"] == reverse("console:station-list")
    assert not Station.objects.filter(pk=station_a.pk).exists()


def test_a_station_with_sessions_is_kept(client, operator_a, station_a):
    from django.utils import timezone

    Session.objects.create(
        network=station_a.network, location=station_a.location, station=station_a, ocpp_version="1.6",
        transaction_id="1", evse_id=1, connector_id=1, id_token="TAG", started_at=timezone.now(),
    )
    client.force_login(operator_a)
    response = client.post(delete_url(), {"confirm_identity": "CP-A-1"}, follow=True)
    assert "has charging sessions, which are kept for billing" in response.content.decode()
    assert Station.objects.filter(pk=station_a.pk).exists()


def test_a_viewer_sees_no_edit_link_and_gets_403(client, viewer_a, station_a):
    client.force_login(viewer_a)
    assert edit_url() not in client.get(reverse("console:station-detail", args=["CP-A-1"])).content.decode()
    assert client.get(edit_url()).status_code == 403
    assert client.post(edit_url(), form_data(station_a, name="Hacked")).status_code == 403
    assert client.post(delete_url(), {"confirm_identity": "CP-A-1"}).status_code == 403
    station_a.refresh_from_db()
    assert station_a.name == "Station A1"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_networks_operator_gets_404(client, operator_b, station_a, method):
    client.force_login(operator_b)
    assert getattr(client, method)(edit_url()).status_code == 404
    assert client.post(delete_url(), {"confirm_identity": "CP-A-1"}).status_code == 404
    assert Station.objects.filter(pk=station_a.pk).exists()
