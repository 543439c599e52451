"""The gateway's batched writes: StatusNotification and MeterValues, the way the message log batches frames.

Each of these frames used to cost its own database call and transaction (~1 ms of CPU on the one
database thread), which capped the gateway far below the bare `ocpp` server. Their answers do not
depend on the write (StatusNotification.conf and MeterValues.conf are empty, 1.6 §6.48/§6.36,
2.0.1 §1.47/§1.32), so the handler validates, enqueues and answers; a flusher per process writes
what accumulated every FLUSH_INTERVAL seconds (or FLUSH_SIZE reports) in ONE database call and
ONE transaction: statuses coalesced per connector/EVSE, samples in one bulk INSERT, each affected
session's energy and peak power updated once.

Consistency: handlers that read what these reports write (StartTransaction, StopTransaction,
TransactionEvent, and remote actions that check for a running session) call ``flush()`` first;
``flush()`` also waits for a batch already being written, so afterwards every earlier report of
every station is committed. The buffer is flushed on disconnect and at exit (atexit).

What a hard crash (SIGKILL, power loss) can lose: the reports of at most one flush interval (or
MAX_PENDING reports), i.e. connector statuses and meter samples the station was already told were
received. Never a transaction start or stop: those stay synchronous, answered after their commit,
and they fold their own meter readings into the session. A lost status is repaired by the
station's next StatusNotification; a lost sample only thins the chart.

Backpressure: when the database falls behind and MAX_PENDING reports are waiting, the handler
awaits the flush before answering, so memory stays bounded and the station's answer is as slow as
the database really is.
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import threading

from channels.db import database_sync_to_async
from django.db import close_old_connections

from sessions.services import MeterReport, meter_values_record
from stations.services import StatusReport, station_statuses_notify

logger = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.5
FLUSH_SIZE = 500
# Over this many waiting reports a handler awaits the flush instead of answering at once.
MAX_PENDING = 5000

Report = StatusReport | MeterReport


class WriteBuffer:
    def __init__(self) -> None:
        self._reports: list[Report] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        # Held while a batch is taken and written: a flush() that starts while the flusher writes
        # returns only after that batch is committed (the ordering guarantee above).
        self._writing: asyncio.Lock | None = None
        self.max_pending = MAX_PENDING

    def __len__(self) -> int:
        return len(self._reports)

    async def add(self, report: Report) -> None:
        """Queue one report; returns at once unless MAX_PENDING reports are waiting (then after a flush)."""
        with self._lock:
            self._reports.append(report)
            size = len(self._reports)
        self._ensure_flusher()
        if size >= self.max_pending:
            await self.flush()
        elif size >= FLUSH_SIZE and self._wakeup is not None:
            self._wakeup.set()

    def _ensure_flusher(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        # One flusher per event loop: tests run a fresh loop per test, daphne runs one.
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self._wakeup = asyncio.Event()
            self._writing = asyncio.Lock()
            self._task = loop.create_task(self._run(), name="ocpp-write-buffer-flusher")

    async def _run(self) -> None:
        wakeup = self._wakeup
        while True:
            try:
                await asyncio.wait_for(wakeup.wait(), FLUSH_INTERVAL)
            except asyncio.TimeoutError:
                pass
            wakeup.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Could not write the gateway's status and meter reports")

    async def stop(self) -> None:
        """Write what is buffered and stop the flusher (tests end their event loop with this)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self.flush()

    def _take(self) -> list[Report]:
        with self._lock:
            reports, self._reports = self._reports, []
        return reports

    async def flush(self) -> int:
        """Write every report queued so far; on return, they (and any batch in flight) are committed."""
        self._ensure_flusher()
        writing = self._writing
        if writing is None:  # no running loop: cannot happen in an async caller
            return self.flush_sync()
        async with writing:
            reports = self._take()
            if reports:
                # On the shared database thread, like the handlers: SQLite has one writer at a time.
                await database_sync_to_async(write_reports)(reports)
            return len(reports)

    def flush_sync(self) -> int:
        """For shutdown (atexit) and sync tests: write whatever is buffered, in this thread."""
        reports = self._take()
        if reports:
            write_reports(reports)
        return len(reports)


def write_reports(reports: list[Report]) -> None:
    """One batch, one transaction. Should the batch fail (a row the batch cannot write), each
    report is retried on its own so that one bad report does not cost the others."""
    from django.db import transaction

    statuses = [r for r in reports if isinstance(r, StatusReport)]
    meters = [r for r in reports if isinstance(r, MeterReport)]
    try:
        with transaction.atomic():
            station_statuses_notify(reports=statuses)
            meter_values_record(reports=meters)
    except Exception:
        logger.exception("A batch of %d reports failed; writing them one by one", len(reports))
        for report in reports:
            try:
                if isinstance(report, StatusReport):
                    station_statuses_notify(reports=[report])
                else:
                    meter_values_record(reports=[report])
            except Exception:
                logger.exception("Dropped a report of station %s", report.station.pk)


buffer = WriteBuffer()


@atexit.register
def _flush_at_exit() -> None:
    # daphne stops its reactor on SIGTERM/SIGINT and returns; reports still buffered are written
    # here. Registered after the message log's hook, so it runs before it (atexit is LIFO).
    try:
        buffer.flush_sync()
        close_old_connections()
    except Exception:
        logger.exception("Could not write the gateway's status and meter reports at shutdown")
