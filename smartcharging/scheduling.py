"""When the site balancer runs: debounced per location, off the event loop.

The gateway's handlers call ``scheduler.request(location_id)`` after a session starts or stops
(and, for locations known to have a limit, after meter values). Requests within the debounce
window fold into one recompute; a request arriving while one runs schedules exactly one more.
The recompute itself (``services.location_rebalance``) runs in the database thread pool through
``database_sync_to_async``, never on the loop.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)


class RebalanceScheduler:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        #: location → (when it runs, its timer): a start or stop brings a meter value's later run forward.
        self._pending: dict[int, tuple[float, asyncio.TimerHandle]] = {}
        self._running: set[int] = set()
        #: location → whether only meter values asked for a recompute while one was running.
        self._again: dict[int, bool] = {}
        self._tasks: set[asyncio.Task] = set()
        #: Locations whose last recompute found an enabled limit: only these listen to meter values.
        self.limited: set[int] = set()
        #: Locations this node has computed at least once.
        self.known: set[int] = set()
        self.runs = 0
        self.last_seconds: dict[int, float] = {}

    def request(self, location_id: int | None, *, meter_value: bool = False) -> None:
        """Schedule a recompute of ``location_id``; call on the event loop."""
        if location_id is None or (meter_value and location_id not in self.limited):
            return
        self._loop = asyncio.get_running_loop()
        if location_id in self._running:
            self._again[location_id] = self._again.get(location_id, True) and meter_value
            return
        delay = settings.SMART_CHARGING_METER_DEBOUNCE if meter_value else settings.SMART_CHARGING_DEBOUNCE
        due = self._loop.time() + delay
        pending = self._pending.get(location_id)
        if pending is not None:
            if pending[0] <= due:
                return
            pending[1].cancel()
        # A fresh context: the caller's (a database thread's, through request_threadsafe) would make
        # database_sync_to_async refuse to run ("single thread executor already being used").
        timer = self._loop.call_at(due, self._start, location_id, context=contextvars.Context())
        self._pending[location_id] = (due, timer)

    def may_be_limited(self, location_id: int) -> bool:
        return location_id in self.limited or location_id not in self.known

    def request_threadsafe(self, location_id: int) -> None:
        """From a database thread (a command's listener): hand the request to the loop, if there is one."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.request, location_id, context=contextvars.Context())
        else:
            from smartcharging.services import location_rebalance

            location_rebalance(location_id=location_id)

    def _start(self, location_id: int) -> None:
        self._pending.pop(location_id, None)
        self._running.add(location_id)
        task = asyncio.ensure_future(self._run(location_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, location_id: int) -> None:
        from smartcharging.services import location_rebalance

        started = time.perf_counter()
        try:
            result = await database_sync_to_async(location_rebalance)(location_id=location_id)
            self.known.add(location_id)
            if result.limit_w is None:
                self.limited.discard(location_id)
            else:
                self.limited.add(location_id)
            self.runs += 1
        except Exception:
            logger.exception("site balancer failed for location %s", location_id)
        finally:
            self.last_seconds[location_id] = time.perf_counter() - started
            self._running.discard(location_id)
            if location_id in self._again:
                self.request(location_id, meter_value=self._again.pop(location_id))


scheduler = RebalanceScheduler()
