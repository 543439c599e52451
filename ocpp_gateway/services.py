"""Writes the gateway owns besides the frames themselves: quarantined rows and message-log retention."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
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


@dataclass
class PruneResult:
    deleted: int = 0
    quarantined_deleted: int = 0
    chunks: int = 0


def messages_prune(
    *,
    now: datetime | None = None,
    default_days: int | None = None,
    chunk: int | None = None,
    pause: float = 0.05,
    dry_run: bool = False,
) -> PruneResult:
    """Delete message-log frames older than their network's retention, or MESSAGE_RETENTION_DAYS.

    In chunks of MESSAGE_PRUNE_CHUNK rows, each its own short transaction with a pause after it:
    SQLite has one writer, and the gateway's group commits must never wait behind a delete of
    millions of rows (they wait at most one chunk). Quarantined rows follow the platform default.
    """
    from networks.models import Network
    from ocpp_gateway.models import Message, QuarantinedRow

    now = now or timezone.now()
    default_days = default_days or settings.MESSAGE_RETENTION_DAYS
    chunk = chunk or settings.MESSAGE_PRUNE_CHUNK
    result = PruneResult()

    by_days: dict[int, list[int]] = {}
    for network_id, days in Network.objects.filter(message_retention_days__isnull=False).values_list(
        "id", "message_retention_days"
    ):
        by_days.setdefault(days, []).append(network_id)
    overridden = [network_id for ids in by_days.values() for network_id in ids]
    passes = [
        Message.objects.filter(time__lt=now - timedelta(days=days), station__network_id__in=ids)
        for days, ids in sorted(by_days.items())
    ]
    passes.append(Message.objects.filter(time__lt=now - timedelta(days=default_days)).exclude(station__network_id__in=overridden))
    for queryset in passes:
        result.deleted += _delete_in_chunks(queryset, model=Message, chunk=chunk, pause=pause, dry_run=dry_run, result=result)
    result.quarantined_deleted = _delete_in_chunks(
        QuarantinedRow.objects.filter(time__lt=now - timedelta(days=default_days)),
        model=QuarantinedRow, chunk=chunk, pause=pause, dry_run=dry_run, result=result,
    )
    if result.deleted or result.quarantined_deleted:
        logger.info("Pruned %d message-log rows and %d quarantined rows in %d chunks", result.deleted, result.quarantined_deleted, result.chunks)
    return result


def _delete_in_chunks(queryset, *, model, chunk: int, pause: float, dry_run: bool, result: PruneResult) -> int:
    if dry_run:
        return queryset.count()
    deleted = 0
    while True:
        # The ids first (through the time index), then a DELETE by primary key: the write
        # transaction holds the database only for the chunk itself.
        ids = list(queryset.order_by().values_list("id", flat=True)[:chunk])
        if not ids:
            return deleted
        with transaction.atomic():
            model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        result.chunks += 1
        if len(ids) < chunk:
            return deleted
        if pause:
            time.sleep(pause)
