"""The gateway's reservation messages: mixed into the ChargePoint classes of ocpp_gateway."""
from __future__ import annotations

from channels.db import database_sync_to_async
from ocpp.routing import on
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from reservations.services import reservation_status_update, reservation_used
from stations import bounds


class ReservationHandlers:
    """Both versions: a transaction that names a reservation ends it (1.6 §5.13, 2.0.1 H03)."""

    async def reservation_used_by(self, *, reservation_id: object, transaction_id: str | int) -> None:
        if reservation_id is None:
            return
        reservation_id = bounds.request_id(reservation_id, field="reservationId")
        await database_sync_to_async(reservation_used)(
            station=self.consumer.station, reservation_id=reservation_id, transaction_id=transaction_id
        )


class ReservationHandlers201(ReservationHandlers):
    @on(Action201.reservation_status_update)
    async def on_reservation_status_update(self, reservation_id: int, reservation_update_status: str, **kwargs):
        # 2.0.1 H04: Expired or Removed; an id the platform does not know is answered all the same.
        await database_sync_to_async(reservation_status_update)(
            station=self.consumer.station,
            reservation_id=bounds.request_id(reservation_id, field="reservationId"),
            update_status=reservation_update_status,
        )
        return result201.ReservationStatusUpdate()
