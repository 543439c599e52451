"""The configuration read after a boot yields to logins during a reconnect storm (issue 17).

After an Accepted boot the platform reads the station's configuration (1.6 GetConfiguration, 2.0.1
GetBaseReport). In a storm that read costs the node a fifth of its CPU per station (measured at
5,000 stations on uvicorn: 2.5-2.7 ms a connect without it, 3.1-3.5 ms with it), so the stations
still waiting for their login wait longer. While logins arrive faster than STORM_LOGINS_PER_SECOND,
the reads wait in a queue; once the logins slow down they start, READS_PER_SECOND at most, so the
backlog does not become a storm of its own. Outside a storm a read starts at once, as before.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from health import metrics

# A node's logins in a second above which it is in a storm. Everyday churn at 10,000 stations is a
# few a second; a restart's reconnects are hundreds.
STORM_LOGINS_PER_SECOND = 50
# Deferred reads started per second once the storm is over (each costs ~0.6 ms of the node's CPU).
READS_PER_SECOND = 100
TICK = 0.1


class AfterBootReads:
    """The node's deferred reads after boot, and its recent logins; used on the event loop only."""

    def __init__(self) -> None:
        self._logins: deque[float] = deque()
        # Each starts its read and says whether it did (False: the station is gone).
        self._queue: deque[Callable[[], bool]] = deque()
        self._drainer: asyncio.Task | None = None

    def login(self, now: float) -> None:
        """A login attempt arrived (admitted or not: each costs the node)."""
        self._logins.append(now)
        self._forget(now)

    def storming(self, now: float) -> bool:
        self._forget(now)
        return len(self._logins) >= STORM_LOGINS_PER_SECOND

    def _forget(self, now: float) -> None:
        while self._logins and now - self._logins[0] > 1.0:
            self._logins.popleft()

    def start(self, start: Callable[[], bool]) -> None:
        """Call ``start`` now, or after the storm if one is on (in arrival order either way)."""
        if not self._queue and not self.storming(time.monotonic()):
            start()
            return
        loop = asyncio.get_running_loop()
        if self._drainer is not None and self._drainer.get_loop() is not loop:
            # Another event loop's (tests run one per test): its reads went with it.
            self._queue.clear()
            self._drainer = None
        self._queue.append(start)
        self._publish()
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())

    @property
    def deferred(self) -> int:
        return len(self._queue)

    async def _drain(self) -> None:
        per_tick = max(1, round(READS_PER_SECOND * TICK))
        while self._queue:
            await asyncio.sleep(TICK)
            if self.storming(time.monotonic()):
                continue
            started = 0
            while self._queue and started < per_tick:
                # A station gone meanwhile costs nothing and no turn.
                started += bool(self._queue.popleft()())
            self._publish()

    def _publish(self) -> None:
        metrics.reads_after_boot_deferred.labels(metrics.NODE).set(len(self._queue))


reads = AfterBootReads()
