"""The site balancer's computation (smartcharging.balancer), without I/O."""
from __future__ import annotations

import random

import pytest

from smartcharging.balancer import Demand, share_site_power

AMP_3P = 3 * 230  # W per ampere on three phases


def demand(key: int, *, max_a: float = 32, min_a: float = 6, **kwargs) -> Demand:
    return Demand(key=key, max_w=max_a * AMP_3P, min_w=min_a * AMP_3P, **kwargs)


def test_equal_share_when_the_limit_is_short():
    shares = share_site_power(limit_w=30_000, demands=[demand(k) for k in range(1, 4)])
    assert shares == pytest.approx({1: 10_000, 2: 10_000, 3: 10_000})


def test_nobody_gets_more_than_its_maximum_and_the_rest_is_passed_on():
    shares = share_site_power(limit_w=40_000, demands=[demand(1, max_a=8), demand(2), demand(3)])
    assert shares[1] == pytest.approx(8 * AMP_3P)
    assert shares[2] == shares[3] == pytest.approx((40_000 - 8 * AMP_3P) / 2)


def test_a_limit_above_every_maximum_gives_each_its_maximum():
    shares = share_site_power(limit_w=1_000_000, demands=[demand(1), demand(2)])
    assert shares == pytest.approx({1: 32 * AMP_3P, 2: 32 * AMP_3P})


def test_a_session_whose_minimum_no_longer_fits_is_paused_not_starved_below_it():
    # 10 kW holds two 6 A minimums (4.14 kW each) but not three: the newest session waits at 0.
    shares = share_site_power(limit_w=10_000, demands=[demand(1), demand(2), demand(3)])
    assert shares[3] == 0
    assert shares[1] == shares[2] == pytest.approx(5_000)


def test_higher_priority_is_served_first():
    shares = share_site_power(limit_w=30_000, demands=[demand(1), demand(2, priority=5)])
    assert shares[2] == pytest.approx(32 * AMP_3P)
    assert shares[1] == pytest.approx(30_000 - 32 * AMP_3P)


def test_a_station_refusing_profiles_is_counted_at_its_maximum():
    shares = share_site_power(limit_w=40_000, demands=[demand(1, controllable=False), demand(2), demand(3)])
    assert shares[1] == pytest.approx(32 * AMP_3P)
    assert shares[2] + shares[3] == pytest.approx(40_000 - 32 * AMP_3P)


def test_uncontrollable_load_above_the_limit_pauses_the_others():
    shares = share_site_power(limit_w=20_000, demands=[demand(1, controllable=False), demand(2)])
    assert shares[2] == 0


def test_an_ev_drawing_well_below_its_share_frees_power_for_the_others():
    previous = 15_000
    shares = share_site_power(
        limit_w=30_000, demands=[demand(1, measured_w=5_000, previous_w=previous), demand(2, previous_w=previous)]
    )
    assert shares[1] == pytest.approx(5_500)
    assert shares[2] == pytest.approx(min(32 * AMP_3P, 30_000 - 5_500))


def test_an_ev_drawing_its_whole_share_is_not_capped():
    shares = share_site_power(limit_w=20_000, demands=[demand(1, measured_w=9_900, previous_w=10_000), demand(2)])
    assert shares[1] == pytest.approx(10_000)


@pytest.mark.parametrize("seed", range(20))
def test_the_controllable_shares_never_exceed_what_is_left_of_the_limit(seed):
    rng = random.Random(seed)
    demands = [
        demand(k, max_a=rng.choice([16, 32]), min_a=rng.choice([0, 6]), priority=rng.randint(0, 2),
               controllable=rng.random() > 0.1, measured_w=rng.choice([None, rng.uniform(0, 22_000)]),
               previous_w=rng.choice([None, rng.uniform(0, 22_000)]))
        for k in range(rng.randint(1, 60))
    ]
    limit = rng.uniform(0, 400_000)
    shares = share_site_power(limit_w=limit, demands=demands)
    fixed = sum(d.max_w for d in demands if not d.controllable)
    controlled = sum(shares[d.key] for d in demands if d.controllable)
    assert controlled <= max(0.0, limit - fixed) + 1e-6
    for d in demands:
        assert 0 <= shares[d.key] <= d.max_w + 1e-6
