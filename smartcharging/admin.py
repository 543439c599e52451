from __future__ import annotations

from django.contrib import admin

from networks.admin_mixins import NetworkScopedAdmin, ScopedRecordAdmin
from smartcharging.models import (
    ChargingLimitReport,
    ChargingProfile,
    CompositeSchedule,
    SiteLimit,
    StationChargingSettings,
)
from smartcharging.selectors import location_live_power_w


@admin.register(ChargingProfile)
class ChargingProfileAdmin(NetworkScopedAdmin):
    """Templates are written here; profiles sent to or reported by stations are records."""

    list_display = ["__str__", "network", "station", "source", "status", "purpose", "kind", "stack_level", "charging_rate_unit", "created_at"]
    list_filter = ["network", "source", "status", "purpose"]
    search_fields = ["name", "station__identity", "transaction_id"]
    fields = [
        "network", "name", "purpose", "kind", "recurrency_kind", "stack_level", "valid_from", "valid_to",
        "start_schedule", "duration", "charging_rate_unit", "min_charging_rate", "periods",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.station_id is not None:
            return [f.name for f in self.model._meta.fields]
        return []

    def get_fields(self, request, obj=None):
        if obj is not None and obj.station_id is not None:
            return [f.name for f in self.model._meta.fields if f.name != "id"]
        return self.fields

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.station_id is not None:
            return False
        return super().has_change_permission(request, obj)


@admin.register(SiteLimit)
class SiteLimitAdmin(NetworkScopedAdmin):
    list_display = ["location", "max_power_kw", "max_current_a", "phases", "enabled", "live_power_kw"]
    fields = ["location", "max_power_kw", "max_current_a", "phases", "voltage", "enabled"]

    @admin.display(description="live power (kW)")
    def live_power_kw(self, obj: SiteLimit) -> str:
        return f"{location_live_power_w(location_id=obj.location_id) / 1000:.1f}"

    def save_model(self, request, obj, form, change) -> None:
        from smartcharging.services import site_limit_changed

        super().save_model(request, obj, form, change)
        site_limit_changed(site=obj)

    def delete_model(self, request, obj) -> None:
        from smartcharging.services import site_limit_delete

        site_limit_delete(site=obj)

    def delete_queryset(self, request, queryset) -> None:
        # The bulk action too: each location's stations are released from the balancer's profiles.
        from smartcharging.services import site_limit_delete

        for site in queryset:
            site_limit_delete(site=site)


@admin.register(StationChargingSettings)
class StationChargingSettingsAdmin(NetworkScopedAdmin):
    list_display = ["station", "priority", "min_current_a", "max_current_a", "phases", "accepts_profiles"]
    fields = ["station", "priority", "min_current_a", "max_current_a", "phases", "voltage", "accepts_profiles"]


@admin.register(CompositeSchedule)
class CompositeScheduleAdmin(ScopedRecordAdmin):
    list_display = ["station", "evse_id", "status", "schedule_start", "duration", "charging_rate_unit", "created_at"]


@admin.register(ChargingLimitReport)
class ChargingLimitReportAdmin(ScopedRecordAdmin):
    list_display = ["station", "kind", "evse_id", "limit_source", "received_at"]
    list_filter = ["kind"]
