"""Reads the gateway owns: how big the message log is."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection

# COUNT(*) over millions of frames is a full scan (seconds on SQLite): the figure is an estimate,
# cached this long.
SIZE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class MessageLogSize:
    rows: int
    bytes: int
    oldest: datetime | None


def message_log_size() -> MessageLogSize:
    """Rows and approximate bytes (table and its indexes) of the OCPP message log; cached."""
    size = cache.get("ocpp_gateway:message_log_size")
    if size is None:
        size = _measure()
        cache.set("ocpp_gateway:message_log_size", size, SIZE_CACHE_SECONDS)
    return size


def _measure() -> MessageLogSize:
    from ocpp_gateway.models import Message

    table = Message._meta.db_table
    oldest = Message.objects.order_by("time").values_list("time", flat=True).first()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's row estimate and the relation's pages: both free to read.
            cursor.execute("SELECT reltuples::bigint, pg_total_relation_size(%s) FROM pg_class WHERE relname = %s", [table, table])
            rows, size = cursor.fetchone() or (0, 0)
            return MessageLogSize(rows=max(int(rows), 0), bytes=int(size), oldest=oldest)
        # Ids only grow and pruning deletes the oldest: the id range is the row count give or take
        # the gaps of rolled-back batches, read from the primary key's ends.
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone()
        rows = 0 if low is None else high - low + 1
        # Bytes from a sample of the newest rows (SQLite's dbstat would walk every page).
        cursor.execute(
            f"SELECT AVG(LENGTH(payload) + LENGTH(action) + LENGTH(unique_id) + LENGTH(note)) FROM "
            f"(SELECT payload, action, unique_id, note FROM {table} ORDER BY id DESC LIMIT 1000) AS recent"
        )
        average = cursor.fetchone()[0] or 0
        # ~60 bytes of fixed columns and record header, and the three indexes' entries.
        return MessageLogSize(rows=rows, bytes=int(rows * (float(average) + 60 + 80)), oldest=oldest)
