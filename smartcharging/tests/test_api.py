"""The smart-charging API: network scoping, field errors, and what a site limit shows."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from smartcharging.models import ChargingProfile, SiteLimit, StationChargingSettings

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_operator_sets_a_site_limit_and_another_network_sees_404(operator_a, operator_b, location_a):
    created = client_for(operator_a).post("/api/site_limits/", {"location": location_a.pk, "max_power_kw": 40}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["limit_w"], body["live_power_w"], body["active_sessions"]) == (40_000.0, 0.0, 0)
    assert client_for(operator_b).get(f"/api/site_limits/{body['id']}/").status_code == 404
    assert client_for(operator_b).patch(f"/api/site_limits/{body['id']}/", {"max_power_kw": 1}, format="json").status_code == 404


def test_a_site_limit_in_amperes_counts_its_phases(operator_a, location_a):
    created = client_for(operator_a).post(
        "/api/site_limits/", {"location": location_a.pk, "max_current_a": 63, "phases": 3}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["limit_w"] == pytest.approx(63 * 3 * 230)


def test_a_site_limit_needs_exactly_one_kind_of_limit(operator_a, location_a):
    neither = client_for(operator_a).post("/api/site_limits/", {"location": location_a.pk}, format="json")
    both = client_for(operator_a).post(
        "/api/site_limits/", {"location": location_a.pk, "max_power_kw": 10, "max_current_a": 16}, format="json"
    )
    assert neither.status_code == both.status_code == 400
    assert "max_power_kw" in neither.json() and "max_power_kw" in both.json()


def test_another_networks_location_cannot_be_limited(operator_a, location_b):
    response = client_for(operator_a).post("/api/site_limits/", {"location": location_b.pk, "max_power_kw": 10}, format="json")
    assert response.status_code == 400 and "location" in response.json()
    assert not SiteLimit.objects.exists()


def test_a_viewer_reads_but_cannot_set_a_limit(viewer_a, location_a):
    response = client_for(viewer_a).post("/api/site_limits/", {"location": location_a.pk, "max_power_kw": 10}, format="json")
    assert response.status_code in (400, 403)
    assert not SiteLimit.objects.exists()


def test_templates_are_written_per_network_and_records_are_read_only(operator_a, operator_b, network_a, station_a):
    client = client_for(operator_a)
    template = client.post(
        "/api/charging_profiles/",
        {"network": network_a.name, "name": "Night 16 A", "purpose": "TxDefaultProfile", "kind": "Recurring",
         "recurrency_kind": "Daily", "start_schedule": "2026-01-01T22:00:00Z", "charging_rate_unit": "A",
         "periods": [{"start_period": 0, "limit": 16}, {"start_period": 28800, "limit": 32}]},
        format="json",
    )
    assert template.status_code == 201, template.content
    assert (template.json()["source"], template.json()["status"]) == ("template", "draft")
    assert client_for(operator_b).get(f"/api/charging_profiles/{template.json()['id']}/").status_code == 404
    record = ChargingProfile.objects.create(network=network_a, station=station_a, source="operator", status="installed", periods=[])
    # Profiles sent to stations are history: the writable set is templates only.
    assert client.patch(f"/api/charging_profiles/{record.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.get(f"/api/charging_profiles/{record.pk}/").status_code == 200


def test_a_template_refuses_a_tx_profile_and_a_schedule_not_starting_at_0(operator_a, network_a):
    response = client_for(operator_a).post(
        "/api/charging_profiles/",
        {"network": network_a.name, "name": "Bad", "purpose": "TxProfile", "periods": [{"start_period": 60, "limit": 16}]},
        format="json",
    )
    assert response.status_code == 400
    assert "periods" in response.json() or "purpose" in response.json()


def test_station_charging_settings_are_scoped(operator_a, operator_b, station_a):
    created = client_for(operator_a).post(
        "/api/station_charging_settings/", {"station": station_a.identity, "priority": 2, "min_current_a": 8}, format="json"
    )
    assert created.status_code == 201, created.content
    assert client_for(operator_b).get(f"/api/station_charging_settings/{created.json()['id']}/").status_code == 404
    refused = client_for(operator_b).post("/api/station_charging_settings/", {"station": station_a.identity}, format="json")
    assert refused.status_code == 400
    bad = client_for(operator_a).patch(
        f"/api/station_charging_settings/{created.json()['id']}/", {"min_current_a": 40, "max_current_a": 16}, format="json"
    )
    assert bad.status_code == 400 and "min_current_a" in bad.json()
    assert StationChargingSettings.objects.get().priority == 2


def test_admin_pages_list_and_add(client, operator_a, network_a, location_a, station_a):
    SiteLimit.objects.create(location=location_a, max_power_kw=22)
    ChargingProfile.objects.create(network=network_a, name="Night", periods=[{"start_period": 0, "limit": 16}])
    ChargingProfile.objects.create(network=network_a, station=station_a, source="operator", status="installed", periods=[])
    client.force_login(operator_a)
    for path in (
        "/admin/smartcharging/chargingprofile/", "/admin/smartcharging/chargingprofile/add/",
        "/admin/smartcharging/sitelimit/", "/admin/smartcharging/stationchargingsettings/",
        "/admin/smartcharging/compositeschedule/", "/admin/smartcharging/charginglimitreport/",
    ):
        assert client.get(path).status_code == 200, path
    record = ChargingProfile.objects.get(station=station_a)
    assert client.get(f"/admin/smartcharging/chargingprofile/{record.pk}/change/").status_code == 200
    page = client.get("/admin/smartcharging/sitelimit/").content.decode()
    assert "22.0" in page and "0.0" in page  # the limit and the live power (no session)
