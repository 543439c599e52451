"""The balancer's scheduler: requests within the debounce fold into one recompute, a start or stop
brings a meter value's later recompute forward, and the recompute runs off the event loop."""
from __future__ import annotations

import asyncio
import threading

import pytest

from smartcharging import services
from smartcharging.scheduling import RebalanceScheduler
from smartcharging.services import RebalanceResult

# The recompute runs through channels' database_sync_to_async, as in production, and that wraps every
# call in close_old_connections(): it checks the database connection of asgiref's shared thread. The
# connection is persistent (CONN_MAX_AGE=None for SQLite), so once any earlier test has run a query on
# that thread, the check is database access, which pytest-django refuses to a test without `db`; the
# scheduler then logged "site balancer failed" and these tests saw no recompute after other modules.
pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(monkeypatch, settings):
    settings.SMART_CHARGING_DEBOUNCE = 0.05
    settings.SMART_CHARGING_METER_DEBOUNCE = 0.5
    seen: list[tuple[int, bool]] = []

    def fake_rebalance(*, location_id: int) -> RebalanceResult:
        # Recorded with whether it ran on the thread of the event loop (it must not).
        seen.append((location_id, threading.current_thread() is threading.main_thread()))
        return RebalanceResult(location_id=location_id, limit_w=10_000)

    monkeypatch.setattr(services, "location_rebalance", fake_rebalance)
    return seen


async def test_requests_within_the_debounce_fold_into_one_recompute_off_the_loop(runs):
    scheduler = RebalanceScheduler()
    for _ in range(5):
        scheduler.request(7)
    scheduler.request(8)
    await asyncio.sleep(0.3)
    assert sorted(runs) == [(7, False), (8, False)]
    assert scheduler.limited == {7, 8}


async def test_meter_values_only_count_at_limited_locations_and_a_start_comes_first(runs):
    scheduler = RebalanceScheduler()
    scheduler.request(7, meter_value=True)
    await asyncio.sleep(0.1)
    assert runs == []  # not known to be limited: meter values are ignored there
    scheduler.limited.add(7)
    scheduler.request(7, meter_value=True)  # due in 0.5 s
    scheduler.request(7)  # a session started: due in 0.05 s, the meter request folds into it
    await asyncio.sleep(0.2)
    assert runs == [(7, False)]
    await asyncio.sleep(0.5)
    assert runs == [(7, False)]  # the meter value's own timer was cancelled


async def test_a_request_while_one_runs_schedules_exactly_one_more(monkeypatch, settings):
    settings.SMART_CHARGING_DEBOUNCE = 0.01
    release = threading.Event()
    calls: list[int] = []

    def slow(*, location_id: int) -> RebalanceResult:
        calls.append(location_id)
        release.wait(2)
        return RebalanceResult(location_id=location_id, limit_w=1.0)

    monkeypatch.setattr(services, "location_rebalance", slow)
    scheduler = RebalanceScheduler()
    scheduler.request(3)
    await asyncio.sleep(0.1)
    for _ in range(4):
        scheduler.request(3)
    release.set()
    await asyncio.sleep(0.3)
    assert calls == [3, 3]
