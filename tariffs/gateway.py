"""The gateway's cost messages (2.0.1 I02/I03): mixed into ocpp_gateway.v201.ChargePoint201."""
from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings
from ocpp.exceptions import OCPPError
from ocpp.v201 import call

from sessions.readings import TransactionEventReport
from tariffs.services import transaction_cost_store

logger = logging.getLogger(__name__)


class CostHandlers201:
    """The running total cost in CostUpdated while a transaction charges (I02.FR.01), and the final
    total cost in the answer to its Ended event (I03.FR.02)."""

    async def transaction_cost(self, report: TransactionEventReport) -> float | None:
        """Price the transaction after its event is stored; the Ended event's answer carries the total."""
        station_id = self.consumer.station.pk
        if report.event_type == "Ended":
            self._cost_updates().pop(report.transaction_id, None)
            cost = await database_sync_to_async(transaction_cost_store)(
                station_id=station_id, transaction_id=report.transaction_id
            )
            return None if cost is None else float(cost.total)
        # Updated events with meter values carry the charging's progress (TC_I_01: MeterValuePeriodic);
        # Started has nothing to price yet but the start fee.
        if report.event_type == "Updated" and report.readings and self._cost_update_due(report.transaction_id):
            cost = await database_sync_to_async(transaction_cost_store)(
                station_id=station_id, transaction_id=report.transaction_id
            )
            if cost is not None:
                total = float(cost.total)
                self.after_answer(lambda: self._cost_updated(report.transaction_id, total))
        return None

    def _cost_updates(self) -> dict[str, float]:
        if not hasattr(self, "_cost_updated_at"):
            self._cost_updated_at: dict[str, float] = {}
        return self._cost_updated_at

    def _cost_update_due(self, transaction_id: str) -> bool:
        # At most one CostUpdated per transaction and COST_UPDATED_INTERVAL: a meter value every
        # second must not cost a price computation and a CALL every second.
        sent = self._cost_updates()
        now = time.monotonic()
        if now - sent.get(transaction_id, -1e9) < settings.COST_UPDATED_INTERVAL:
            return False
        if len(sent) > 64:  # transactions that ended while the station was offline
            sent.clear()
        sent[transaction_id] = now
        return True

    async def _cost_updated(self, transaction_id: str, total: float) -> None:
        try:
            await self.call(call.CostUpdated(total_cost=total, transaction_id=transaction_id), suppress=False)
        except (asyncio.TimeoutError, OCPPError) as exc:
            logger.warning("%s: CostUpdated for %s failed: %r", self.id, transaction_id, exc)
