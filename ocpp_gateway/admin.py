"""The message log, and the read-only sections the gateway fills on the station page."""
from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from networks.admin_mixins import ScopedRecordAdmin
from networks.querysets import is_account_admin
from ocpp_gateway.models import Message, QuarantinedRow, RefusedIdentity
from stations.admin import register_station_admin_extension
from stations.models import ConfigurationKey, DeviceModelVariable, Station, StationEvent


class StationLogFilter(admin.SimpleListFilter):
    """Narrow the log to one station (the station page links here). Lists only the chosen one:
    a choice per station would not scale to thousands."""

    title = "station"
    parameter_name = "station"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        station = Station.objects.for_user(request.user).filter(pk=value).first()
        return [(str(station.pk), station.identity)] if station else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(station_id=int(value))
        return queryset


@admin.register(Message)
class MessageAdmin(ScopedRecordAdmin):
    list_display = ["time", "station_identity", "direction", "message_type", "action", "unique_id", "summary"]
    list_filter = [StationLogFilter, "direction", "message_type", "time"]
    search_fields = ["action", "unique_id", "station__identity"]
    date_hierarchy = "time"
    list_select_related = ["station"]
    show_full_result_count = False  # COUNT(*) over millions of frames on every page view is not worth it
    list_per_page = 100
    fields = ["time", "station", "direction", "message_type", "action", "unique_id", "note", "payload_pretty"]
    readonly_fields = fields

    @admin.display(description="station", ordering="station__identity")
    def station_identity(self, obj: Message) -> str:
        return obj.station.identity

    @admin.display(description="payload")
    def summary(self, obj: Message) -> str:
        text = obj.note or json.dumps(obj.payload, separators=(",", ":"))
        return text if len(text) <= 120 else text[:117] + "..."

    @admin.display(description="payload")
    def payload_pretty(self, obj: Message) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))



def message_log_url(station: Station) -> str:
    return reverse("admin:ocpp_gateway_message_changelist") + f"?station={station.pk}"


def message_log_link(station: Station) -> str:
    return format_html('<a href="{}">OCPP messages of {}</a>', message_log_url(station), station.identity)


EVENTS_SHOWN = 100


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    # Network members hold no Django model permissions: whoever may see the (scoped) station sees these.
    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ConfigurationKeyInline(_ReadOnlyInline):
    model = ConfigurationKey
    verbose_name_plural = "Configuration keys"
    fields = ["key", "value", "readonly", "updated_at"]
    readonly_fields = fields


class DeviceModelInline(_ReadOnlyInline):
    model = DeviceModelVariable
    verbose_name_plural = "Device model"
    fields = [
        "component", "component_instance", "evse_id", "connector_id", "variable", "variable_instance",
        "attribute_type", "value", "mutability", "data_type", "unit",
    ]
    readonly_fields = fields


class StationEventInline(_ReadOnlyInline):
    model = StationEvent
    verbose_name_plural = f"Events (latest {EVENTS_SHOWN}; the message log has all)"
    fields = ["occurred_at", "source", "event_type", "component", "variable", "value", "tech_info", "cleared"]
    readonly_fields = fields

    def get_queryset(self, request):
        # A chatty station sends thousands of events; the page shows the newest ones.
        queryset = super().get_queryset(request).order_by("-occurred_at")
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if object_id and str(object_id).isdigit():
            latest = StationEvent.objects.filter(station_id=object_id).order_by("-occurred_at").values_list("pk", flat=True)
            queryset = queryset.filter(pk__in=list(latest[:EVENTS_SHOWN]))
        return queryset


def gateway_inlines(station: Station | None) -> list[type[admin.options.InlineModelAdmin]]:
    """The station page's gateway sections: configuration keys (1.6) or device model (2.0.1), and events."""
    if station is None:
        return []
    sections = {"1.6": [ConfigurationKeyInline], "2.0.1": [DeviceModelInline]}.get(station.ocpp_version, [])
    return [*sections, StationEventInline]


class AccountWideRecordAdmin(admin.ModelAdmin):
    """Gateway records that belong to no network: account admins read them and delete them once dealt with."""

    def has_module_permission(self, request) -> bool:
        return is_account_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_account_admin(request.user)


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(AccountWideRecordAdmin):
    """Rows the gateway could not write (ocpp_gateway.batching): account-wide, for account admins,
    since a row of a deleted station belongs to no network any more. Read, and deleted once dealt with."""

    list_display = ["time", "kind", "station_identity", "station_id", "error"]
    list_filter = ["kind", "time"]
    search_fields = ["station_identity", "error"]
    date_hierarchy = "time"
    fields = ["time", "kind", "station_identity", "station_id", "error", "data"]
    readonly_fields = fields


@admin.register(RefusedIdentity)
class RefusedIdentityAdmin(AccountWideRecordAdmin):
    """Unknown identities that tried to connect (ocpp_gateway.refusals), for account admins; operators
    have the console's Unknown stations page. Read, and deleted once dealt with."""

    list_display = ["identity", "address", "attempts", "first_attempt_at", "last_attempt_at"]
    search_fields = ["identity", "address"]
    fields = list_display
    readonly_fields = fields


register_station_admin_extension(inlines=gateway_inlines, links={"message_log": message_log_link})
