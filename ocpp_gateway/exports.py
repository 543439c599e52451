"""The OCPP message log as CSV (``/api/messages/?format=csv``), streamed page by page.

The log holds millions of frames: pages are read by keyset on (time, id), newest first, each a
short query the (time) index seeks, so neither this process nor the database holds the result.
Payloads are the frames' JSON; any text cell is escaped against spreadsheet formulas.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sessions.exports import IsoUtc
from switchplatform.csvfiles import csv_chunks_of, escape_cell, streaming_response

HEADER = ["time", "station", "direction", "message_type", "action", "unique_id", "payload", "note"]
ROWS_PER_FETCH = 2000
TYPE_NAMES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


def _pages(queryset: QuerySet) -> Iterator[list[tuple[Any, ...]]]:
    ordered = queryset.order_by("-time", "-id")
    columns = ("id", "time", IsoUtc("time"), "station__identity", "direction", "message_type", "action", "unique_id",
               "payload", "note")
    page = list(ordered.values_list(*columns)[:ROWS_PER_FETCH])
    while page:
        yield page
        if len(page) < ROWS_PER_FETCH:
            return
        last_id, last_time = page[-1][0], page[-1][1]
        after = ordered.filter(Q(time__lt=last_time) | Q(time=last_time, id__lt=last_id), time__lte=last_time)
        page = list(after.values_list(*columns)[:ROWS_PER_FETCH])


def message_rows(queryset: QuerySet) -> Iterator[list[Any]]:
    esc = escape_cell
    for page in _pages(queryset):
        for _pk, _time, time_text, identity, direction, message_type, action, unique_id, payload, note in page:
            yield [
                time_text,
                esc(identity),
                direction,
                TYPE_NAMES.get(message_type, ""),
                esc(action),
                esc(unique_id),
                esc("" if payload is None else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)),
                esc(note),
            ]


def message_csv_response(request, messages: QuerySet):
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return streaming_response(
        request, csv_chunks_of(HEADER, message_rows(messages)), filename=f"messages-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )
