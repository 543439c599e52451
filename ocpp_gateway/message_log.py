"""The message log's write path: frames are buffered in memory and written in batches.

A database write per frame on the socket path would cap the gateway at the database's commit
rate; one bulk INSERT per group commit (ocpp_gateway.batching) does not. The same transaction
sets last_seen for every station that sent something, with one UPDATE. The consumer answers a
CALL only once the batch holding its log row has committed.

A row the database refuses (a payload holding NaN, a station deleted while connected) is
quarantined alone; where its station still exists, the log keeps a row in its place with no
payload and a note naming the quarantine record.
"""
from __future__ import annotations

import asyncio
import atexit
import json
from collections.abc import Callable
from datetime import datetime, timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from health import metrics
from ocpp_gateway.batching import BatchWriter

FLUSH_SIZE = 500

# (station_id, direction, message_type, action, unique_id, payload, note, time)
Row = tuple[int, str, int | None, str, str, Any, str, datetime]


class MessageBuffer(BatchWriter[Row]):
    what = "the OCPP message log"
    kind = "message"
    own_writer = True

    def size(self) -> int:
        return FLUSH_SIZE

    def write(self, items: list[Row]) -> None:
        _write(items)

    def describe(self, item: Row) -> tuple[int | None, dict[str, Any]]:
        station_id, direction, message_type, action, unique_id, payload, note, time = item
        return station_id, {
            "direction": direction, "message_type": message_type, "action": action, "unique_id": unique_id,
            "payload": payload, "note": note, "time": time.isoformat(),
        }

    def after_quarantine(self, item: Row, quarantine_id: int, error: BaseException) -> None:
        # The station's log keeps its place in the conversation (its answer is logged too).
        station_id, direction, message_type, action, unique_id, _payload, note, time = item
        from stations.models import Station

        if not Station.objects.filter(pk=station_id).exists():
            return
        note = f"not storable as sent ({type(error).__name__}); see quarantined row #{quarantine_id}"
        _write([(station_id, direction, message_type, _clean(action), _clean(unique_id), None, note, time)])

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
    ) -> asyncio.Future | None:
        """Queue one frame's row; the ticket resolves once it is committed (``await buffer.wait(ticket)``)."""
        metrics.frame_counted(direction=direction, message_type=message_type, action=action)
        return self._queue((station_id, direction, message_type, action, unique_id, payload, note, timezone.now()))


def _clean(text: str) -> str:
    return str(text).encode("utf-8", "replace").decode("utf-8").replace("\x00", "")[:64]


def _write(rows: list[Row]) -> None:
    from ocpp_gateway.models import Message
    from stations.services import stations_mark_seen

    # executemany, not bulk_create: building a model instance per frame cost ~80 us of CPU per row,
    # several times the INSERT itself, and the log is the gateway's highest-volume write.
    adapt_payload, adapt_time = _adapters()
    params = [
        (
            station_id,
            direction,
            message_type,
            action[:64],
            unique_id[:64],
            adapt_payload(payload),
            note[:200],
            adapt_time(time),
        )
        for station_id, direction, message_type, action, unique_id, payload, note, time in rows
    ]
    columns = "(station_id, direction, message_type, action, unique_id, payload, note, time)"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: a third of the INSERTs' time in the database and a quarter of their CPU here
            # (20 vs 56 us of wall time per row, measured at 200 rows a batch, issue 17).
            # psycopg's own cursor: its errors become Django's here, so that a lost connection
            # stays "the database is away" (retried) and not a bad row (quarantined).
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {Message._meta.db_table} {columns} FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {Message._meta.db_table} {columns} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            for start in range(0, len(params), 500):
                cursor.executemany(sql, params[start : start + 500])
        seen = {row[0] for row in rows if row[1] == "in"}
        if seen:
            stations_mark_seen(station_ids=seen, at=max(row[7] for row in rows))


def _adapters() -> tuple[Callable[[Any], Any], Callable[[datetime], Any]]:
    """How a row's payload and time become parameters: Django's adapters, except on SQLite with
    UTC, where their checks cost as much as the rest of a row's write (their results, inlined)."""
    if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
        return json.dumps, _naive_utc_text
    if connection.vendor == "postgresql":
        # COPY takes the JSON as text and adapts the aware datetime itself.
        return _json_or_null, _same
    payload_field = _payload_field()
    return (lambda payload: payload_field.get_db_prep_value(payload, connection)), connection.ops.adapt_datetimefield_value


def _payload_field():
    from ocpp_gateway.models import Message

    return Message._meta.get_field("payload")


def _json_or_null(payload: Any) -> str | None:
    # A payload of None is SQL NULL, as Django's JSONField stores it.
    return None if payload is None else json.dumps(payload)


def _same(at: datetime) -> datetime:
    return at


def _naive_utc_text(at: datetime) -> str:
    # DatabaseOperations.adapt_datetimefield_value on SQLite: make_naive in UTC, then str().
    if at.utcoffset():
        at = at.astimezone(dt_timezone.utc)
    return str(at.replace(tzinfo=None))


buffer = MessageBuffer()


_flush_at_exit = buffer.flush_at_exit
atexit.register(_flush_at_exit)
