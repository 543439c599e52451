"""The site balancer's I/O side (smartcharging.services.location_rebalance) against the database;
commands are recorded, not delivered (no gateway here)."""
from __future__ import annotations

import pytest
from django.utils import timezone

import commands.lifecycle
from commands.models import Command, CommandStatus
from sessions.models import Session
from smartcharging.models import SessionAllocation, SiteLimit, StationChargingSettings
from smartcharging.services import balancer_command_finished, location_rebalance
from stations.services import station_create

pytestmark = pytest.mark.django_db
PER_AMP = 3 * 230


@pytest.fixture
def depot(monkeypatch, network_a, location_a):
    monkeypatch.setattr(commands.lifecycle, "command_queue", lambda *, command: None)
    SiteLimit.objects.create(location=location_a, max_power_kw=30)
    stations = []
    for index in range(3):
        station = station_create(network=network_a, identity=f"DEP-{index}", password="depot-password-1234", location=location_a)
        station.channel_name = "test.connected"
        station.save(update_fields=["channel_name"])
        stations.append(station)
    return location_a, stations


def start(station, transaction_id: str) -> Session:
    return Session.objects.create(
        network=station.network, location=station.location, station=station, ocpp_version="2.0.1",
        transaction_id=transaction_id, evse_id=1, started_at=timezone.now(),
    )


def sent_profiles(station) -> list[dict]:
    return [c.parameters["profile"] for c in Command.objects.filter(station=station, action="set_charging_profile").order_by("pk")]


def test_idle_stations_get_the_minimum_as_default_and_sessions_share_the_rest(depot):
    location, (a, b, c) = depot
    start(a, "TA")
    start(b, "TB")
    result = location_rebalance(location_id=location.pk)
    # One idle station (c): room for its minimum is kept; a and b share 30 kW − 6 A × 3 × 230 V.
    assert result.shares == {s.pk: pytest.approx((30_000 - 6 * PER_AMP) / 2) for s in Session.objects.all()}
    for station in (a, b, c):
        defaults = [p for p in sent_profiles(station) if p["purpose"] == "TxDefaultProfile"]
        assert len(defaults) == 1 and defaults[0]["periods"][0]["limit"] == 6 * PER_AMP
    tx = sent_profiles(a)[0]
    assert (tx["purpose"], tx["transaction_id"], tx["charging_rate_unit"]) == ("TxProfile", "TA", "W")
    # Nothing changed: nothing is sent again.
    assert location_rebalance(location_id=location.pk).sent == 0


def test_a_new_session_turns_the_others_down_first(depot):
    location, (a, b, c) = depot
    start(a, "TA")
    location_rebalance(location_id=location.pk)
    before = Command.objects.count()
    start(b, "TB")
    start(c, "TC")
    location_rebalance(location_id=location.pk)
    new = list(Command.objects.filter(pk__gt=Command.objects.order_by("pk")[before - 1].pk).order_by("pk"))
    assert new[0].station_id == a.pk  # the decrease goes out before the newcomers' shares
    assert sum(SessionAllocation.objects.values_list("limit_w", flat=True)) <= 30_000


def test_a_station_refusing_profiles_is_counted_at_its_maximum(depot):
    location, (a, b, c) = depot
    StationChargingSettings.objects.create(station=a, max_current_a=16)
    start(a, "TA")
    start(b, "TB")
    location_rebalance(location_id=location.pk)
    refused = Command.objects.filter(station=a, parameters__profile__purpose="TxProfile").get()
    refused.status, refused.answer = CommandStatus.REJECTED, {"status": "Rejected"}
    refused.save()
    balancer_command_finished(command=refused)
    assert StationChargingSettings.objects.get(station=a).accepts_profiles is False
    result = location_rebalance(location_id=location.pk)
    session_a, session_b = Session.objects.order_by("pk")
    assert result.shares[session_a.pk] == 16 * PER_AMP
    assert result.shares[session_b.pk] == pytest.approx(30_000 - 16 * PER_AMP - 6 * PER_AMP)


def test_ended_sessions_free_their_share(depot):
    location, (a, b, _) = depot
    start(a, "TA")
    ended = start(b, "TB")
    location_rebalance(location_id=location.pk)
    Session.objects.filter(pk=ended.pk).update(status="completed", ended_at=timezone.now())
    location_rebalance(location_id=location.pk)
    assert list(SessionAllocation.objects.values_list("session__transaction_id", flat=True)) == ["TA"]


def test_a_limit_in_amperes_is_shared_in_amperes_per_phase(depot):
    location, (a, b, c) = depot
    SiteLimit.objects.filter(location=location).update(max_power_kw=None, max_current_a=32)
    for station, tx in ((a, "TA"), (b, "TB"), (c, "TC")):
        start(station, tx)
    location_rebalance(location_id=location.pk)
    tx = [p for p in sent_profiles(a) if p["purpose"] == "TxProfile"][-1]
    # 32 A per phase shared by three sessions: 10.6 A each (rounded down to the 1.6 schema's 0.1).
    assert (tx["charging_rate_unit"], tx["periods"]) == ("A", [{"start_period": 0, "limit": 10.6, "number_phases": 3}])


def test_switching_the_limit_off_clears_what_the_balancer_installed(depot, django_capture_on_commit_callbacks):
    from smartcharging.services import profile_command_finished, site_limit_changed

    location, (a, b, c) = depot
    start(a, "TA")
    location_rebalance(location_id=location.pk)
    for command in Command.objects.filter(action="set_charging_profile"):
        command.status, command.answer = CommandStatus.ACCEPTED, {"status": "Accepted"}
        command.save()
        profile_command_finished(command=command)
    site = SiteLimit.objects.get(location=location)
    site.enabled = False
    site.save()
    with django_capture_on_commit_callbacks(execute=True):
        site_limit_changed(site=site)
    clears = sorted(
        (c.station.identity, c.parameters["profile_id"]) for c in Command.objects.filter(action="clear_charging_profile")
    )
    # Every station's default (id 900000) and the running session's TxProfile (900000 + EVSE 1).
    assert clears == [("DEP-0", 900000), ("DEP-0", 900001), ("DEP-1", 900000), ("DEP-2", 900000)]
    assert not SessionAllocation.objects.exists()


def test_deleting_limits_in_the_admin_releases_the_stations(depot, client, operator_a, django_capture_on_commit_callbacks):
    location, (a, b, c) = depot
    location_rebalance(location_id=location.pk)  # the three stations' default profiles (pending)
    client.force_login(operator_a)
    site = SiteLimit.objects.get(location=location)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/smartcharging/sitelimit/", {"action": "delete_selected", "_selected_action": [site.pk], "post": "yes"}
        )
    assert response.status_code == 302
    assert not SiteLimit.objects.exists()
    assert Command.objects.filter(action="clear_charging_profile", parameters__profile_id=900000).count() == 3
