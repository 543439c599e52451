"""The console shows a session's cost and its breakdown, and a running session's cost so far."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from sessions.models import Session, SessionStatus
from tariffs.models import Tariff
from tariffs.services import session_cost_store


def _session(station, **fields) -> Session:
    return Session.objects.create(
        network=station.network, location=station.location, station=station, ocpp_version="1.6",
        transaction_id=fields.pop("transaction_id", "1"), evse_id=1, started_at=timezone.now() - timedelta(hours=1), **fields
    )


def test_the_session_page_and_list_show_the_cost(client, operator_a, station_a, network_a):
    Tariff.objects.create(network=network_a, name="Standard", currency="EUR", start_fee=Decimal("0.50"),
                          price_per_kwh=Decimal("0.40"), vat_percent=Decimal("10"))
    ended = _session(station_a, energy_wh=5000, status=SessionStatus.COMPLETED, ended_at=timezone.now())
    running = _session(station_a, transaction_id="2", energy_wh=1000)
    session_cost_store(session_id=ended.pk)
    session_cost_store(session_id=running.pk)
    client.force_login(operator_a)

    page = client.get(reverse("console:session-detail", args=[ended.pk])).content.decode()
    # (0.50 + 5 kWh × 0.40) + 10 % VAT = 2.75
    assert "2.75 EUR" in page and "Standard: start 0.50, energy 2.00" in page and "VAT 0.25" in page
    assert "so far" not in page
    assert "0.99 EUR so far" in client.get(reverse("console:session-detail", args=[running.pk])).content.decode()

    listing = client.get(reverse("console:session-list")).content.decode()
    assert "<th>Cost</th>" in listing and "2.75 EUR" in listing and "0.99 EUR" in listing


def test_without_a_tariff_the_cost_is_a_dash(client, operator_a, station_a):
    session = _session(station_a, energy_wh=5000)
    client.force_login(operator_a)
    page = client.get(reverse("console:session-detail", args=[session.pk])).content.decode()
    assert '<dd id="session-cost">–</dd>' in page
