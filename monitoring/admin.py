"""Read-only records of what stations reported; monitors are set and cleared with the station's actions."""
from __future__ import annotations

from django.contrib import admin

from monitoring.models import CustomerInformationPart, MonitoringSettings, VariableMonitor
from networks.admin_mixins import NetworkScopedAdmin


class ReportedAdmin(NetworkScopedAdmin):
    """What a station reported: nobody edits it here (the station's actions change the station)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VariableMonitor)
class VariableMonitorAdmin(ReportedAdmin):
    list_display = ["station", "monitor_id", "component", "evse_id", "variable", "monitor_type", "value", "severity", "transaction", "source", "updated_at"]
    list_filter = ["monitor_type", "severity", "source"]
    search_fields = ["station__identity", "component", "variable"]
    list_select_related = ["station"]


@admin.register(MonitoringSettings)
class MonitoringSettingsAdmin(ReportedAdmin):
    list_display = ["station", "monitoring_base", "monitoring_level", "updated_at"]
    search_fields = ["station__identity"]
    list_select_related = ["station"]


@admin.register(CustomerInformationPart)
class CustomerInformationPartAdmin(ReportedAdmin):
    list_display = ["station", "request_id", "seq_no", "tbc", "data", "generated_at", "received_at"]
    search_fields = ["station__identity"]
    list_select_related = ["station"]
