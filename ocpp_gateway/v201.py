"""OCPP 2.0.1 handlers: each calls one service and builds the answer the 2.0.1 JSON schema wants."""
from __future__ import annotations

import asyncio
import logging
import random

from channels.db import database_sync_to_async
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from certificates.gateway import CertificateHandlers201
from diagnostics.gateway import LogHandlers201
from displays.gateway import DisplayHandlers201
from firmware.services import firmware_status_notification
from monitoring.gateway import MonitoringHandlers201, notify_event_bounded
from ocpp_gateway.device_actions import notify_report_received
from ocpp_gateway.data_transfer import data_transfer_received
from ocpp_gateway.protocol import GatewayChargePoint
from ocpp_gateway.timeutil import now_iso
from ocpp_gateway.write_buffer import buffer as write_buffer
from sessions import readings, services as sessions
from smartcharging.gateway import SmartChargingHandlers201
from reservations.gateway import ReservationHandlers201
from stations import bounds
from tariffs.gateway import CostHandlers201
from stations.services import (
    StatusReport,
    parse_ocpp_datetime,
    station_boot,
    station_events_record,
)

logger = logging.getLogger(__name__)


# CertificateHandlers201: SignCertificate / CertificateSigned (certificates app); LogHandlers201:
# LogStatusNotification (diagnostics app).
class ChargePoint201(
    CertificateHandlers201, LogHandlers201, SmartChargingHandlers201, MonitoringHandlers201, DisplayHandlers201, CostHandlers201, ReservationHandlers201,
    GatewayChargePoint, ChargePoint
):
    read_configuration_after_boot = True
    base_report_request_id: int | None = None

    @on(Action.boot_notification)
    async def on_boot_notification(self, charging_station: dict, reason: str, **kwargs):
        answer = await database_sync_to_async(station_boot)(
            station=self.consumer.station,
            ocpp_version="2.0.1",
            vendor=charging_station["vendor_name"],
            model=charging_station["model"],
            serial_number=charging_station.get("serial_number") or "",
            firmware_version=charging_station.get("firmware_version") or "",
        )
        self.consumer.boot_answered(answer.status)
        self.read_configuration_after_boot = answer.read_configuration
        return call_result.BootNotification(current_time=now_iso(), interval=answer.interval, status=answer.status)

    @after(Action.boot_notification)
    def after_boot_notification(self, **kwargs) -> None:
        if self.configuration_read_due():
            self.start_read_after_boot(self.read_device_model)

    async def read_device_model(self) -> None:
        """GetBaseReport FullInventory; the data arrives in NotifyReport parts (2.0.1 B07)."""
        self.base_report_request_id = random.randint(1, 2**31 - 1)
        try:
            result = await self.call(
                call.GetBaseReport(request_id=self.base_report_request_id, report_base="FullInventory"),
                suppress=False,
            )
        except (asyncio.TimeoutError, OCPPError) as exc:
            logger.warning("%s: GetBaseReport failed: %r", self.id, exc)
            return
        if result.status != "Accepted":
            logger.warning("%s: GetBaseReport answered %s", self.id, result.status)

    @on(Action.notify_report)
    async def on_notify_report(self, request_id: int, seq_no: int, **kwargs):
        # Stored with its report (the boot read's or an operator's GetBaseReport / GetReport).
        await database_sync_to_async(notify_report_received)(
            station=self.consumer.station, payload=self.payload, boot_request_id=self.base_report_request_id
        )
        return call_result.NotifyReport()

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs):
        # last_seen is set for every incoming frame by the message log's batched flush.
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    async def on_status_notification(self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **kwargs):
        await write_buffer.add(
            StatusReport(
                station=self.consumer.station,
                evse_id=bounds.evse_id(evse_id),
                connector_id=bounds.connector_id(connector_id),
                status=connector_status,
                at=parse_ocpp_datetime(timestamp),
            )
        )
        return call_result.StatusNotification()

    @on(Action.notify_event)
    async def on_notify_event(self, **kwargs):
        await database_sync_to_async(station_events_record)(
            station=self.consumer.station, source="NotifyEvent", events=notify_event_bounded(self.payload)
        )
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    async def on_security_event_notification(self, **kwargs):
        await database_sync_to_async(station_events_record)(
            station=self.consumer.station, source="SecurityEventNotification", events=[self.payload]
        )
        return call_result.SecurityEventNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_token: dict, **kwargs):
        status = await database_sync_to_async(sessions.id_token_authorize)(
            station=self.consumer.station, id_token=id_token["id_token"], token_type=id_token["type"]
        )
        return call_result.Authorize(id_token_info=sessions.id_token_info_v201(status))

    @on(Action.transaction_event)
    async def on_transaction_event(self, **kwargs):
        payload = self.payload
        # Bounded before anything computes on it (stations.bounds): out of range is a CALLERROR.
        report = await readings.off_loop_if_large(
            lambda: readings.transaction_event_report(payload=payload),
            size=readings.parse_cost(payload.get("meterValue")),
        )
        # The session must see this station's earlier meter values and statuses (write_buffer).
        await write_buffer.flush()
        status = await database_sync_to_async(sessions.transaction_event_v201)(
            station=self.consumer.station, report=report
        )
        await self.reservation_used_by(reservation_id=payload.get("reservationId"), transaction_id=report.transaction_id)
        total_cost = await self.transaction_cost(report)
        return call_result.TransactionEvent(
            id_token_info=sessions.id_token_info_v201(status) if status else None, total_cost=total_cost
        )

    @on(Action.meter_values)
    async def on_meter_values(self, evse_id: int, **kwargs):
        meter_value = self.payload["meterValue"]
        # Bounded before anything computes on it (stations.bounds): out of range is a CALLERROR.
        report = await readings.off_loop_if_large(
            lambda: readings.meter_report(
                station=self.consumer.station,
                ocpp_version="2.0.1",
                evse_id=evse_id,
                transaction_id=None,
                meter_value=meter_value,
            ),
            size=readings.parse_cost(meter_value),
        )
        if report.readings or report.ignored:
            await write_buffer.add(report)
        return call_result.MeterValues()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs):
        # UnknownVendorId unless the vendor is configured (OCPP_DATA_TRANSFER_VENDORS; 1.6 §4.3, 2.0.1 P02).
        status = await database_sync_to_async(data_transfer_received)(
            station=self.consumer.station, vendor_id=vendor_id, message_id=kwargs.get("message_id"), data=self.payload.get("data")
        )
        return call_result.DataTransfer(status=status)

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str, request_id: int | None = None, **kwargs):
        # 2.0.1 L01: requestId names the update (absent only for a triggered report while idle).
        await database_sync_to_async(firmware_status_notification)(
            station=self.consumer.station, status=status, request_id=request_id
        )
        return call_result.FirmwareStatusNotification()
