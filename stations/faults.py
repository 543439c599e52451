"""Fault history (issue 16): which EVSE or connector reported which fault, from when until when.

Recorded from the StatusNotifications the gateway's write buffer applies, in the same transaction
(so a fault is stored before the frame is acknowledged). Only changes cost a write: the batch reads
its stations' open faults once; a repeated identical fault report writes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from stations.models import NO_ERROR_CODES, EquipmentStatus, StationFault
from switchplatform.prepared import batch_cursor, in_values

if TYPE_CHECKING:
    from stations.services import StatusReport

Key = tuple[int, int, int | None]


def report_is_fault(*, status: str, error_code: str) -> bool:
    """The rule of Equipment.is_faulted, for a report."""
    return status == EquipmentStatus.FAULTED or (error_code or "") not in NO_ERROR_CODES


def _signature(status: str, error_code: str, error_info: str, vendor_error_code: str) -> tuple[str, str, str, str]:
    return (status, (error_code or "")[:50], (error_info or "")[:500], (vendor_error_code or "")[:50])


def _open_fault_ids(station_ids: set[int]) -> list[int]:
    # Plain SQL: asked once per status batch and nearly always empty (switchplatform.prepared.in_values).
    where, params = in_values("station_id", station_ids)
    with batch_cursor() as cursor:
        cursor.execute(f"SELECT id FROM {StationFault._meta.db_table} WHERE cleared_at IS NULL AND {where}", params)
        return [row[0] for row in cursor.fetchall()]


def station_faults_record(*, reports: Iterable[StatusReport]) -> int:
    """Open, change or clear fault records for a batch of status reports; return rows written."""
    reports = sorted(reports, key=lambda r: r.at)
    if not reports:
        return 0
    station_ids = {r.station.pk for r in reports}
    open_ids = _open_fault_ids(station_ids)
    if not open_ids and not any(report_is_fault(status=r.status, error_code=r.error_code) for r in reports):
        return 0  # nearly every batch: nothing faulted, nothing open
    open_faults: dict[Key, StationFault] = {
        (f.station_id, f.evse_id, f.connector_id): f
        for f in StationFault.objects.filter(pk__in=open_ids).order_by("started_at")
    }
    to_close: dict[int, StationFault] = {}
    to_open: list[StationFault] = []
    for r in reports:
        key = (r.station.pk, r.evse_id, r.connector_id)
        current = open_faults.get(key)
        signature = _signature(r.status, r.error_code, r.error_info, r.vendor_error_code)
        if report_is_fault(status=r.status, error_code=r.error_code):
            if current is not None and _signature(
                current.status, current.error_code, current.error_info, current.vendor_error_code
            ) == signature:
                continue  # the same fault reported again
            if current is not None:
                _close(current, r, to_close)
            status, error_code, error_info, vendor_error_code = signature
            fault = StationFault(
                station_id=r.station.pk, evse_id=r.evse_id, connector_id=r.connector_id,
                status=status if status in EquipmentStatus.values else EquipmentStatus.UNKNOWN,
                error_code=error_code, error_info=error_info, vendor_error_code=vendor_error_code, started_at=r.at,
            )
            to_open.append(fault)
            open_faults[key] = fault
        elif current is not None:
            _close(current, r, to_close)
            del open_faults[key]
    written = 0
    saved_closes = [f for f in to_close.values() if f.pk is not None]
    if saved_closes:
        written += StationFault.objects.bulk_update(saved_closes, ["cleared_at", "cleared_by"])
    if to_open:
        StationFault.objects.bulk_create(to_open)
        written += len(to_open)
        _trim(station_ids={f.station_id for f in to_open})
    return written


def _close(fault: StationFault, report: StatusReport, to_close: dict[int, StationFault]) -> None:
    fault.cleared_at = report.at
    fault.cleared_by = report.status[:20]
    to_close[id(fault)] = fault


def _trim(*, station_ids: set[int]) -> None:
    """Keep each station's newest FAULT_HISTORY_PER_STATION records."""
    keep = settings.FAULT_HISTORY_PER_STATION
    for station_id in station_ids:
        old = list(
            StationFault.objects.filter(station_id=station_id).order_by("-started_at", "-id").values_list("id", flat=True)[
                keep:keep + 1000
            ]
        )
        if old:
            StationFault.objects.filter(id__in=old).delete()
