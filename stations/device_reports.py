"""Writes of what a station reports about its configuration when asked by an operator.

2.0.1 NotifyReport parts of a GetBaseReport / GetReport (B07/B08) by requestId, GetVariables results
(B06), and 1.6 GetConfiguration keys (§5.8). Secret values (stations.configuration) are never kept.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from stations import bounds
from stations.configuration import configuration_store, configuration_value_is_secret
from stations.models import ConfigurationKey, DeviceModelReport, Station
from stations.services import station_device_model_store

MAX_REQUEST_ID = 2**31 - 1


def device_model_report_part(
    *,
    station: Station,
    request_id: Any,
    seq_no: Any,
    tbc: bool,
    generated_at: datetime | None,
    report_data: list[dict[str, Any]],
    replace: bool,
    report_base: str = "",
) -> DeviceModelReport:
    """Store one NotifyReport part: its variables into the device model, its count on the report row.

    ``replace`` (the first part of a FullInventory) drops what earlier reports left behind. The row
    may not exist yet: the part can arrive before the request's answer has been recorded.
    """
    request_id = bounds.bounded_int(request_id, field="requestId", low=0, high=MAX_REQUEST_ID)
    seq_no = bounds.bounded_int(seq_no, field="seqNo", low=0, high=bounds.MAX_SEQ_NO)
    with transaction.atomic():
        stored = station_device_model_store(station=station, report_data=report_data, replace=replace and seq_no == 0)
        report, _ = DeviceModelReport.objects.select_for_update().get_or_create(
            station=station, request_id=request_id, defaults={"report_base": report_base}
        )
        report.parts += 1
        report.variables += stored
        report.generated_at = report.generated_at or generated_at
        if not tbc:
            report.complete = True
        if report_base and not report.report_base:
            report.report_base = report_base
        report.save()
    return report


def device_model_report_requested(*, station: Station, request_id: int, report_base: str) -> DeviceModelReport:
    """The station accepted a report request: the row exists even before (or without) any part."""
    report, created = DeviceModelReport.objects.get_or_create(
        station=station, request_id=request_id, defaults={"report_base": report_base}
    )
    if not created and report.report_base != report_base:
        report.report_base = report_base
        report.save(update_fields=["report_base", "updated_at"])
    return report


def device_model_values_store(*, station: Station, results: list[dict[str, Any]]) -> int:
    """GetVariablesResult entries (camelCase, as answered): every Accepted value becomes the stored one."""
    stored = 0
    with transaction.atomic():
        for result in results:
            if result.get("attributeStatus") != "Accepted" or "attributeValue" not in result:
                continue
            component, variable = result.get("component") or {}, result.get("variable") or {}
            evse = component.get("evse") or {}
            if configuration_value_is_secret(component=component.get("name", ""), variable=variable.get("name", "")):
                continue
            configuration_store(
                station=station,
                parameters={
                    "component": component.get("name", "")[:50],
                    "component_instance": (component.get("instance") or "")[:50],
                    "evse_id": None if evse.get("id") is None else bounds.evse_id(evse["id"], field="component.evse.id"),
                    "connector_id": None
                    if evse.get("connectorId") is None
                    else bounds.connector_id(evse["connectorId"], field="component.evse.connectorId"),
                    "variable": variable.get("name", "")[:50],
                    "variable_instance": (variable.get("instance") or "")[:50],
                    "attribute_type": result.get("attributeType") or "Actual",
                    "value": str(result.get("attributeValue", "")),
                },
            )
            stored += 1
    return stored


def configuration_keys_merge(*, station: Station, keys: list[dict[str, Any]]) -> int:
    """1.6 GetConfiguration.conf for named keys: upsert those, keep the others (all keys replace instead)."""
    with transaction.atomic():
        for item in keys:
            key = str(item.get("key", ""))[:50]
            if not key:
                continue
            ConfigurationKey.objects.update_or_create(
                station=station,
                key=key,
                defaults={
                    # A secret the station discloses (AuthorizationKey) is not kept.
                    "value": "" if configuration_value_is_secret(key=key) else str(item.get("value") or ""),
                    "readonly": bool(item.get("readonly", False)),
                },
            )
    return len(keys)
