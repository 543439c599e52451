"""BootNotification answers: Accepted, Pending while the operator's switch is on, Rejected; the read after boot."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from stations.models import Station, StationState
from stations.services import station_boot, station_registration_set

pytestmark = pytest.mark.django_db


def boot(station: Station):
    return station_boot(station=station, ocpp_version="2.0.1", vendor="V", model="M")


@override_settings(OCPP_HEARTBEAT_INTERVAL=300)
def test_a_new_station_is_accepted_with_the_heartbeat_interval_and_onboarded(station_a):
    answer = boot(station_a)
    assert (answer.status, answer.interval, answer.read_configuration) == ("Accepted", 300, True)
    assert Station.objects.get(pk=station_a.pk).state == StationState.ONBOARDED


def test_the_switch_answers_pending_with_its_interval_and_leaves_the_state(station_a):
    # The switch is read from the database: the gateway's station object was loaded at connect.
    Station.objects.filter(pk=station_a.pk).update(boot_pending=True, boot_pending_interval=42)
    answer = boot(station_a)
    assert (answer.status, answer.interval) == ("Pending", 42)
    assert Station.objects.get(pk=station_a.pk).state == StationState.PENDING

    Station.objects.filter(pk=station_a.pk).update(boot_pending=False)
    assert boot(station_a).status == "Accepted"
    assert Station.objects.get(pk=station_a.pk).state == StationState.ONBOARDED


@override_settings(OCPP_HEARTBEAT_INTERVAL=300)
def test_a_rejected_station_stays_rejected_whatever_the_switch(station_a):
    Station.objects.filter(pk=station_a.pk).update(state=StationState.REJECTED, boot_pending=True)
    station_a.refresh_from_db()
    answer = boot(station_a)
    assert (answer.status, answer.interval) == ("Rejected", 300)


def test_the_read_after_boot_follows_the_network(station_a, network_a):
    network_a.read_configuration_after_boot = False
    network_a.save()
    assert boot(station_a).read_configuration is False


def test_the_switch_service_refuses_an_interval_out_of_range(station_a):
    with pytest.raises(ValidationError) as refused:
        station_registration_set(station=station_a, boot_pending=True, interval=86401)
    assert "boot_pending_interval" in refused.value.message_dict
    assert Station.objects.get(pk=station_a.pk).boot_pending is False
    station_registration_set(station=station_a, boot_pending=True, interval=0)
    assert Station.objects.values_list("boot_pending", "boot_pending_interval").get(pk=station_a.pk) == (True, 0)


def test_the_admin_edits_the_switch_and_filters_by_it(client, operator_a, station_a):
    from django.urls import reverse

    client.force_login(operator_a)
    change = reverse("admin:stations_station_change", args=[station_a.pk])
    page = client.get(change)
    form = page.context["adminform"].form
    assert {"boot_pending", "boot_pending_interval"} <= set(form.fields)
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    # Every inline's management form, as the browser posts it.
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items() if v is not None})
    data.update({"boot_pending": "on", "boot_pending_interval": "25", "password": ""})
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Station.objects.values_list("boot_pending", "boot_pending_interval").get(pk=station_a.pk) == (True, 25)
    listing = client.get(reverse("admin:stations_station_changelist") + "?boot_pending__exact=1")
    assert [s.identity for s in listing.context["cl"].result_list] == ["CP-A-1"]
