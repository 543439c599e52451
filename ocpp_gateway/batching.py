"""Writes batched in memory and flushed by one task per event loop: the message log and the write buffer.

A database write per frame on the socket path would cap the gateway at the database's commit rate
and cost each frame a thread hop; one write every FLUSH_INTERVAL seconds (or every FLUSH_SIZE
items) does not. Subclasses say what an item is and how a batch is written.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Generic, TypeVar

from channels.db import database_sync_to_async
from django.db import close_old_connections

logger = logging.getLogger(__name__)

T = TypeVar("T")


class BatchWriter(Generic[T]):
    # Named in the flusher task and in the log lines when a batch fails.
    what = "a batch"

    def __init__(self) -> None:
        self._items: list[T] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        # Held while a batch is taken and written: a flush() that starts while the flusher writes
        # returns only after that batch is committed, so a caller can rely on every earlier item.
        self._writing: asyncio.Lock | None = None

    # --- what a subclass provides (intervals are read on every use: tests change them) ---

    def interval(self) -> float:
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError

    def write(self, items: list[T]) -> None:
        """Write one batch, in the calling (database) thread."""
        raise NotImplementedError

    # --- queueing and flushing ---

    def __len__(self) -> int:
        return len(self._items)

    def _queue(self, item: T) -> int:
        """Append an item, wake the flusher when a batch is full; return the number waiting."""
        with self._lock:
            self._items.append(item)
            waiting = len(self._items)
        self._ensure_flusher()
        if waiting >= self.size() and self._wakeup is not None:
            self._wakeup.set()
        return waiting

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
            self._task = loop.create_task(self._run(), name=f"ocpp-flusher: {self.what}")

    async def _run(self) -> None:
        wakeup = self._wakeup
        while True:
            try:
                await asyncio.wait_for(wakeup.wait(), self.interval())
            except asyncio.TimeoutError:
                pass
            wakeup.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
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
        await self.flush()

    def _take(self) -> list[T]:
        with self._lock:
            items, self._items = self._items, []
        return items

    async def flush(self) -> int:
        """Write every item queued so far; on return, they (and any batch in flight) are committed."""
        self._ensure_flusher()
        async with self._writing:
            items = self._take()
            if items:
                # On the shared database thread, like the handlers: SQLite has one writer at a time,
                # and writers in several threads wait on each other in its busy handler.
                await database_sync_to_async(self.write)(items)
            return len(items)

    def flush_sync(self) -> int:
        """For shutdown (atexit) and sync tests: write whatever is buffered, in this thread."""
        items = self._take()
        if items:
            self.write(items)
        return len(items)

    def flush_at_exit(self) -> None:
        """An atexit hook: daphne stops its reactor on SIGTERM/SIGINT and returns; what is still
        buffered is written here."""
        try:
            self.flush_sync()
            close_old_connections()
        except Exception:
            logger.exception("Could not write %s at shutdown", self.what)
