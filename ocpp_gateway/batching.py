"""Writes batched in memory and committed as a group: the message log and the write buffer.

A database write per frame on the socket path would cap the gateway at the database's commit rate
and cost each frame a thread hop. Instead a flusher per event loop writes whatever has queued in
one transaction (group commit): the first item after a quiet spell waits GROUP_COMMIT_WINDOW for
company, and under load the items that arrive while a batch is being written form the next batch,
so batches grow with the load and the commit rate stays bounded.

Acknowledged means durable: ``_queue()`` hands back a ticket (a future of the batch that will hold
the item), resolved once that batch has committed; the gateway answers a frame only after its
ticket resolved, so a crash (kill -9, power loss) can only lose frames nobody was told were taken.

A bad row never costs another row: a batch that fails is split in halves and each half written on
its own, down to the single row that fails, which goes to quarantine (``QuarantinedRow``, with the
error and the row as text, for staff to see) instead of being dropped with everyone's rows. Errors
that say the database itself is unavailable (OperationalError, InterfaceError) are not a row's
fault: the batch stays queued and is retried with a back-off, its waiters keep waiting.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, close_old_connections, connections

from health import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds a lone item waits for others before its batch is written: a few ms of latency buys
# batches of several items at moderate load instead of a commit per frame.
GROUP_COMMIT_WINDOW = 0.005
# The flusher also wakes this often for items queued without a waiter (sync callers).
IDLE_INTERVAL = 0.5
# Back-off while the database is unavailable (seconds, doubling up to the maximum).
RETRY_FIRST, RETRY_MAX = 0.1, 5.0
# Seconds a frame's answer waits for its commit before the station is told it was not taken.
COMMIT_TIMEOUT = 20.0


class DatabaseUnavailable(Exception):
    """The batch could not be written for a reason that is not a row's fault; nothing was quarantined."""


def is_transient(exc: BaseException) -> bool:
    """The database is away or busy (connection lost, locked, disk full): retry, never blame a row."""
    return isinstance(exc, (OperationalError, InterfaceError))


