"""The gateway's log-upload handlers, mixed into ocpp_gateway's ChargePoint16 / ChargePoint201.

Each acknowledges only once the status is stored (diagnostics.services.log_status_notification).
"""
from __future__ import annotations

from channels.db import database_sync_to_async
from ocpp.routing import on
from ocpp.v16 import call_result as result16
from ocpp.v201 import call_result as result201

from diagnostics.services import log_status_notification


class LogHandlers16:
    @on("DiagnosticsStatusNotification")
    async def on_diagnostics_status_notification(self, status: str, **kwargs):
        # 1.6 §4.4: no requestId; the station's newest GetDiagnostics in progress is the one meant.
        await database_sync_to_async(log_status_notification)(
            station=self.consumer.station, source="DiagnosticsStatusNotification", status=status
        )
        return result16.DiagnosticsStatusNotification()

    @on("LogStatusNotification")
    async def on_log_status_notification(self, status: str, request_id: int | None = None, **kwargs):
        # 1.6 Security Whitepaper: the GetLog upload's progress, named by requestId.
        await database_sync_to_async(log_status_notification)(
            station=self.consumer.station, source="LogStatusNotification", status=status, request_id=request_id
        )
        return result16.LogStatusNotification()


class LogHandlers201:
    @on("LogStatusNotification")
    async def on_log_status_notification(self, status: str, request_id: int | None = None, **kwargs):
        # 2.0.1 N01: requestId is absent only for a triggered report while idle.
        await database_sync_to_async(log_status_notification)(
            station=self.consumer.station, source="LogStatusNotification", status=status, request_id=request_id
        )
        return result201.LogStatusNotification()
