"""The site balancer's pure computation: share a location's power among its running sessions.

No I/O here (``smartcharging.services.location_rebalance`` reads the picture and sends the result),
so it is unit-tested directly and benchmarked without a database.

Rules, in order:
1. Sessions on stations that refuse charging profiles cannot be limited: they are counted at their
   maximum and what is left is shared among the others.
2. Higher priority first: every admitted session gets at least its minimum (IEC 61851: an EV cannot
   charge below 6 A); a session whose minimum no longer fits gets 0 (paused) rather than less.
   Equal priorities are admitted oldest session first.
3. What remains is shared equally within a priority, capped at each session's maximum (water
   filling), then passed on to the next priority.
4. Meter values: an EV drawing well below what it was given (a full battery tapering, a car with a
   smaller on-board charger) is capped a little above what it draws, which frees power for the others.
   Once it draws (nearly) all of its cap it is uncapped again on the next recompute.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

#: Below this share of its allocation, a session's measured power caps its demand (rule 4).
UNDERUSE_RATIO = 0.8
#: The headroom a capped session keeps above what it draws.
UNDERUSE_HEADROOM = 1.1


@dataclass(frozen=True)
class Demand:
    key: int  # the session's id
    max_w: float
    min_w: float = 0.0
    priority: int = 0
    controllable: bool = True
    measured_w: float | None = None
    previous_w: float | None = None  # what the balancer gave it last time

    def cap_w(self) -> float:
        if (
            self.measured_w is not None
            and self.previous_w is not None
            and self.previous_w > 0
            and self.measured_w < UNDERUSE_RATIO * self.previous_w
        ):
            return max(self.min_w, min(self.max_w, self.measured_w * UNDERUSE_HEADROOM))
        return self.max_w


def share_site_power(*, limit_w: float, demands: Sequence[Demand], reserve_w: float = 0.0) -> dict[int, float]:
    """Each session's share in W (uncontrollable ones at their maximum); the shares of the
    controllable ones never add up to more than the limit minus the uncontrollable ones.

    ``reserve_w`` is kept free above the minimums for a session about to start (it starts at its
    station's default profile, the minimum, before its own share reaches it): a new arrival then
    does not push the site over its limit while the others are being turned down."""
    shares: dict[int, float] = {}
    remaining = limit_w
    for demand in demands:
        if not demand.controllable:
            shares[demand.key] = demand.max_w
            remaining -= demand.max_w
    remaining = max(0.0, remaining)
    controllable = sorted((d for d in demands if d.controllable), key=lambda d: (-d.priority, d.key))
    admitted: list[Demand] = []
    for demand in controllable:
        minimum = min(demand.min_w, demand.cap_w())
        if minimum <= remaining + 1e-9:
            admitted.append(demand)
            shares[demand.key] = minimum
            remaining -= minimum
        else:
            shares[demand.key] = 0.0
    remaining = max(0.0, remaining - reserve_w)
    for _, tier_iter in groupby(admitted, key=lambda d: d.priority):
        if remaining <= 1e-9:
            break
        tier = sorted(tier_iter, key=lambda d: d.cap_w() - shares[d.key])
        for index, demand in enumerate(tier):
            headroom = max(0.0, demand.cap_w() - shares[demand.key])
            give = min(headroom, remaining / (len(tier) - index))
            shares[demand.key] += give
            remaining -= give
    return shares
