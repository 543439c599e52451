"""Writes the gateway owns besides the frames themselves: quarantined rows and message-log retention."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The row as text is capped: a quarantined 1 MiB frame is evidence enough at 64 KB.
QUARANTINE_DATA_CHARS = 65536


def _as_text(data: dict[str, Any]) -> str:
    # ensure_ascii: lone surrogates and NULs become escapes the text column always takes;
    # default=str: datetimes, Decimals and anything odd become their text.
    text = json.dumps(data, ensure_ascii=True, allow_nan=True, default=str, sort_keys=True)
    return text if len(text) <= QUARANTINE_DATA_CHARS else text[: QUARANTINE_DATA_CHARS - 3] + "..."


def quarantine_record(*, kind: str, station_id: int | None, data: dict[str, Any], error: BaseException) -> int:
    """Keep a row the gateway could not write, with why; return its id."""
    from ocpp_gateway.models import QuarantinedRow
    from stations.models import Station

    identity = ""
    if station_id is not None:
        identity = Station.objects.filter(pk=station_id).values_list("identity", flat=True).first() or ""
    with transaction.atomic():
        row = QuarantinedRow.objects.create(
            time=timezone.now(),
            kind=kind,
            station_id=station_id,
            station_identity=identity or str(data.get("station_identity", ""))[:64],
            error=f"{type(error).__name__}: {error}".encode("ascii", "backslashreplace").decode()[:500],
            data=_as_text(data),
        )
    return row.pk
