"""The simulated station's reservations (1.6 §5.13/§5.3, 2.0.1 H01–H04): it holds what it accepted,
shows the connector Reserved, releases it on cancel, and at expiry (2.0.1: ReservationStatusUpdate)."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201, call_result as result201


class ReservationMixin:
    #: What the station answers to ReserveNow (Accepted, Faulted, Occupied, Rejected, Unavailable).
    reservation_answer = "Accepted"

    def _reservations(self) -> dict[int, dict[str, Any]]:
        if not hasattr(self, "_held_reservations"):
            self._held_reservations: dict[int, dict[str, Any]] = {}
        return self._held_reservations

    def reserve(self, reservation_id: int, connector_id: int, expiry: str, **details: Any) -> str:
        if self.reservation_answer != "Accepted":
            return self.reservation_answer
        connector_id = connector_id or next(iter(self.connectors))
        held = self._reservations()
        previous = held.pop(reservation_id, None)
        if previous is not None and previous.get("expiry_task"):
            previous["expiry_task"].cancel()
        held[reservation_id] = {"connector_id": connector_id, "expiry": expiry, **details}
        self.connectors[connector_id].status = "Reserved"
        self.spawn(self.send_status(connector_id))
        delay = (datetime.fromisoformat(expiry.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds()
        held[reservation_id]["expiry_task"] = self.spawn(self._expire(reservation_id, max(delay, 0)))
        return "Accepted"

    def release(self, reservation_id: int) -> bool:
        held = self._reservations().pop(reservation_id, None)
        if held is None:
            return False
        task = held.get("expiry_task")
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        connector = self.connectors[held["connector_id"]]
        if connector.status == "Reserved":
            connector.status = "Available"
            self.spawn(self.send_status(held["connector_id"]))
        return True

    async def _expire(self, reservation_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        if self.release(reservation_id):
            await self.reservation_expired(reservation_id)

    async def reservation_expired(self, reservation_id: int) -> None:
        """1.6 has no message for it: the connector's status change says it."""


class ReservationMixin16(ReservationMixin):
    @on("ReserveNow")
    def on_reserve_now(self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **kwargs):
        self.record("ReserveNow", {"connector_id": connector_id, "reservation_id": reservation_id, "id_tag": id_tag, **kwargs})
        return result16.ReserveNow(status=self.reserve(reservation_id, connector_id, expiry_date, id_tag=id_tag))

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **kwargs):
        self.record("CancelReservation", {"reservation_id": reservation_id})
        return result16.CancelReservation(status="Accepted" if self.release(reservation_id) else "Rejected")


class ReservationMixin201(ReservationMixin):
    @on("ReserveNow")
    def on_reserve_now(self, id: int, expiry_date_time: str, id_token: dict, evse_id: int | None = None, **kwargs):
        self.record("ReserveNow", {"id": id, "evse_id": evse_id, "id_token": id_token, **kwargs})
        return result201.ReserveNow(status=self.reserve(id, evse_id or 0, expiry_date_time, id_token=id_token))

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **kwargs):
        self.record("CancelReservation", {"reservation_id": reservation_id})
        return result201.CancelReservation(status="Accepted" if self.release(reservation_id) else "Rejected")

    async def reservation_expired(self, reservation_id: int) -> None:
        await self.request(call201.ReservationStatusUpdate(reservation_id=reservation_id, reservation_update_status="Expired"))
