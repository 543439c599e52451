"""The station page's registration switch (answer Pending at the next boot) and the network's read-after-boot setting."""
from __future__ import annotations

import pytest
from django.urls import reverse

from commands.models import Command
from console.forms import NetworkForm
from stations.models import Station

pytestmark = pytest.mark.django_db


def registration_url(identity: str) -> str:
    return reverse("console:station-registration", args=[identity])


def test_an_operator_turns_pending_on_with_its_interval_and_the_page_says_so(client, operator_a, station_a):
    client.force_login(operator_a)
    overview = client.get(reverse("console:station-detail", args=[station_a.identity])).content.decode()
    assert 'id="registration-form"' in overview and "answered <strong>Accepted</strong>" in overview

    response = client.post(registration_url(station_a.identity), {"boot_pending": "on", "boot_pending_interval": "20"})
    assert response.status_code == 302
    station = Station.objects.get(pk=station_a.pk)
    assert (station.boot_pending, station.boot_pending_interval) == (True, 20)
    page = client.get(reverse("console:station-detail", args=[station_a.identity])).content.decode()
    assert "answered <strong>Pending</strong>" in page and "retries after 20 s" in page
    assert "The next BootNotification is answered Pending." in page

    client.post(registration_url(station_a.identity), {"boot_pending_interval": "20"})
    assert Station.objects.get(pk=station_a.pk).boot_pending is False


def test_a_bad_interval_is_refused_with_the_reason(client, operator_a, station_a):
    client.force_login(operator_a)
    client.post(registration_url(station_a.identity), {"boot_pending": "on", "boot_pending_interval": "-1"})
    assert Station.objects.get(pk=station_a.pk).boot_pending is False
    page = client.get(reverse("console:station-detail", args=[station_a.identity])).content.decode()
    assert "boot_pending_interval" in page and "greater than or equal to 0" in page


def test_leaving_pending_can_trigger_a_boot_notification(client, operator_a, station_a):
    station_a.boot_pending = True
    station_a.save(update_fields=["boot_pending"])
    client.force_login(operator_a)
    response = client.post(
        registration_url(station_a.identity), {"boot_pending_interval": "60", "trigger_boot": "on"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/commands/")
    command = Command.objects.get(station=station_a)
    assert (command.action, command.parameters) == ("trigger_message", {"requested_message": "BootNotification"})
    assert command.requested_by == operator_a
    assert Station.objects.get(pk=station_a.pk).boot_pending is False


def test_a_viewer_sees_the_switch_but_cannot_change_it(client, viewer_a, station_a):
    client.force_login(viewer_a)
    page = client.get(reverse("console:station-detail", args=[station_a.identity])).content.decode()
    assert 'id="registration-state"' in page and 'id="registration-form"' not in page
    assert client.post(registration_url(station_a.identity), {"boot_pending": "on", "boot_pending_interval": "5"}).status_code == 403
    assert Station.objects.get(pk=station_a.pk).boot_pending is False


def test_another_networks_station_is_404(client, operator_b, station_a):
    client.force_login(operator_b)
    assert client.post(registration_url(station_a.identity), {"boot_pending": "on", "boot_pending_interval": "5"}).status_code == 404
    assert Station.objects.get(pk=station_a.pk).boot_pending is False


def test_the_network_form_turns_the_read_after_boot_off(network_a):
    assert network_a.read_configuration_after_boot is True
    form = NetworkForm({"name": network_a.name, "description": ""}, instance=network_a)
    assert form.is_valid(), form.errors
    form.save()
    network_a.refresh_from_db()
    assert network_a.read_configuration_after_boot is False


def test_the_api_shows_and_changes_the_switch(client, operator_a, station_a):
    client.force_login(operator_a)
    url = f"/api/charging_stations/{station_a.identity}/"
    body = client.get(url).json()
    assert (body["boot_pending"], body["boot_pending_interval"]) == (False, 60)
    response = client.patch(url, {"boot_pending": True, "boot_pending_interval": 90000}, content_type="application/json")
    assert response.status_code == 400 and "boot_pending_interval" in response.json()
    response = client.patch(url, {"boot_pending": True, "boot_pending_interval": 15}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["boot_pending"], response.json()["boot_pending_interval"]) == (True, 15)


def test_the_api_lists_the_stations_held_in_pending(client, operator_a, station_a, network_a, location_a):
    from stations.services import station_create

    held = station_create(network=network_a, location=location_a, identity="CP-A-HELD", name="Held", password="0123456789abcdef")
    held.boot_pending = True
    held.save(update_fields=["boot_pending"])
    client.force_login(operator_a)
    listed = client.get("/api/charging_stations/?boot_pending=true").json()
    assert [s["identity"] for s in listed["results"]] == ["CP-A-HELD"]
