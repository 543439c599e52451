"""Unknown identities that try to connect are recorded (address, count, last attempt), bounded in all,
and listed in the console with "Add this charger" for those who may add one (issue 16)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from ocpp_gateway.models import RefusedIdentity
from ocpp_gateway.refusals import refused_identities_visible, refused_identity_record
from ocpp_gateway.tests.conftest import basic, communicator

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
async def test_a_refused_unknown_identity_is_recorded_with_its_address_and_count(station_a, settings):
    # Other tests' refusals come from the same test address within the same minute.
    settings.REFUSED_IDENTITIES_PER_ADDRESS_MINUTE = 10_000
    for _ in range(2):
        connected, _ = await communicator("CP-NEW-7", headers=[basic("CP-NEW-7", "whatever-password-1")]).connect()
        assert not connected
    row = await RefusedIdentity.objects.aget(identity="CP-NEW-7")
    assert row.attempts == 2 and row.address and row.last_attempt_at >= row.first_attempt_at
    # A known station's wrong password is the station's own connection error, not an unknown station.
    connected, _ = await communicator("CP-A-1", headers=[basic("CP-A-1", "wrong-password-123")]).connect()
    assert not connected
    assert not await RefusedIdentity.objects.filter(identity="CP-A-1").aexists()


@pytest.mark.django_db
def test_the_table_is_bounded_the_least_recently_seen_go_first():
    with override_settings(REFUSED_IDENTITIES_MAX=5):
        for i in range(50):
            # One address a minute apart: the per-address flood limit is not what this test is about.
            refused_identity_record(identity=f"X{i}", address="198.51.100.7", at=T0 + timedelta(minutes=i))
        refused_identity_record(identity="X46", address="198.51.100.8", at=T0 + timedelta(minutes=60))
    assert RefusedIdentity.objects.count() == 5
    assert sorted(RefusedIdentity.objects.values_list("identity", flat=True)) == ["X45", "X46", "X47", "X48", "X49"]
    x46 = RefusedIdentity.objects.get(identity="X46")
    assert x46.attempts == 2 and x46.address == "198.51.100.8"


@pytest.mark.django_db
def test_who_sees_the_list(operator_a, viewer_a, operator_b, account_admin, station_a):
    refused_identity_record(identity="CP-NEW-1", address="198.51.100.7", at=T0)
    refused_identity_record(identity="CP-A-1", address="198.51.100.7", at=T0)  # added since: left out
    for user in (operator_a, operator_b, account_admin):
        assert [r.identity for r in refused_identities_visible(user=user)] == ["CP-NEW-1"]
    assert list(refused_identities_visible(user=viewer_a)) == []


@pytest.mark.django_db
def test_console_page_and_add_this_charger(client, operator_a, viewer_a):
    refused_identity_record(identity="CP-NEW-1", address="198.51.100.7", at=T0)
    client.force_login(operator_a)
    page = client.get("/console/stations/unknown/").content.decode()
    assert "CP-NEW-1" in page and "198.51.100.7" in page
    assert 'href="/console/stations/add/?identity=CP-NEW-1"' in page
    form = client.get("/console/stations/add/?identity=CP-NEW-1").content.decode()
    assert 'value="CP-NEW-1"' in form
    assert "Unknown stations (1)" in client.get("/console/stations/").content.decode()
    client.force_login(viewer_a)
    assert client.get("/console/stations/unknown/").status_code == 403


@pytest.mark.django_db
def test_the_admin_lists_them_for_account_admins_only(client, account_admin, operator_a):
    refused_identity_record(identity="CP-NEW-9", address="198.51.100.7", at=T0)
    client.force_login(account_admin)
    page = client.get("/admin/ocpp_gateway/refusedidentity/")
    assert page.status_code == 200 and "CP-NEW-9" in page.content.decode()
    client.force_login(operator_a)
    assert client.get("/admin/ocpp_gateway/refusedidentity/").status_code == 403


@pytest.mark.django_db
def test_one_address_adds_a_bounded_number_of_new_identities_a_minute(settings):
    from django.core.cache import cache

    settings.REFUSED_IDENTITIES_PER_ADDRESS_MINUTE = 30
    cache.clear()
    for i in range(30 + 20):
        refused_identity_record(identity=f"FLOOD{i}", address="203.0.113.5", at=T0 + timedelta(seconds=i % 50))
    assert RefusedIdentity.objects.count() == 30
    # Another address, and known identities from the flooding one, are still counted.
    refused_identity_record(identity="REAL-1", address="198.51.100.7", at=T0)
    refused_identity_record(identity="FLOOD0", address="203.0.113.5", at=T0 + timedelta(seconds=55))
    assert RefusedIdentity.objects.filter(identity="REAL-1").exists()
    assert RefusedIdentity.objects.get(identity="FLOOD0").attempts == 2
