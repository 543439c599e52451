"""CSV files any app serves: the formula-neutralising cell escape and streaming under ASGI.

Shared infrastructure (like switchplatform.broker): sessions, stations and the message log export
CSV, and stations sits below sessions in the import order, so the helpers cannot live in sessions.
"""
from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from rest_framework import renderers

from health import metrics

# Rows formatted per csv.writerows call; bytes per chunk handed to the HTTP server or file.
ROWS_PER_BATCH = 2000
CHUNK_BYTES = 64 * 1024
# A spreadsheet runs a cell starting with these as a formula (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_FIRST = frozenset(FORMULA_START)
_FORMULA_CHARS = frozenset("=+-@")


def escape_cell(value: str | None) -> str:
    """Text cells only: prefix a quote so a spreadsheet shows `=cmd()` instead of running it.

    Spreadsheets skip leading whitespace before reading a formula (" =cmd()", "\xa0=cmd()"), so
    any whitespace str.isspace() knows, the no-break space included, counts as not there.
    """
    if not value:
        return ""
    first = value[0]
    if first in _FORMULA_FIRST:
        return "'" + value
    if first.isspace():
        rest = value.lstrip()
        if rest and rest[0] in _FORMULA_CHARS:
            return "'" + value
    return value


def csv_chunks_of(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """A header and already formatted (escaped) rows as UTF-8 byte chunks of about CHUNK_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    rows = iter(rows)
    while batch := list(islice(rows, ROWS_PER_BATCH)):
        writer.writerows(batch)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


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
    # The export's duration (switch_export_seconds), named by the file: "stations", "sessions", "messages".
    chunks = metrics.timed_chunks(chunks, export=filename.split("-", 1)[0][:20])
    content = _pull_async(chunks) if isinstance(django_request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class CSVRenderer(renderers.BaseRenderer):
    """Lets `?format=csv` (or Accept: text/csv) reach a list that streams the file itself.

    Only errors (a bad filter, no credentials, a 404) are rendered here, as plain text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict):
            return "\r\n".join(f"{key}: {value}" for key, value in data.items()).encode()
        return str(data).encode()


class CsvFormatMixin:
    """For a DRF view whose list (or an action) can answer CSV: `?format=csv` means CSV whatever the
    Accept header says (DRF would answer 406 to a client that also sends Accept: application/json)."""

    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == CSVRenderer.format:
            return CSVRenderer(), CSVRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def wants_csv(self, request) -> bool:
        return getattr(request, "accepted_renderer", None) is not None and request.accepted_renderer.format == "csv"
