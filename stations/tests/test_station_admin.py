"""Station pages in the admin: separate Pending and Onboarded lists, the add form, identity errors."""
from __future__ import annotations

import pytest
from django.urls import reverse

from stations.models import Station, StationState
from stations.services import station_create


@pytest.fixture
def fleet(network_a) -> None:
    for identity, state in [("CP-P", StationState.PENDING), ("CP-O", StationState.ONBOARDED),
                            ("CP-R", StationState.REJECTED)]:
        station_create(network=network_a, identity=identity, password="0123456789abcdef", state=state)


def rows(client, changelist: str) -> list[str]:
    response = client.get(reverse(changelist))
    assert response.status_code == 200
    return [station.identity for station in response.context["cl"].result_list]


def test_pending_and_onboarded_stations_have_their_own_lists(client, operator_a, fleet):
    client.force_login(operator_a)
    assert rows(client, "admin:stations_pendingstation_changelist") == ["CP-P"]
    assert rows(client, "admin:stations_onboardedstation_changelist") == ["CP-O"]
    assert sorted(rows(client, "admin:stations_station_changelist")) == ["CP-O", "CP-P", "CP-R"]
    index = client.get(reverse("admin:index")).content.decode()
    assert "Pending stations" in index and "Onboarded stations" in index


def test_add_form_asks_for_name_identity_password_and_location(client, operator_a):
    client.force_login(operator_a)
    form = client.get(reverse("admin:stations_station_add")).context["adminform"].form
    assert {"name", "identity", "password", "location", "network"} <= set(form.fields)
    assert form.fields["password"].required
    assert 'type="password"' in str(form["password"])


@pytest.mark.parametrize("identity, message", [
    ("CP:1", "no &#x27;:&#x27;"),
    ("A" * 49, "at most 48 characters"),
    ("CP 1", "no spaces"),
    ("..", "only dots"),
])
def test_add_form_explains_a_bad_identity(client, operator_a, network_a, identity, message):
    client.force_login(operator_a)
    data = {"network": network_a.pk, "location": "", "name": "X", "identity": identity,
            "password": "0123456789abcdef", "evses-TOTAL_FORMS": "0", "evses-INITIAL_FORMS": "0"}
    response = client.post(reverse("admin:stations_station_add"), data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors["identity"])
    assert not Station.objects.filter(name="X").exists()


def test_a_station_may_have_no_location(client, operator_a, network_a):
    client.force_login(operator_a)
    data = {"network": network_a.pk, "location": "", "name": "Roaming", "identity": "CP-9",
            "password": "0123456789abcdef", "evses-TOTAL_FORMS": "0", "evses-INITIAL_FORMS": "0"}
    assert client.post(reverse("admin:stations_station_add"), data).status_code == 200
    station = Station.objects.get(identity="CP-9")
    assert (station.location, station.state) == (None, StationState.PENDING)


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a", "account_admin"])
def test_members_see_the_evses_and_connectors_on_the_station_page(client, station_a, persona, request):
    evse = station_a.evses.create(evse_id=1, status="Faulted", error_code="GroundFailure")
    evse.connectors.create(connector_id=1, status="Available")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:stations_station_change", args=[station_a.pk]))
    inlines = [formset.opts.model.__name__ for formset in response.context["inline_admin_formsets"]]
    assert "EVSE" in inlines
    assert "GroundFailure" in response.content.decode()
