from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters

from networks.admin_mixins import NetworkScopedAdmin
from stations.forms import StationForm
from stations.models import EVSE, STATION_REPORTED_FIELDS, OnboardedStation, PendingStation, Station
from stations.services import station_connection_details, station_connection_url, station_disconnect_if_disabled


# The apps above stations add to the station's page from their own admin modules (ocpp_gateway:
# configuration, device model, events, message log; certificates: security), so stations never
# imports them: each registers with register_station_admin_extension.
_inline_providers: list[Callable[[Station | None], list]] = []
_links: dict[str, Callable[[Station], str]] = {}


def register_station_admin_extension(
    *, inlines: Callable[[Station | None], list] | None = None, links: dict[str, Callable[[Station], str]] | None = None
) -> None:
    """Add inlines (a function of the station being edited) and named links ("security", "message_log")."""
    if inlines is not None and inlines not in _inline_providers:
        _inline_providers.append(inlines)
    _links.update(links or {})


class EVSEInline(admin.TabularInline):
    model = EVSE
    fields = ["evse_id", "status", "error_code", "error_info", "status_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Station)
class StationAdmin(NetworkScopedAdmin):
    form = StationForm
    list_display = [
        "name",
        "identity",
        "network",
        "location",
        "state",
        "ocpp_version",
        "equipment",
        "connection",
        "last_seen",
    ]
    list_filter = ["state", "connected", "boot_pending", "ocpp_version", "network", "location", "vendor"]
    search_fields = ["name", "identity", "vendor", "model", "serial_number"]
    readonly_fields = ["connection_url", *STATION_REPORTED_FIELDS, "message_log", "security"]
    inlines = [EVSEInline]

    def get_inlines(self, request, obj):
        # Configuration keys (1.6) or device model (2.0.1) and events, as the gateway read them;
        # the security records (registered by ocpp_gateway.admin and certificates.admin).
        return [*super().get_inlines(request, obj), *(inline for provider in _inline_providers for inline in provider(obj))]

    @admin.display(description="security")
    def security(self, obj: Station) -> str:
        # Issue 7: profile upgrades, password rotation and certificate actions (certificates.admin).
        link = _links.get("security")
        return link(obj) if link and obj.pk else "-"

    @admin.display(description="message log")
    def message_log(self, obj: Station) -> str:
        link = _links.get("message_log")
        return link(obj) if link else "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "location").prefetch_related("evses__connectors")

    def get_fieldsets(self, request, obj=None):
        main = ["network", "location", "name", "identity", "password"]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": [*main, "connection_url"]}),
            ("OCPP", {"fields": ["state", "ocpp_version", "security_profile", "security", "boot_pending", "boot_pending_interval"]}),
            ("Station", {"fields": ["vendor", "model", "serial_number", "firmware_version"]}),
            ("Connection", {"fields": ["connected", "last_seen", "last_connection_error", "last_connection_error_at", "message_log"]}),
        ]

    @admin.display(description="connection URL")
    def connection_url(self, obj: Station) -> str:
        return station_connection_url(station=obj)

    @admin.display(description="connection")
    def connection(self, obj: Station) -> str:
        if obj.connected:
            return mark_safe('<span title="connected">● connected</span>')
        if obj.last_connection_error:
            return format_html('<span class="faulted" title="{}">offline</span>', obj.last_connection_error)
        return "offline"

    @admin.display(description="equipment")
    def equipment(self, obj: Station) -> str:
        parts = []
        for evse in obj.evses.all():
            for item, label in [(evse, f"EVSE {evse.evse_id}")] + [
                (c, f"{evse.evse_id}/{c.connector_id}") for c in evse.connectors.all()
            ]:
                css = "equipment faulted" if item.is_faulted else "equipment"
                title = item.error_text or item.status
                parts.append((css, title, f"{label}: {item.status}"))
        if not parts:
            return "-"
        return format_html_join("", '<span class="{}" title="{}">{}</span>', parts)

    # Keeps the station password out of Django's error reports (500 pages and mails).
    @method_decorator(sensitive_post_parameters("password"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        station_disconnect_if_disabled(station=obj)

    def response_add(self, request, obj, post_url_continue=None):
        # The password exists in clear only in this request: show what the station needs, once.
        details = station_connection_details(station=obj, password=request.POST["password"])
        context = {
            **self.admin_site.each_context(request),
            "title": f"Connect {obj.name}",
            "station": obj,
            "details": details,
            "opts": self.opts,
            # Absolute: this page also answers a change POST, where "../<pk>/change/" would nest.
            "change_url": reverse("admin:stations_station_change", args=[obj.pk], current_app=self.admin_site.name),
        }
        return TemplateResponse(request, "admin/stations/connection_details.html", context)

    def response_change(self, request, obj):
        if request.POST.get("password"):
            return self.response_add(request, obj)
        return super().response_change(request, obj)


@admin.register(PendingStation)
class PendingStationAdmin(StationAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).pending()


@admin.register(OnboardedStation)
class OnboardedStationAdmin(StationAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).onboarded()


