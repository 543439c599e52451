"""OCPP 1.6 handlers: each calls one service and builds the answer the 1.6 JSON schema wants."""
from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from certificates.gateway import CertificateHandlers16
from diagnostics.gateway import LogHandlers16
from firmware.gateway import FirmwareHandlers16
from firmware.services import firmware_status_notification
from ocpp_gateway.data_transfer import data_transfer_received
from ocpp_gateway.protocol import GatewayChargePoint
from ocpp_gateway.timeutil import now_iso
from ocpp_gateway.write_buffer import buffer as write_buffer
from sessions import readings, services as sessions
from smartcharging.gateway import SmartChargingHandlers16
from reservations.gateway import ReservationHandlers
from stations import bounds
from tariffs.services import transaction_cost_store
from stations.services import (
    StatusReport,
    parse_ocpp_datetime,
    station_boot,
    station_configuration_store,
    station_events_record,
)

logger = logging.getLogger(__name__)


# CertificateHandlers16: SignCertificate / CertificateSigned (certificates app); LogHandlers16: Diagnostics/
# LogStatusNotification (diagnostics app); FirmwareHandlers16: SignedFirmwareStatusNotification.
class ChargePoint16(
    CertificateHandlers16, LogHandlers16, FirmwareHandlers16, SmartChargingHandlers16, ReservationHandlers,
    GatewayChargePoint, ChargePoint
):
    read_configuration_after_boot = True

    @on(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor: str, charge_point_model: str, **kwargs):
        answer = await database_sync_to_async(station_boot)(
            station=self.consumer.station,
            ocpp_version="1.6",
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=kwargs.get("charge_point_serial_number") or kwargs.get("charge_box_serial_number") or "",
            firmware_version=kwargs.get("firmware_version") or "",
        )
        self.consumer.boot_answered(answer.status)
        self.read_configuration_after_boot = answer.read_configuration
        # Accepted: the heartbeat interval; Pending/Rejected: the minimum wait before the next boot (1.6 §4.2).
        return call_result.BootNotification(current_time=now_iso(), interval=answer.interval, status=answer.status)

    @after(Action.boot_notification)
    def after_boot_notification(self, **kwargs) -> None:
        if self.configuration_read_due():
            self.start_read_after_boot(self.read_configuration)

    async def read_configuration(self) -> None:
        """GetConfiguration with no keys: the station reports every key it has (1.6 §5.8)."""
        try:
            result = await self.call(call.GetConfiguration(), suppress=False)
        except (asyncio.TimeoutError, OCPPError) as exc:
            logger.warning("%s: GetConfiguration failed: %r", self.id, exc)
            return
        keys = [
            {"key": k["key"], "readonly": k.get("readonly", False), "value": k.get("value", "")}
            for k in result.configuration_key or []
        ]
        await database_sync_to_async(station_configuration_store)(station=self.consumer.station, keys=keys)

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kwargs):
        # last_seen is set for every incoming frame by the message log's batched flush.
        return call_result.Heartbeat(current_time=now_iso())

    @on(Action.status_notification)
    async def on_status_notification(self, connector_id: int, error_code: str, status: str, **kwargs):
        # 1.6 connectorId 0 is the charge point itself (EVSE 0); connector N is EVSE N's only connector.
        connector_id = bounds.evse_id(connector_id, field="connectorId")
        await write_buffer.add(
            StatusReport(
                station=self.consumer.station,
                evse_id=connector_id,
                connector_id=connector_id or None,
                status=status,
                at=parse_ocpp_datetime(kwargs.get("timestamp")),
                error_code=error_code,
                error_info=kwargs.get("info") or "",
                vendor_error_code=kwargs.get("vendor_error_code") or "",
            )
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str, **kwargs):
        status = await database_sync_to_async(sessions.id_token_authorize)(station=self.consumer.station, id_token=id_tag)
        return call_result.Authorize(id_tag_info=sessions.id_tag_info_v16(status))

    @on(Action.start_transaction)
    async def on_start_transaction(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs):
        report = readings.start_transaction_report(
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            timestamp=timestamp,
            reservation_id=kwargs.get("reservation_id"),
        )
        # The session and its connector must see this station's earlier reports (write_buffer).
        await write_buffer.flush()
        transaction_id, status = await database_sync_to_async(sessions.transaction_start_v16)(
            station=self.consumer.station, report=report
        )
        await self.reservation_used_by(reservation_id=report.reservation_id, transaction_id=transaction_id)
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=sessions.id_tag_info_v16(status))

    @on(Action.stop_transaction)
    async def on_stop_transaction(self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs):
        transaction_data = self.payload.get("transactionData")
        report = await readings.off_loop_if_large(
            lambda: readings.stop_transaction_report(
                transaction_id=transaction_id,
                meter_stop=meter_stop,
                timestamp=timestamp,
                reason=kwargs.get("reason"),
                id_tag=kwargs.get("id_tag"),
                transaction_data=transaction_data,
            ),
            size=readings.parse_cost(transaction_data),
        )
        # The session's meter values queued before this stop are merged first (write_buffer).
        await write_buffer.flush()
        status = await database_sync_to_async(sessions.transaction_stop_v16)(station=self.consumer.station, report=report)
        # The session's final price under its tariff (1.6 has no field for it: API, CSV and console show it).
        await database_sync_to_async(transaction_cost_store)(station_id=self.consumer.station.pk, transaction_id=transaction_id)
        return call_result.StopTransaction(id_tag_info=sessions.id_tag_info_v16(status) if status else None)

    @on(Action.meter_values)
    async def on_meter_values(self, connector_id: int, **kwargs):
        meter_value = self.payload["meterValue"]
        # Bounded before anything computes on it (stations.bounds): out of range is a CALLERROR.
        report = await readings.off_loop_if_large(
            lambda: readings.meter_report(
                station=self.consumer.station,
                ocpp_version="1.6",
                evse_id=connector_id,
                transaction_id=kwargs.get("transaction_id"),
                meter_value=meter_value,
            ),
            size=readings.parse_cost(meter_value),
        )
        if report.readings or report.ignored:
            await write_buffer.add(report)
        return call_result.MeterValues()

    @on(Action.security_event_notification)
    async def on_security_event_notification(self, **kwargs):
        await database_sync_to_async(station_events_record)(
            station=self.consumer.station, source="SecurityEventNotification", events=[self.payload]
        )
        return call_result.SecurityEventNotification()

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs):
        # UnknownVendorId unless the vendor is configured (OCPP_DATA_TRANSFER_VENDORS; 1.6 §4.3, 2.0.1 P02).
        status = await database_sync_to_async(data_transfer_received)(
            station=self.consumer.station, vendor_id=vendor_id, message_id=kwargs.get("message_id"), data=self.payload.get("data")
        )
        return call_result.DataTransfer(status=status)

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str, **kwargs):
        # 1.6 §4.5 has no requestId: the firmware app matches the station's update in progress.
        await database_sync_to_async(firmware_status_notification)(station=self.consumer.station, status=status)
        return call_result.FirmwareStatusNotification()
