"""Sessions as CSV: the columns, the cell format, and streaming without holding the file.

Used by the admin's download button, ``/api/sessions/?format=csv``, the background Export job and
``manage.py export_sessions``. The columns are documented in README.md.
"""
from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

# The file's columns, in order (documented in README.md), and the database values they come from.
HEADER = [
    "session_id",
    "network",
    "location",
    "station",
    "evse_id",
    "connector_id",
    "ocpp_version",
    "transaction_id",
    "id_token",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "energy_kwh",
    "peak_power_kw",
    "stop_reason",
]
LOOKUPS = [
    "id",
    "network__name",
    "location__name",
    "station__identity",
    "evse_id",
    "connector_id",
    "ocpp_version",
    "transaction_id",
    "id_token",
    "status",
    "started_at",
    "ended_at",
    "energy_wh",
    "peak_power_w",
    "stop_reason",
]
# Rows fetched per database round trip; bytes per chunk handed to the HTTP server or file.
ROWS_PER_FETCH = 2000
CHUNK_BYTES = 64 * 1024
# A spreadsheet runs a cell starting with these as a formula (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str | None) -> str:
    """Text cells only: prefix a quote so a spreadsheet shows `=cmd()` instead of running it."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_START) else value


def iso_utc(value: datetime | None) -> str:
    # Django hands back aware UTC datetimes (USE_TZ, connection in UTC); whole seconds are enough.
    if value is None:
        return ""
    return value.isoformat(timespec="seconds")[:19] + "Z"


def _kilo(value: float | None) -> str:
    # Python's float formatting ignores the locale: always a dot decimal separator.
    return "" if value is None else f"{value / 1000:.3f}"


def format_row(row: tuple[Any, ...]) -> list[Any]:
    (pk, network, location, station, evse, connector, version, tx, token, status, started, ended, wh, peak, reason) = row
    return [
        pk,
        escape_cell(network),
        escape_cell(location),
        escape_cell(station),
        "" if evse is None else evse,
        "" if connector is None else connector,
        version,
        escape_cell(tx),
        escape_cell(token),
        status,
        iso_utc(started),
        iso_utc(ended),
        "" if ended is None else int((ended - started).total_seconds()),
        _kilo(wh),
        _kilo(peak),
        escape_cell(reason),
    ]


def export_rows(queryset: QuerySet) -> Iterator[tuple[Any, ...]]:
    # values_list + iterator: plain tuples fetched in chunks (a server-side cursor on PostgreSQL),
    # never a model instance or the whole result in memory.
    return queryset.values_list(*LOOKUPS).iterator(chunk_size=ROWS_PER_FETCH)


def csv_chunks(
    queryset: QuerySet, *, on_rows: Callable[[int], None] | None = None, every: int = 10_000
) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks of about CHUNK_BYTES; on_rows(count) every `every` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for row in export_rows(queryset):
        writer.writerow(format_row(row))
        count += 1
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if on_rows is not None and count % every == 0:
            on_rows(count)
    yield buffer.getvalue().encode()
    if on_rows is not None:
        on_rows(count)


def csv_write(queryset: QuerySet, out: IO[bytes], **kwargs) -> None:
    for chunk in csv_chunks(queryset, **kwargs):
        out.write(chunk)


async def _pull_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    # thread_sensitive: every pull runs on the request's one sync thread, so the database cursor
    # opened by the first pull is read by the same connection until the end.
    pull = sync_to_async(next, thread_sensitive=True)
    while True:
        chunk = await pull(chunks, None)
        if chunk is None:
            return
        yield chunk


def streaming_response(request, chunks: Iterator[bytes], *, filename: str, content_type: str) -> StreamingHttpResponse:
    """Stream chunks to the client. Under ASGI (daphne) hand Django an async iterator: given a sync
    one, Django's ASGI handler would read it whole into a list before sending the first byte."""
    django_request = getattr(request, "_request", request)
    content = _pull_async(chunks) if isinstance(django_request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def csv_response(request, queryset: QuerySet, *, filename: str) -> StreamingHttpResponse:
    return streaming_response(request, csv_chunks(queryset), filename=filename, content_type="text/csv; charset=utf-8")


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
