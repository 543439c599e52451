"""The gateway's N-block handlers, mixed into ocpp_gateway's ChargePoint201 (OCPP 2.0.1 only).

NotifyMonitoringReport (N02) and NotifyCustomerInformation (N09/N10): every number is bounded
(stations.bounds) before anything is stored; the answer goes once the part is stored.
NotifyEvent stays in ocpp_gateway.v201 (station events, stations.services.station_events_record);
its numbers are checked here first (notify_event_bounded).
"""
from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from monitoring.services import ReportedMonitor, customer_information_store, monitoring_report_store
from stations import bounds
from stations.services import parse_ocpp_datetime

# Monitors one NotifyMonitoringReport may carry: stations page reports by ItemsPerMessage (tens);
# past this a frame is refused (OccurrenceConstraintViolation) rather than stored row by row. The
# frame limit (64 KiB) alone would let about 700 through.
MAX_MONITORS_PER_FRAME = 500
MAX_REQUEST_ID = 2**63 - 1
MAX_MONITOR_VALUE = 1e12
MAX_CUSTOMER_PARTS = 2000


# Events one NotifyEvent may carry (N07, N08): a station reports what changed at one moment; the
# frame limit (64 KiB) alone would let about 300 through.
MAX_EVENTS_PER_FRAME = 200
MAX_EVENT_ID = 2**31 - 1


def notify_event_bounded(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """NotifyEvent's eventData with its numbers checked (stations.bounds) before it is stored as station
    events: ids a later event or a monitor refers to, the EVSE and connector, the part's seqNo."""
    bounds.bounded_int(payload["seqNo"], field="seqNo", low=0, high=bounds.MAX_SEQ_NO)
    events = payload["eventData"]
    if len(events) > MAX_EVENTS_PER_FRAME:
        raise bounds.TooMany("eventData", len(events), MAX_EVENTS_PER_FRAME, ocpp_version="2.0.1")
    for event in events:
        bounds.bounded_int(event["eventId"], field="eventData.eventId", low=0, high=MAX_EVENT_ID)
        for name in ("cause", "variableMonitoringId"):
            if name in event:
                bounds.bounded_int(event[name], field=f"eventData.{name}", low=0, high=MAX_EVENT_ID)
        evse = event["component"].get("evse")
        if evse:
            bounds.evse_id(evse["id"], field="eventData.component.evse.id")
            if "connectorId" in evse:
                bounds.connector_id(evse["connectorId"], field="eventData.component.evse.connectorId")
    return events


def _monitors(monitoring_data: list[dict[str, Any]]) -> list[ReportedMonitor]:
    count = sum(len(item.get("variableMonitoring") or []) for item in monitoring_data)
    if count > MAX_MONITORS_PER_FRAME:
        raise bounds.TooMany("monitor.variableMonitoring", count, MAX_MONITORS_PER_FRAME, ocpp_version="2.0.1")
    monitors = []
    for item in monitoring_data:
        component, variable = item["component"], item["variable"]
        evse = component.get("evse") or {}
        evse_id = bounds.evse_id(evse["id"], field="component.evse.id") if evse else None
        connector_id = bounds.connector_id(evse["connectorId"], field="component.evse.connectorId") if "connectorId" in evse else None
        for monitor in item.get("variableMonitoring") or []:
            monitors.append(
                ReportedMonitor(
                    monitor_id=bounds.bounded_int(monitor["id"], field="variableMonitoring.id", low=0, high=2**31 - 1),
                    component=component["name"],
                    component_instance=component.get("instance") or "",
                    evse_id=evse_id,
                    connector_id=connector_id,
                    variable=variable["name"],
                    variable_instance=variable.get("instance") or "",
                    monitor_type=monitor["type"],
                    value=bounds.bounded_float(monitor["value"], field="variableMonitoring.value", low=-MAX_MONITOR_VALUE, high=MAX_MONITOR_VALUE),
                    severity=bounds.bounded_int(monitor["severity"], field="variableMonitoring.severity", low=0, high=9),
                    transaction=bool(monitor.get("transaction")),
                )
            )
    return monitors


class MonitoringHandlers201:
    """The consumer's ChargePoint provides consumer and payload (the CALL's camelCase payload)."""

    @on(Action.notify_monitoring_report)
    async def on_notify_monitoring_report(self, **kwargs):
        payload = self.payload
        await database_sync_to_async(monitoring_report_store)(
            station=self.consumer.station,
            request_id=bounds.bounded_int(payload["requestId"], field="requestId", low=-MAX_REQUEST_ID, high=MAX_REQUEST_ID),
            seq_no=bounds.bounded_int(payload["seqNo"], field="seqNo", low=0, high=bounds.MAX_SEQ_NO),
            monitors=_monitors(payload.get("monitor") or []),
        )
        return call_result.NotifyMonitoringReport()

    @on(Action.notify_customer_information)
    async def on_notify_customer_information(self, **kwargs):
        payload = self.payload
        await database_sync_to_async(customer_information_store)(
            station=self.consumer.station,
            request_id=bounds.bounded_int(payload["requestId"], field="requestId", low=-MAX_REQUEST_ID, high=MAX_REQUEST_ID),
            # 512 characters a part: 2,000 parts are a megabyte about one customer.
            seq_no=bounds.bounded_int(payload["seqNo"], field="seqNo", low=0, high=MAX_CUSTOMER_PARTS - 1),
            tbc=bool(payload.get("tbc", False)),
            data=payload["data"],
            generated_at=parse_ocpp_datetime(payload.get("generatedAt")),
        )
        return call_result.NotifyCustomerInformation()
