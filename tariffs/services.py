"""The cost of a charging session under its tariff (2.0.1 I02/I03), computed from its meter samples.

``session_cost`` is pure arithmetic on bounded inputs (stations.bounds already bounded every number
a station sent); ``session_cost_store`` picks the tariff, computes and stores the cost on the session.
Money is Decimal throughout and rounded once, at the end, to the currency's cents.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from django.db import transaction
from django.utils import timezone

from sessions.models import IdToken, Session
from tariffs.models import Tariff

CENT = Decimal("0.01")
HOUR = Decimal(3600)
# A reading counts as charging when the register rose since the previous one or the power is above
# this: stations report a few watts of standby draw while the car sits idle.
CHARGING_POWER_W = 50.0


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    energy_wh: float | None
    power_w: float | None


@dataclass(frozen=True)
class Cost:
    currency: str
    start_fee: Decimal
    energy: Decimal
    charging_time: Decimal
    idle_time: Decimal
    net: Decimal
    vat: Decimal
    total: Decimal
    energy_kwh: Decimal
    charging_seconds: int
    idle_seconds: int

    def as_details(self) -> dict[str, str | int]:
        return {
            "currency": self.currency,
            "start_fee": str(self.start_fee),
            "energy": str(self.energy),
            "charging_time": str(self.charging_time),
            "idle_time": str(self.idle_time),
            "net": str(self.net),
            "vat": str(self.vat),
            "total": str(self.total),
            "energy_kwh": str(self.energy_kwh),
            "charging_seconds": self.charging_seconds,
            "idle_seconds": self.idle_seconds,
        }


def _charging_until(started_at: datetime, samples: Iterable[Sample]) -> datetime | None:
    """The last instant energy was flowing, or None when no reading ever showed it."""
    last_charging = None
    previous_energy = None
    for sample in samples:
        rose = sample.energy_wh is not None and previous_energy is not None and sample.energy_wh > previous_energy
        drawing = sample.power_w is not None and sample.power_w > CHARGING_POWER_W
        if (rose or drawing) and sample.timestamp >= started_at:
            last_charging = sample.timestamp
        if sample.energy_wh is not None:
            previous_energy = sample.energy_wh
    return last_charging


def session_cost(
    tariff: Tariff, *, started_at: datetime, ended_at: datetime, energy_wh: float, samples: list[Sample]
) -> Cost:
    """The session's price: start fee + energy + charging time + idle time after charging, plus VAT.

    Without samples the whole session counts as charging (a 1.6 station that sends only its start and
    stop registers); with samples, charging lasts until the last reading that shows energy flowing.
    """
    ended_at = max(ended_at, started_at)
    energy_kwh = Decimal(repr(energy_wh if math.isfinite(energy_wh) and energy_wh > 0 else 0.0)) / 1000
    if samples:
        charging_until = _charging_until(started_at, samples) or started_at
    else:
        charging_until = ended_at
    charging_until = min(max(charging_until, started_at), ended_at)
    charging = (charging_until - started_at) // timedelta(seconds=1)
    idle = (ended_at - charging_until) // timedelta(seconds=1)

    energy = energy_kwh * tariff.price_per_kwh
    charging_time = Decimal(charging) / HOUR * tariff.price_per_charging_hour
    idle_time = Decimal(idle) / HOUR * tariff.price_per_idle_hour
    net = tariff.start_fee + energy + charging_time + idle_time
    vat = net * tariff.vat_percent / 100
    cents = lambda amount: amount.quantize(CENT, rounding=ROUND_HALF_UP)  # noqa: E731
    net_c, vat_c = cents(net), cents(vat)
    return Cost(
        currency=tariff.currency,
        start_fee=cents(tariff.start_fee),
        energy=cents(energy),
        charging_time=cents(charging_time),
        idle_time=cents(idle_time),
        net=net_c,
        vat=vat_c,
        total=net_c + vat_c,
        energy_kwh=energy_kwh.quantize(Decimal("0.001")),
        charging_seconds=charging,
        idle_seconds=idle,
    )


def session_tariff(session: Session) -> Tariff | None:
    """The tariff that applies to a session: by its network, its location and its token's group."""
    group_id = None
    if session.id_token:
        group_id = (
            IdToken.objects.filter(network_id=session.network_id, token__iexact=session.id_token)
            .values_list("group_id", flat=True)
            .first()
        )
    return Tariff.objects.for_scope(network_id=session.network_id, location_id=session.location_id, group_id=group_id)


def session_cost_store(*, session_id: int, now: datetime | None = None) -> Cost | None:
    """Compute the session's cost under its tariff (running while active) and store it on the session.

    None when no tariff applies: the session keeps no cost (2.0.1: totalCost omitted, not 0.00,
    since 0.00 would tell the driver the charge was free).
    """
    with transaction.atomic():
        session = Session.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return None
        tariff = session_tariff(session)
        if tariff is None:
            return None
        samples = [
            Sample(timestamp=t, energy_wh=e, power_w=p)
            for t, e, p in session.samples.order_by("timestamp").values_list("timestamp", "energy_wh", "power_w")
        ]
        cost = session_cost(
            tariff,
            started_at=session.started_at,
            ended_at=session.ended_at or now or timezone.now(),
            energy_wh=session.energy_wh or 0.0,
            samples=samples,
        )
        Session.objects.filter(pk=session.pk).update(
            total_cost=cost.total, cost_currency=cost.currency, cost_details={"tariff": tariff.name, **cost.as_details()}
        )
        return cost


def transaction_cost_store(*, station_id: int, transaction_id: str | int) -> Cost | None:
    """``session_cost_store`` for the session a station knows by its transactionId."""
    session_id = (
        Session.objects.filter(station_id=station_id, transaction_id=str(transaction_id)).values_list("pk", flat=True).first()
    )
    return None if session_id is None else session_cost_store(session_id=session_id)
