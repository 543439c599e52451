"""When the site balancer runs: debounced per location, off the event loop.

The gateway's handlers call ``scheduler.request(location_id)`` after a session starts or stops
(and, for locations known to have a limit, after meter values). Requests within the debounce
window fold into one recompute; a request arriving while one runs schedules exactly one more.
The recompute itself (``services.location_rebalance``) runs in the database thread pool through
``database_sync_to_async``, never on the loop.
"""
from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)


class RebalanceScheduler:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[int] = set()
        self._running: set[int] = set()
        self._again: set[int] = set()
        self._tasks: set[asyncio.Task] = set()
        #: Locations whose last recompute found an enabled limit: only these listen to meter values.
        self.limited: set[int] = set()
        self.runs = 0
        self.last_seconds: dict[int, float] = {}

    def request(self, location_id: int | None, *, meter_value: bool = False) -> None:
        """Schedule a recompute of ``location_id``; call on the event loop."""
        if location_id is None or (meter_value and location_id not in self.limited):
            return
        self._loop = asyncio.get_running_loop()
        if location_id in self._running:
            self._again.add(location_id)
            return
        if location_id in self._pending:
            return
        self._pending.add(location_id)
        delay = settings.SMART_CHARGING_METER_DEBOUNCE if meter_value else settings.SMART_CHARGING_DEBOUNCE
        self._loop.call_later(delay, self._start, location_id)

    def request_threadsafe(self, location_id: int) -> None:
        """From a database thread (a command's listener): hand the request to the loop, if there is one."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.request, location_id)
        else:
            from smartcharging.services import location_rebalance

            location_rebalance(location_id=location_id)

    def _start(self, location_id: int) -> None:
        self._pending.discard(location_id)
        self._running.add(location_id)
        task = asyncio.ensure_future(self._run(location_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, location_id: int) -> None:
        from smartcharging.services import location_rebalance

        started = time.perf_counter()
        try:
            result = await database_sync_to_async(location_rebalance)(location_id=location_id)
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
                self._again.discard(location_id)
                self.request(location_id)


scheduler = RebalanceScheduler()
