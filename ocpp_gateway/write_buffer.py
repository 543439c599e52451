"""The gateway's batched writes: StatusNotification and MeterValues, the way the message log batches frames.

Each of these frames used to cost its own database call and transaction (~1 ms of CPU on the one
database thread), which capped the gateway far below the bare `ocpp` server. Their answers do not
depend on the write (StatusNotification.conf and MeterValues.conf are empty in 1.6 and 2.0.1),
so the handler validates, enqueues and answers; a flusher per process writes
what accumulated every FLUSH_INTERVAL seconds (or FLUSH_SIZE reports) in ONE database call and
ONE transaction: statuses coalesced per connector/EVSE, samples in one executemany INSERT, each affected
session's energy and peak power updated once.

Consistency: handlers that read what these reports write (StartTransaction, StopTransaction,
TransactionEvent, and remote actions that check for a running session) call ``flush()`` first;
``flush()`` also waits for a batch already being written, so afterwards every earlier report of
every station is committed. The buffer is flushed on disconnect and at exit (atexit).

What a hard crash (SIGKILL, power loss) can lose: the reports of at most one flush interval (or
MAX_PENDING reports), i.e. connector statuses and meter samples the station was already told were
received. Never a transaction start or stop: those stay synchronous, answered after their commit,
and they fold their own meter readings into the session. A lost status is repaired by the
station's next StatusNotification; a lost sample only thins the chart.

Backpressure: when the database falls behind and MAX_PENDING reports are waiting, the handler
awaits the flush before answering, so memory stays bounded and the station's answer is as slow as
the database really is.
"""
from __future__ import annotations

import atexit
import logging

from ocpp_gateway.batching import BatchWriter
from sessions.services import MeterReport, meter_values_record
from stations.services import StatusReport, station_statuses_notify

logger = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.5
FLUSH_SIZE = 500
# Over this many waiting reports a handler awaits the flush instead of answering at once.
MAX_PENDING = 5000

Report = StatusReport | MeterReport


class WriteBuffer(BatchWriter[Report]):
    what = "the gateway's status and meter reports"

    def __init__(self) -> None:
        super().__init__()
        self.max_pending = MAX_PENDING

    def interval(self) -> float:
        return FLUSH_INTERVAL

    def size(self) -> int:
        return FLUSH_SIZE

    def write(self, items: list[Report]) -> None:
        write_reports(items)

    async def add(self, report: Report) -> None:
        """Queue one report; returns at once unless MAX_PENDING reports are waiting (then after a flush)."""
        if self._queue(report) >= self.max_pending:
            await self.flush()


def write_reports(reports: list[Report]) -> None:
    """One batch, one transaction. Should the batch fail (a row the batch cannot write), each
    report is retried on its own so that one bad report does not cost the others."""
    from django.db import transaction

    statuses = [r for r in reports if isinstance(r, StatusReport)]
    meters = [r for r in reports if isinstance(r, MeterReport)]
    try:
        with transaction.atomic():
            station_statuses_notify(reports=statuses)
            meter_values_record(reports=meters)
    except Exception:
        logger.exception("A batch of %d reports failed; writing them one by one", len(reports))
        for report in reports:
            try:
                if isinstance(report, StatusReport):
                    station_statuses_notify(reports=[report])
                else:
                    meter_values_record(reports=[report])
            except Exception:
                logger.exception("Dropped a report of station %s", report.station.pk)


buffer = WriteBuffer()


# Registered after the message log's hook (consumers imports that module first), so it runs
# before it: atexit runs hooks last in, first out.
_flush_at_exit = buffer.flush_at_exit
atexit.register(_flush_at_exit)
