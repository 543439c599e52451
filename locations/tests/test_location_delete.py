"""A location with stations cannot be deleted: not from its page, not in bulk, not through the API."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from locations.models import Location
from locations.services import location_delete
from networks.tests.clients import token_client


@pytest.fixture
def empty_location(network_a) -> Location:
    return Location.objects.create(network=network_a, name="Empty lot", country="NL")


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_delete_page_refuses_and_names_the_stations(client, operator_a, location_a, station_a):
    client.force_login(operator_a)
    response = client.get(reverse("admin:locations_location_delete", args=[location_a.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:locations_location_change", args=[location_a.pk])
    assert "Station A1 (CP-A-1)" in messages_of(response)
    assert "Cannot delete" in messages_of(response)
    response = client.post(reverse("admin:locations_location_delete", args=[location_a.pk]), {"post": "yes"})
    assert Location.objects.filter(pk=location_a.pk).exists()


def test_delete_page_deletes_a_location_without_stations(client, operator_a, empty_location):
    client.force_login(operator_a)
    url = reverse("admin:locations_location_delete", args=[empty_location.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Location.objects.filter(pk=empty_location.pk).exists()


def bulk_delete(client, locations, confirm: bool):
    data = {"action": "delete_selected_checked", "_selected_action": [loc.pk for loc in locations]}
    if confirm:
        data["post"] = "yes"
    return client.post(reverse("admin:locations_location_changelist"), data, follow=True)


def test_bulk_delete_refuses_all_when_one_has_stations(client, operator_a, location_a, station_a, empty_location):
    client.force_login(operator_a)
    for confirm in (False, True):
        response = bulk_delete(client, [location_a, empty_location], confirm)
        assert "Nothing was deleted" in messages_of(response)
        assert "“Depot A” has Station A1 (CP-A-1)" in messages_of(response)
    assert Location.objects.filter(pk__in=[location_a.pk, empty_location.pk]).count() == 2


def test_bulk_delete_of_locations_without_stations_asks_then_deletes(client, operator_a, empty_location):
    client.force_login(operator_a)
    other_empty = Location.objects.create(network=empty_location.network, name="Second lot", country="BE")
    confirm_page = bulk_delete(client, [empty_location, other_empty], confirm=False)
    assert "Are you sure" in confirm_page.content.decode()
    assert Location.objects.filter(pk__in=[empty_location.pk, other_empty.pk]).count() == 2
    bulk_delete(client, [empty_location, other_empty], confirm=True)
    assert not Location.objects.filter(pk__in=[empty_location.pk, other_empty.pk]).exists()


def test_bulk_delete_ignores_another_networks_locations(client, operator_a, network_b):
    client.force_login(operator_a)
    theirs = Location.objects.create(network=network_b, name="Their lot", country="DE")
    bulk_delete(client, [theirs], confirm=True)
    assert Location.objects.filter(pk=theirs.pk).exists()


def test_django_bulk_delete_that_skips_the_rule_is_not_offered(client, operator_a, location_a):
    client.force_login(operator_a)
    content = client.get(reverse("admin:locations_location_changelist")).content.decode()
    assert 'value="delete_selected_checked"' in content
    assert 'value="delete_selected"' not in content


def test_api_refuses_with_409_naming_the_stations(operator_a, location_a, station_a):
    client = token_client(operator_a)
    response = client.delete(f"/api/locations/{location_a.pk}/")
    assert response.status_code == 409
    assert "Station A1 (CP-A-1)" in response.json()["detail"]
    assert Location.objects.filter(pk=location_a.pk).exists()


def test_service_refuses_while_stations_are_attached(location_a, station_a):
    with pytest.raises(ValidationError, match="Station A1"):
        location_delete(location=location_a)
    station_a.location = None
    station_a.save()
    location_delete(location=location_a)
    assert not Location.objects.filter(pk=location_a.pk).exists()
