"""The per-station token bucket (ocpp_gateway.ratelimit); end to end in tests/test_gateway_transport.py."""
from __future__ import annotations

from ocpp_gateway.ratelimit import FrameRate


def test_a_burst_passes_then_frames_are_held_to_the_rate():
    rate = FrameRate(rate=10, burst=5, close_after=3, now=0.0)
    assert [rate.take(0.0) for _ in range(5)] == [0.0] * 5
    assert rate.take(0.0) == 0.1  # the sixth waits one token's time
    assert not rate.persistently_over(0.0)


def test_a_station_that_stays_over_the_rate_is_flagged_after_close_after():
    rate = FrameRate(rate=10, burst=5, close_after=3, now=0.0)
    now = 0.0
    while now < 2.9:
        now += rate.take(now) or 0.01  # always back as soon as allowed
        assert not rate.persistently_over(now)
    for _ in range(20):
        now += rate.take(now)
    assert rate.persistently_over(now)


def test_a_station_that_settles_is_forgiven():
    rate = FrameRate(rate=10, burst=10, close_after=3, now=0.0)
    for _ in range(30):
        rate.take(0.0)
    assert rate.over_since == 0.0
    # Quiet long enough to refill half the burst: the episode is over.
    assert rate.take(3.0) == 0.0
    assert rate.over_since is None
    assert not rate.persistently_over(10.0)
