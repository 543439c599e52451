"""Tariffs through the API and the admin: scoped per network, the scope rule as field errors, and the
most specific active tariff pricing a session."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sessions.models import IdToken, IdTokenGroup, MeterSample, Session, SessionStatus
from tariffs.models import Tariff
from tariffs.services import session_cost_store, session_tariff

PRICES = {"currency": "EUR", "start_fee": "1.00", "price_per_kwh": "0.30", "price_per_charging_hour": "0",
          "price_per_idle_hour": "0", "vat_percent": "20"}


@pytest.fixture
def tariff_a(network_a) -> Tariff:
    return Tariff.objects.create(network=network_a, name="A default", **PRICES)


@pytest.fixture
def tariff_b(network_b) -> Tariff:
    return Tariff.objects.create(network=network_b, name="B default", **PRICES)


def test_members_see_and_change_only_their_networks_tariffs(client, operator_a, tariff_a, tariff_b):
    client.force_login(operator_a)
    listed = client.get("/api/tariffs/").json()["results"]
    assert [t["name"] for t in listed] == ["A default"]
    assert client.get(f"/api/tariffs/{tariff_b.pk}/").status_code == 404
    assert client.patch(f"/api/tariffs/{tariff_b.pk}/", {"price_per_kwh": "9"}, content_type="application/json").status_code == 404
    changed = client.patch(f"/api/tariffs/{tariff_a.pk}/", {"price_per_kwh": "0.45"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["price_per_kwh"] == "0.4500"


def test_a_viewer_reads_but_cannot_create(client, viewer_a, tariff_a):
    client.force_login(viewer_a)
    assert client.get(f"/api/tariffs/{tariff_a.pk}/").status_code == 200
    assert client.post("/api/tariffs/", {"network": "Network A", "name": "x", **PRICES}, content_type="application/json").status_code == 403


def test_the_scope_rule_answers_field_errors(client, operator_a, account_admin, tariff_a, location_b, network_b):
    client.force_login(operator_a)
    # A second active default for the same network.
    clash = client.post("/api/tariffs/", {"network": "Network A", "name": "again", **PRICES}, content_type="application/json")
    assert clash.status_code == 400 and "already has this scope" in clash.json()["active"][0]
    # Another network's location is not even a choice for a member of A.
    foreign = client.post(
        "/api/tariffs/", {"network": "Network A", "name": "x", "location": location_b.pk, **PRICES}, content_type="application/json"
    )
    assert foreign.status_code == 400 and "location" in foreign.json()
    # The account admin may pick it, and still gets the rule's answer.
    client.force_login(account_admin)
    mismatch = client.post(
        "/api/tariffs/", {"network": "Network A", "name": "x", "location": location_b.pk, **PRICES}, content_type="application/json"
    )
    assert mismatch.status_code == 400 and mismatch.json()["location"] == ["This location belongs to another network."]
    bad = client.post("/api/tariffs/", {"network": "Network A", "name": "x", **PRICES, "currency": "euro", "vat_percent": "120",
                                        "price_per_kwh": "-1", "active": False}, content_type="application/json")
    assert bad.status_code == 400 and {"currency", "vat_percent", "price_per_kwh"} <= set(bad.json())


def _session(station, **fields) -> Session:
    started = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    return Session.objects.create(
        network=station.network, location=station.location, station=station, ocpp_version="2.0.1",
        transaction_id=fields.pop("transaction_id", "tx-1"), evse_id=1, started_at=started, **fields,
    )


def test_the_most_specific_active_tariff_prices_a_session(network_a, location_a, station_a, tariff_a):
    group = IdTokenGroup.objects.create(network=network_a, token="FLEET")
    IdToken.objects.create(network=network_a, token="CARD-1", group=group)
    by_location = Tariff.objects.create(network=network_a, location=location_a, name="depot", **PRICES)
    by_group = Tariff.objects.create(network=network_a, id_token_group=group, name="fleet", **PRICES)
    both = Tariff.objects.create(network=network_a, location=location_a, id_token_group=group, name="fleet at depot", **PRICES)

    assert session_tariff(_session(station_a, transaction_id="t1", id_token="card-1")) == both
    both.active = False
    both.save()
    assert session_tariff(_session(station_a, transaction_id="t2", id_token="CARD-1")) == by_group
    assert session_tariff(_session(station_a, transaction_id="t3", id_token="OTHER")) == by_location
    by_location.active = False
    by_location.save()
    assert session_tariff(_session(station_a, transaction_id="t4", id_token="OTHER")) == tariff_a


def test_the_stored_cost_shows_in_the_api_and_csv(client, operator_a, station_a, tariff_a):
    session = _session(
        station_a, status=SessionStatus.COMPLETED, ended_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC), energy_wh=10000
    )
    MeterSample.objects.create(session=session, station=station_a, evse_id=1, timestamp=session.started_at, energy_wh=0)
    cost = session_cost_store(session_id=session.pk)
    assert cost.total == Decimal("4.80")  # (1.00 + 10 kWh × 0.30) + 20 % VAT
    client.force_login(operator_a)
    row = client.get(f"/api/sessions/{session.pk}/").json()
    assert (row["total_cost"], row["cost_currency"]) == ("4.80", "EUR")
    assert row["cost_details"]["tariff"] == "A default" and row["cost_details"]["vat"] == "0.80"
    csv_text = client.get("/api/sessions/", {"format": "csv"}, HTTP_ACCEPT="text/csv").getvalue().decode()
    header, line = csv_text.splitlines()[:2]
    assert header.endswith(",total_cost,currency") and line.endswith(",4.80,EUR")


def test_no_tariff_leaves_no_cost(station_a):
    session = _session(station_a)
    assert session_cost_store(session_id=session.pk) is None
    session.refresh_from_db()
    assert session.total_cost is None and session.cost_currency == ""


def test_admin_lists_only_the_members_network(client, operator_a, tariff_a, tariff_b):
    client.force_login(operator_a)
    page = client.get("/admin/tariffs/tariff/")
    assert page.status_code == 200
    assert b"A default" in page.content and b"B default" not in page.content
    assert client.get(f"/admin/tariffs/tariff/{tariff_b.pk}/change/").status_code in (302, 404)
