"""The gateway's firmware handlers that only some versions have, mixed into ocpp_gateway's ChargePoint16.

1.6 Security Whitepaper SignedFirmwareStatusNotification: the progress of a SignedUpdateFirmware,
named by its requestId like 2.0.1's FirmwareStatusNotification.
"""
from __future__ import annotations

from channels.db import database_sync_to_async
from ocpp.routing import on
from ocpp.v16 import call_result as result16

from firmware.services import firmware_status_notification


class FirmwareHandlers16:
    @on("SignedFirmwareStatusNotification")
    async def on_signed_firmware_status_notification(self, status: str, request_id: int | None = None, **kwargs):
        await database_sync_to_async(firmware_status_notification)(
            station=self.consumer.station, status=status, request_id=request_id
        )
        return result16.SignedFirmwareStatusNotification()
