"""The price of a session from its tariff and meter samples (tariffs.services.session_cost)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tariffs.models import Tariff
from tariffs.services import Sample, session_cost

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def tariff(**prices) -> Tariff:
    defaults = {"currency": "EUR", "start_fee": "1.00", "price_per_kwh": "0.30", "price_per_charging_hour": "0.50",
                "price_per_idle_hour": "2.00", "vat_percent": "20"}
    return Tariff(name="t", **{k: Decimal(v) if k != "currency" else v for k, v in {**defaults, **prices}.items()})


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_energy_charging_time_idle_time_start_fee_and_vat():
    samples = [Sample(at(0), 1000, 0), Sample(at(60), 11000, 10000), Sample(at(90), 11000, 0), Sample(at(120), 11000, 0)]
    cost = session_cost(tariff(), started_at=at(0), ended_at=at(120), energy_wh=10000, samples=samples)
    assert (cost.start_fee, cost.energy, cost.charging_time, cost.idle_time) == (
        Decimal("1.00"), Decimal("3.00"), Decimal("0.50"), Decimal("2.00"))
    assert (cost.net, cost.vat, cost.total) == (Decimal("6.50"), Decimal("1.30"), Decimal("7.80"))
    assert (cost.charging_seconds, cost.idle_seconds) == (3600, 3600)


def test_without_samples_the_whole_session_is_charging_time():
    cost = session_cost(tariff(vat_percent="0"), started_at=at(0), ended_at=at(30), energy_wh=2000, samples=[])
    assert (cost.charging_seconds, cost.idle_seconds) == (1800, 0)
    assert cost.total == Decimal("1.00") + Decimal("0.60") + Decimal("0.25")


def test_standby_power_is_not_charging():
    samples = [Sample(at(0), 0, 3000), Sample(at(10), 500, 3000), Sample(at(20), 500, 20), Sample(at(40), 500, 30)]
    cost = session_cost(tariff(), started_at=at(0), ended_at=at(40), energy_wh=500, samples=samples)
    assert (cost.charging_seconds, cost.idle_seconds) == (600, 1800)


def test_a_session_that_never_charged_is_all_idle():
    samples = [Sample(at(0), 100, 0), Sample(at(15), 100, 0)]
    cost = session_cost(tariff(), started_at=at(0), ended_at=at(15), energy_wh=0, samples=samples)
    assert (cost.charging_seconds, cost.idle_seconds, cost.energy) == (0, 900, Decimal("0.00"))


@pytest.mark.parametrize("energy_wh", [float("nan"), float("inf"), -5.0])
def test_energy_that_is_not_a_physical_amount_costs_nothing(energy_wh):
    cost = session_cost(tariff(), started_at=at(0), ended_at=at(0), energy_wh=energy_wh, samples=[])
    assert cost.energy == Decimal("0.00") and cost.total == Decimal("1.20")


def test_an_end_before_the_start_is_a_zero_length_session():
    cost = session_cost(tariff(), started_at=at(10), ended_at=at(0), energy_wh=0, samples=[])
    assert (cost.charging_seconds, cost.idle_seconds) == (0, 0)


def test_rounding_is_half_up_to_cents_once():
    cost = session_cost(tariff(start_fee="0", price_per_kwh="0.3333", price_per_charging_hour="0", vat_percent="0"),
                        started_at=at(0), ended_at=at(1), energy_wh=1500, samples=[])
    assert cost.total == Decimal("0.50")  # 0.49995 → 0.50
