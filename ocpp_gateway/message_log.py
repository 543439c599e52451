"""The message log's write path: frames are buffered in memory and written in batches.

A database write per frame on the socket path would cap the gateway at the database's commit
rate; one bulk INSERT every half second (or every FLUSH_SIZE frames) does not. The same flush
sets last_seen for every station that sent something, with one UPDATE.
"""
from __future__ import annotations

import atexit
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ocpp_gateway.batching import BatchWriter

FLUSH_INTERVAL = 0.5
FLUSH_SIZE = 500

# (station_id, direction, message_type, action, unique_id, payload, note, time)
Row = tuple[int, str, int | None, str, str, Any, str, datetime]


class MessageBuffer(BatchWriter[Row]):
    what = "the OCPP message log"

    def interval(self) -> float:
        return FLUSH_INTERVAL

    def size(self) -> int:
        return FLUSH_SIZE

    def write(self, items: list[Row]) -> None:
        _write(items)

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
        self._queue((station_id, direction, message_type, action, unique_id, payload, note, timezone.now()))


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


_flush_at_exit = buffer.flush_at_exit
atexit.register(_flush_at_exit)