class BatchWriter(Generic[T]):
    # Named in the flusher task, in log lines and in quarantined rows.
    what = "a batch"
    kind = "row"
    # Written in a thread of its own where the database allows it (see _own_executor).
    own_writer = False
    _executor: ThreadPoolExecutor | None = None

    def __init__(self) -> None:
        self._items: list[T] = []
        # Futures of the batches queued so far (the last one is open for new items); each resolves
        # once every item queued under it is committed or quarantined.
        self._tickets: list[asyncio.Future] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        # Held while a batch is taken and written: a flush() that starts while the flusher writes
        # returns only after that batch is committed, so a caller can rely on every earlier item.
        self._writing: asyncio.Lock | None = None
        self.quarantined = 0

    # --- what a subclass provides ---

    def window(self) -> float:
        return GROUP_COMMIT_WINDOW

    def size(self) -> int:
        raise NotImplementedError

    def write(self, items: list[T]) -> None:
        """Write one batch in ONE transaction, in the calling (database) thread; raise if any row fails."""
        raise NotImplementedError

    def describe(self, item: T) -> tuple[int | None, dict[str, Any]]:
        """(station id, the item as a dict) for its quarantine record."""
        raise NotImplementedError

    def kind_of(self, item: T) -> str:
        return self.kind

    def after_quarantine(self, item: T, quarantine_id: int, error: BaseException) -> None:
        """Called (database thread) once an item is quarantined: e.g. leave a trace where staff look."""

    # --- queueing ---

    def __len__(self) -> int:
        return len(self._items)

    def _queue(self, item: T) -> asyncio.Future | None:
        """Append an item; return the ticket that resolves when it is committed (None outside a loop)."""
        loop = self._ensure_flusher()
        with self._lock:
            self._items.append(item)
            ticket = None
            if loop is not None:
                if not self._tickets or self._tickets[-1].done():
                    self._tickets.append(_new_ticket(loop))
                ticket = self._tickets[-1]
            waiting = len(self._items)
        if self._wakeup is not None and (ticket is not None or waiting >= self.size()):
            self._wakeup.set()
        return ticket

    async def wait(self, ticket: asyncio.Future | None) -> None:
        """Return once the item of this ticket is committed (or quarantined).

        Raises ocpp's InternalError after COMMIT_TIMEOUT (the database is unavailable): the station
        gets a CALLERROR, not an answer, and sends the frame again later (1.6 §4.7, 2.0.1 E13)."""
        if ticket is None:
            return
        # shield: a handler cancelled on disconnect must not cancel the batch's other waiters.
        if await asyncio.shield(ticket) is _EXPIRED:
            from ocpp.exceptions import InternalError

            raise InternalError(details={"cause": "The platform could not store this message; send it again later"})

    def _ensure_flusher(self) -> asyncio.AbstractEventLoop | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        # One flusher per event loop: tests run a fresh loop per test, daphne runs one.
        if self._task is None or self._task.done() or self._loop is not loop:
            if self._loop is not loop:
                # Tickets of another (finished) loop have nobody left waiting on them.
                with self._lock:
                    self._tickets = []
            self._loop = loop
            self._wakeup = asyncio.Event()
            self._writing = asyncio.Lock()
            self._task = loop.create_task(self._run(), name=f"ocpp-flusher: {self.what}")
        return loop

    async def _run(self) -> None:
        wakeup = self._wakeup
        delay = RETRY_FIRST
        while True:
            try:
                await asyncio.wait_for(wakeup.wait(), IDLE_INTERVAL)
            except asyncio.TimeoutError:
                pass
            if self._items and (window := self.window()) > 0 and len(self._items) < self.size():
                await asyncio.sleep(window)
            wakeup.clear()
            try:
                await self.flush()
                delay = RETRY_FIRST
            except asyncio.CancelledError:
                raise
            except DatabaseUnavailable as exc:
                logger.warning("Could not write %s (%r); retrying in %.1f s", self.what, exc.__cause__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                wakeup.set()
            except Exception:
                logger.exception("Could not write %s", self.what)

    async def stop(self) -> None:
        """Write what is buffered and stop the flusher (tests end their event loop with this)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        # Not flush(): that would start a new flusher on this loop.
        items, tickets = self._take()
        if items:
            await self._write_batch(items, tickets)
        else:
            _resolve(tickets)

    def _take(self) -> tuple[list[T], list[asyncio.Future]]:
        with self._lock:
            items, self._items = self._items, []
            tickets, self._tickets = self._tickets, []
        return items, tickets

    def _put_back(self, items: list[T], tickets: list[asyncio.Future]) -> None:
        """Unwritten items go back to the head of the queue, ahead of what arrived meanwhile."""
        with self._lock:
            self._items[:0] = items
            self._tickets[:0] = tickets

    async def flush(self) -> int:
        """Write every item queued so far; on return, they (and any batch in flight) are committed.

        Raises DatabaseUnavailable (the items stay queued) when the database cannot be reached."""
        self._ensure_flusher()
        async with self._writing:
            items, tickets = self._take()
            if not items:
                _resolve(tickets)
                return 0
            # Its own task, shielded: a caller cancelled mid-write (a station that disconnects)
            # must not leave the batch's tickets unresolved while the database thread commits it.
            await asyncio.shield(asyncio.ensure_future(self._write_batch(items, tickets)))
            return len(items)

    async def _write_batch(self, items: list[T], tickets: list[asyncio.Future]) -> None:
        try:
            # On the shared database thread, like the handlers (SQLite has one writer at a time,
            # and writers in several threads wait on each other in its busy handler); a buffer with
            # own_writer has a thread of its own on PostgreSQL.
            with metrics.timed(metrics.batch_flush_seconds, type(self).__name__):
                await self._in_database_thread(self.write_isolating)(items)
        except _Unwritten as unwritten:
            self._put_back(unwritten.items, tickets)
            raise DatabaseUnavailable(str(unwritten.__cause__)) from unwritten.__cause__
        metrics.batch_rows.labels(metrics.NODE, type(self).__name__).inc(len(items))
        _resolve(tickets)

    def _in_database_thread(self, function):
        executor = self._own_executor()
        if executor is None:
            return database_sync_to_async(function)
        return database_sync_to_async(function, thread_sensitive=False, executor=executor)

    def _own_executor(self) -> ThreadPoolExecutor | None:
        """A writer of its own for this buffer where the database takes concurrent writers
        (PostgreSQL): its batches no longer queue behind the handlers' and the other buffer's
        database work on the one shared thread. SQLite has one writer at a time: there, writers in
        several threads would only wait on each other in its busy handler."""
        # The engine from the settings, not connection.vendor: on the event loop that would make a
        # DatabaseWrapper per task (asgiref's Local is per context), cyclic garbage each time.
        if not self.own_writer or connections.settings[DEFAULT_DB_ALIAS]["ENGINE"].endswith("sqlite3"):
            return None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ocpp-writer-{type(self).__name__}")
        return self._executor

    def flush_sync(self) -> int:
        """For shutdown (atexit) and sync tests: write whatever is buffered, in this thread."""
        items, tickets = self._take()
        if items:
            try:
                self.write_isolating(items)
            except _Unwritten as unwritten:
                self._put_back(unwritten.items, tickets)
                raise DatabaseUnavailable(str(unwritten.__cause__)) from unwritten.__cause__
        _resolve(tickets, threadsafe=True)
        return len(items)

    def flush_at_exit(self) -> None:
        """An atexit hook: daphne stops its reactor on SIGTERM/SIGINT and returns; what is still
        buffered is written here."""
        try:
            self.flush_sync()
            close_old_connections()
        except Exception:
            logger.exception("Could not write %s at shutdown", self.what)

    # --- isolating bad rows ---

    def write_isolating(self, items: list[T]) -> None:
        """Write the batch; should it fail, halves are written on their own until the rows that fail
        are alone, and those are quarantined. Order is kept: a half is written before the next one."""
        pending: deque[list[T]] = deque([items])
        while pending:
            chunk = pending.popleft()
            try:
                self.write(chunk)
                continue
            except Exception as exc:
                if is_transient(exc):
                    raise _Unwritten([item for part in (chunk, *pending) for item in part]) from exc
                if len(chunk) > 1:
                    middle = len(chunk) // 2
                    pending.appendleft(chunk[middle:])
                    pending.appendleft(chunk[:middle])
                    if len(chunk) == len(items):
                        logger.warning("A batch of %d (%s) failed (%r); isolating the bad rows", len(chunk), self.what, exc)
                    continue
                error = exc
            try:
                self._quarantine(chunk[0], error)
            except Exception as exc:
                if is_transient(exc):
                    raise _Unwritten([item for part in (chunk, *pending) for item in part]) from exc
                # Last resort: the row cannot even be recorded as bad. Say so loudly, keep the others.
                logger.exception("Could not quarantine a row of %s: %r", self.what, self.describe(chunk[0]))

    def _quarantine(self, item: T, error: BaseException) -> None:
        from ocpp_gateway.services import quarantine_record

        station_id, data = self.describe(item)
        quarantine_id = quarantine_record(kind=self.kind_of(item), station_id=station_id, data=data, error=error)
        self.quarantined += 1
        logger.warning("Quarantined a %s row of station %s (#%s): %r", self.kind_of(item), station_id, quarantine_id, error)
        try:
            self.after_quarantine(item, quarantine_id, error)
        except Exception:
            logger.exception("Could not note quarantined row #%s", quarantine_id)


class _Unwritten(Exception):
    def __init__(self, items: list) -> None:
        super().__init__(f"{len(items)} items unwritten")
        self.items = items


# A ticket's result when its batch was not committed within COMMIT_TIMEOUT (a value, not an
# exception: a ticket nobody waits on must not log "exception never retrieved").
_EXPIRED = "expired"


def _new_ticket(loop: asyncio.AbstractEventLoop) -> asyncio.Future:
    """A batch's future, expired after COMMIT_TIMEOUT: one timer per batch, not one per waiter (a
    wait_for per frame cost more than the batch's commit, issue 17)."""
    ticket = loop.create_future()
    timer = loop.call_later(COMMIT_TIMEOUT, _expire, ticket)
    ticket.add_done_callback(lambda _ticket: timer.cancel())
    return ticket


def _expire(ticket: asyncio.Future) -> None:
    if not ticket.done():
        ticket.set_result(_EXPIRED)


def _resolve(tickets: list[asyncio.Future], *, threadsafe: bool = False) -> None:
    for ticket in tickets:
        if ticket.done():
            continue
        if threadsafe:
            loop = ticket.get_loop()
            if loop.is_closed():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(_set_done, ticket)
                continue
        ticket.set_result(None)


def _set_done(ticket: asyncio.Future) -> None:
    if not ticket.done():
        ticket.set_result(None)
