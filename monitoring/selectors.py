"""Reads of the monitoring app: every query starts from the models' ``for_user``."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from monitoring.models import CustomerInformationPart, MonitoringSettings, VariableMonitor
from stations.models import DeviceModelVariable, Station


def items_per_message(*, station: Station, message: str) -> int | None:
    """MonitoringCtrlr.ItemsPerMessage[<message>] as the station reported it (N04.FR.?, N06.FR.04):
    how many monitors or ids one SetVariableMonitoring / ClearVariableMonitoring may carry."""
    value = (
        DeviceModelVariable.objects.filter(
            station=station, component="MonitoringCtrlr", variable="ItemsPerMessage", variable_instance=message, attribute_type="Actual"
        )
        .values_list("value", flat=True)
        .first()
    )
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    return number if number and number > 0 else None


def station_monitors(*, user, station: Station) -> QuerySet[VariableMonitor]:
    return VariableMonitor.objects.for_user(user).filter(station=station).order_by("component", "evse_id", "variable", "monitor_id")


def station_monitoring_settings(*, user, station: Station) -> MonitoringSettings | None:
    return MonitoringSettings.objects.for_user(user).filter(station=station).first()


@dataclass
class CustomerReport:
    """NotifyCustomerInformation parts of one request, joined."""

    request_id: int
    parts: list[CustomerInformationPart] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        # The last part says tbc=false; parts are numbered from 0 (N09.FR.04).
        seq = [p.seq_no for p in self.parts]
        return bool(self.parts) and not self.parts[-1].tbc and seq == list(range(len(seq)))

    @property
    def text(self) -> str:
        return "".join(p.data for p in self.parts)

    @property
    def generated_at(self) -> datetime | None:
        return self.parts[0].generated_at if self.parts else None


def station_customer_reports(*, user, station: Station, limit: int = 20) -> list[CustomerReport]:
    request_ids = list(
        CustomerInformationPart.objects.for_user(user).filter(station=station)
        .values_list("request_id", flat=True).distinct().order_by("-request_id")[:limit]
    )
    grouped: dict[int, CustomerReport] = defaultdict(lambda: CustomerReport(request_id=0))
    parts = CustomerInformationPart.objects.for_user(user).filter(station=station, request_id__in=request_ids).order_by("seq_no")
    for part in parts:
        report = grouped[part.request_id]
        report.request_id = part.request_id
        report.parts.append(part)
    return [grouped[r] for r in request_ids if r in grouped]
