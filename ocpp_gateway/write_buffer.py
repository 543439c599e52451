"""The gateway's batched writes: StatusNotification and MeterValues, the way the message log batches frames.

Each of these frames used to cost its own database call and transaction (~1 ms of CPU on the one
database thread), which capped the gateway far below the bare `ocpp` server. Now the handler
validates and queues a report; the flusher (ocpp_gateway.batching, group commit) writes what
accumulated in ONE database call and ONE transaction: statuses coalesced per connector/EVSE,
samples in one executemany INSERT, each affected session's energy and peak power updated once.

Acknowledged means durable: ``add()`` returns only once the batch holding the report has
committed, and only then does the handler answer. A hard crash (SIGKILL, power loss) therefore
loses only reports the station was never answered for, and it sends those again.

Consistency: handlers that read what these reports write (StartTransaction, StopTransaction,
TransactionEvent, and remote actions that check for a running session) call ``flush()`` first;
``flush()`` also waits for a batch already being written, so afterwards every earlier report of
every station is committed. The buffer is flushed on disconnect and at exit (atexit).

A report the database refuses (its station deleted meanwhile, a value out of a column's range)
is quarantined alone (ocpp_gateway.batching): the other stations' reports in its batch are written.
"""
from __future__ import annotations

import atexit
import dataclasses
import logging
from typing import Any

from ocpp_gateway.batching import BatchWriter
from sessions.services import MeterReport, meter_values_record
from stations.services import StatusReport, station_statuses_notify

logger = logging.getLogger(__name__)

FLUSH_SIZE = 500

Report = StatusReport | MeterReport


class WriteBuffer(BatchWriter[Report]):
    what = "the gateway's status and meter reports"

    def kind_of(self, item: Report) -> str:
        return "status" if isinstance(item, StatusReport) else "meter"

    def size(self) -> int:
        return FLUSH_SIZE

    def write(self, items: list[Report]) -> None:
        write_reports(items)

    def describe(self, item: Report) -> tuple[int | None, dict[str, Any]]:
        data = {
            field.name: getattr(item, field.name) for field in dataclasses.fields(item) if field.name != "station"
        }
        if isinstance(item, MeterReport):
            data["readings"] = [dataclasses.asdict(r) for r in item.readings]
        data["station_identity"] = item.station.identity
        return item.station.pk, data

    async def add(self, report: Report) -> None:
        """Queue one report; return once the batch holding it has committed (or quarantined it)."""
        await self.wait(self._queue(report))


def write_reports(reports: list[Report]) -> None:
    """One batch, one transaction (a failure rolls back all of it: the caller isolates the bad report)."""
    from django.db import transaction

    with transaction.atomic():
        station_statuses_notify(reports=[r for r in reports if isinstance(r, StatusReport)])
        meter_values_record(reports=[r for r in reports if isinstance(r, MeterReport)])


buffer = WriteBuffer()


# Registered after the message log's hook (consumers imports that module first), so it runs
# before it: atexit runs hooks last in, first out.
_flush_at_exit = buffer.flush_at_exit
atexit.register(_flush_at_exit)
