"""Failed logins are counted over the last 60 s (the previous clock minute weighted by how much of it
those 60 s cover), not per clock minute: guesses timed across a minute boundary do not get twice
the rate, and a throttle does not lapse at the boundary."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.cache import cache

from ocpp_gateway import auth


@pytest.fixture
def clock(monkeypatch, settings):
    settings.OCPP_AUTH_FAILURES_PER_MINUTE = 3
    cache.clear()
    now = [datetime(2026, 12, 7, 0, 0, 50, tzinfo=dt_timezone.utc)]
    monkeypatch.setattr(auth.timezone, "now", lambda: now[0])
    yield now
    cache.clear()


def throttled(address: str = "10.0.0.1") -> bool:
    return auth.login_throttled(client_address=address, identity="CP-1")


def test_a_throttle_does_not_lapse_at_the_minute_boundary(clock):
    for _ in range(4):
        auth._note_failure("10.0.0.1", "CP-1")
    assert throttled()
    clock[0] += timedelta(seconds=15)  # 00:01:05: a new clock minute
    assert throttled()
    assert not throttled("10.0.0.2")  # per (address, identity)
    clock[0] += timedelta(seconds=45)  # 00:01:50: most of the last 60 s is the new, quiet minute
    assert not throttled()


def test_failures_on_both_sides_of_the_boundary_add_up(clock):
    auth._note_failure("10.0.0.1", "CP-1")
    auth._note_failure("10.0.0.1", "CP-1")
    clock[0] += timedelta(seconds=12)  # 00:01:02
    auth._note_failure("10.0.0.1", "CP-1")
    assert not throttled()  # 1 now + 2 x 58/60 of the last minute
    auth._note_failure("10.0.0.1", "CP-1")
    assert throttled()  # per clock minute it would be 2 of 3
