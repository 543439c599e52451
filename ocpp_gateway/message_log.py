"""The message log's write path: frames are buffered in memory and written in batches.

A database write per frame on the socket path would cap the gateway at the database's commit
rate; one bulk INSERT every half second (or every FLUSH_SIZE frames) does not. The same flush
sets last_seen for every station that sent something, with one UPDATE.
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.5
FLUSH_SIZE = 500

# (station_id, direction, message_type, action, unique_id, payload, note, time)
Row = tuple[int, str, int | None, str, str, Any, str, datetime]


class MessageBuffer:
    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None

    def add(
        self,
        *,
        station_id: int,
        direction: str,
        message_type: int | None,
        action: str,
        unique_id: str,
        payload: Any,
        note: str = "",
    ) -> None:
        with self._lock:
            self._rows.append(
                (station_id, direction, message_type, action, unique_id, payload, note, timezone.now())
            )
            size = len(self._rows)
        self._ensure_flusher()
        if size >= FLUSH_SIZE and self._wakeup is not None:
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
            self._task = loop.create_task(self._run(), name="ocpp-message-log-flusher")

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
                logger.exception("Could not write the OCPP message log")

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

    def _take(self) -> list[Row]:
        with self._lock:
            rows, self._rows = self._rows, []
        return rows

    async def flush(self) -> int:
        rows = self._take()
        if rows:
            # On the shared database thread, like the handlers: SQLite has one writer at a time,
            # and writers in several threads wait on each other in its busy handler.
            await database_sync_to_async(_write)(rows)
        return len(rows)

    def flush_sync(self) -> int:
        """For shutdown (atexit) and sync tests: write whatever is buffered, in this thread."""
        rows = self._take()
        if rows:
            _write(rows)
        return len(rows)


def _write(rows: list[Row]) -> None:
    from ocpp_gateway.models import Message
    from stations.services import stations_mark_seen

    # executemany, not bulk_create: building a model instance per frame cost ~80 us of CPU per row,
    # several times the INSERT itself, and the log is the gateway's highest-volume write.
    payload_field = Message._meta.get_field("payload")
    adapt_time = connection.ops.adapt_datetimefield_value
    params = [
        (
            station_id,
            direction,
            message_type,
            action[:64],
            unique_id[:64],
            payload_field.get_db_prep_value(payload, connection),
            note[:200],
            adapt_time(time),
        )
        for station_id, direction, message_type, action, unique_id, payload, note, time in rows
    ]
    sql = (
        f"INSERT INTO {Message._meta.db_table} "
        "(station_id, direction, message_type, action, unique_id, payload, note, time) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(params), 500):
            cursor.executemany(sql, params[start : start + 500])
        seen = {row[0] for row in rows if row[1] == "in"}
        if seen:
            stations_mark_seen(station_ids=seen, at=max(row[7] for row in rows))


buffer = MessageBuffer()


@atexit.register
def _flush_at_exit() -> None:
    # daphne stops its reactor on SIGTERM/SIGINT and returns; frames still buffered are written here.
    try:
        buffer.flush_sync()
        close_old_connections()
    except Exception:
        logger.exception("Could not write the OCPP message log at shutdown")
