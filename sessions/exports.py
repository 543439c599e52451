"""Sessions as CSV: the columns, the cell format, and streaming without holding the file.

Used by the admin's download button, ``/api/sessions/?format=csv``, the background Export job and
``manage.py export_sessions``. The columns are documented in README.md.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from itertools import islice
from typing import IO, Any

from django.db.models import CharField, Func, IntegerField, Q, QuerySet
from django.http import StreamingHttpResponse

# The CSV-safety and streaming helpers every export shares (re-exported here for existing callers).
from switchplatform.csvfiles import FORMULA_START, escape_cell, streaming_response  # noqa: F401

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
    "total_cost",
    "currency",
]
# Rows fetched per database round trip (and formatted per csv.writerows call); bytes per chunk
# handed to the HTTP server or file.
ROWS_PER_FETCH = 2000
CHUNK_BYTES = 64 * 1024


class IsoUtc(Func):
    """A datetime as ISO 8601 UTC text with whole seconds, formatted by the database.

    Profiling a million rows showed Django's datetime converters plus isoformat() as half the
    export's time; the database does it for free while reading the row.
    """

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %(expressions)s)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        return self.as_sql(compiler, connection, template=template, **extra)


class SecondsBetween(Func):
    """Whole seconds from the first datetime to the second (NULL if either is NULL)."""

    output_field = IntegerField()
    arity = 2

    def get_db_converters(self, connection):
        # Both databases already return an int (CAST / ::bigint); Django's int() converter would be
        # the only per-row Python call left on the export's fetch path.
        return []

    def as_sqlite(self, compiler, connection, **extra):
        first, second = (compiler.compile(e) for e in self.get_source_expressions())
        return (
            f"(CAST(strftime('%%s', {second[0]}) AS INTEGER) - CAST(strftime('%%s', {first[0]}) AS INTEGER))",
            [*second[1], *first[1]],
        )

    def as_postgresql(self, compiler, connection, **extra):
        first, second = (compiler.compile(e) for e in self.get_source_expressions())
        return (
            f"EXTRACT(EPOCH FROM date_trunc('second', {second[0]}) - date_trunc('second', {first[0]}))::bigint",
            [*second[1], *first[1]],
        )


def _columns():
    return [
        "id",
        "network_id",
        "location_id",
        "station_id",
        "evse_id",
        "connector_id",
        "ocpp_version",
        "transaction_id",
        "id_token",
        "status",
        IsoUtc("started_at"),
        IsoUtc("ended_at"),
        SecondsBetween("started_at", "ended_at"),
        "energy_wh",
        "peak_power_w",
        "stop_reason",
        "total_cost",
        "cost_currency",
    ]


def _escaped_names(queryset) -> dict[int, str]:
    return {pk: escape_cell(name) for pk, name in queryset.iterator(chunk_size=ROWS_PER_FETCH)}


def _pages(queryset: QuerySet) -> Iterator[list[tuple[Any, ...]]]:
    """The queryset's export columns, newest first, ROWS_PER_FETCH rows per query (keyset pagination).

    Each page is its own short query that seeks the (started_at, id) index just past the previous
    page, so nothing holds the whole result: not this process, and not the database either. (A
    server-side cursor, what `.iterator()` uses on PostgreSQL, is declared WITH HOLD outside a
    transaction and then materialises the whole result before the first row: measured at 2.9 s
    for a million sessions. Keeping a transaction open across the streamed response instead would
    hide a background export's progress updates until the end.)
    """
    from sessions.models import Session

    ordered = queryset.order_by("-started_at", "-id").values_list(*_columns())
    page = list(ordered[:ROWS_PER_FETCH])
    while page:
        yield page
        if len(page) < ROWS_PER_FETCH:
            return
        last_id = page[-1][0]
        last_started = Session.objects.filter(pk=last_id).values_list("started_at", flat=True).get()
        # `started_at <= x` is the range the index seeks; the rest only skips the ties already sent.
        after = ordered.filter(Q(started_at__lt=last_started) | Q(id__lt=last_id), started_at__lte=last_started)
        page = list(after[:ROWS_PER_FETCH])


def export_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    """The file's rows (header excluded), formatted, newest first.

    values_list: plain tuples, never model instances. Network, location and station names come
    from small id → name maps instead of three joins per row.
    """
    from locations.models import Location
    from networks.models import Network
    from stations.models import Station

    networks = _escaped_names(Network.objects.values_list("id", "name"))
    locations = _escaped_names(Location.objects.values_list("id", "name"))
    stations = _escaped_names(Station.objects.values_list("id", "identity"))
    esc = escape_cell
    for page in _pages(queryset):
        for (pk, network, location, station, evse, connector, version, tx, token, status, started, ended, seconds,
             wh, peak, reason, cost, currency) in page:
            # Python's float formatting ignores the locale: always a dot decimal separator. csv writes None as "".
            yield [
                pk,
                networks.get(network, ""),
                locations.get(location, ""),
                stations.get(station, ""),
                evse,
                connector,
                version,
                esc(tx),
                esc(token),
                status,
                started,
                ended,
                seconds,
                f"{wh / 1000:.3f}",
                None if peak is None else f"{peak / 1000:.3f}",
                esc(reason),
                None if cost is None else f"{cost:.2f}",
                esc(currency),
            ]


def csv_chunks(
    queryset: QuerySet, *, on_rows: Callable[[int], None] | None = None, every: int = 10_000
) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks of about CHUNK_BYTES; on_rows(count) every `every` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    rows = export_rows(queryset)
    count = reported = 0
    while batch := list(islice(rows, ROWS_PER_FETCH)):
        writer.writerows(batch)
        count += len(batch)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if on_rows is not None and count - reported >= every:
            on_rows(count)
            reported = count
    yield buffer.getvalue().encode()
    if on_rows is not None:
        on_rows(count)


def csv_write(queryset: QuerySet, out: IO[bytes], **kwargs) -> None:
    for chunk in csv_chunks(queryset, **kwargs):
        out.write(chunk)


def csv_response(request, queryset: QuerySet, *, filename: str) -> StreamingHttpResponse:
    return streaming_response(request, csv_chunks(queryset), filename=filename, content_type="text/csv; charset=utf-8")


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
