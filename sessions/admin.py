from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from locations.models import Location
from networks.admin_mixins import NetworkScopedAdmin, ScopedRecordAdmin
from networks.models import Network
from sessions.exports import csv_response
from sessions.filters import SessionFilter, session_filter_params
from sessions.models import Export, ExportStatus, IdToken, IdTokenGroup, LocalListVersion, Session, SessionStatus
from sessions.services import ExportScopeError, export_delete, export_request
from sessions.views_api import export_download_response
from stations.models import Station


class _SessionParamFilter(admin.SimpleListFilter):
    """A list filter whose parameter is the API's (SessionFilter's), so the changelist's query string
    is also a valid /api/sessions/ query and the CSV download and exports honour it as is."""

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        filterset = SessionFilter(data={self.parameter_name: self.value()}, queryset=queryset)
        if not filterset.is_valid():
            raise IncorrectLookupParameters(filterset.errors)
        return filterset.qs


class NetworkFilter(_SessionParamFilter):
    title = "network"
    parameter_name = "network"

    def lookups(self, request, model_admin):
        return [(n.name, n.name) for n in Network.objects.for_user(request.user)]


class LocationFilter(_SessionParamFilter):
    title = "location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        locations = Location.objects.for_user(request.user).in_network(request.current_network)
        return [(str(loc.pk), loc.name) for loc in locations]


class StationFilter(_SessionParamFilter):
    title = "station"
    parameter_name = "station"

    def lookups(self, request, model_admin):
        stations = Station.objects.for_user(request.user).in_network(request.current_network)
        return [(s.identity, str(s)) for s in stations.only("identity", "name")[:500]]


class StatusFilter(_SessionParamFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return SessionStatus.choices


class RangeAndTokenFilter(admin.ListFilter):
    """Started since / until (dates) and id token: free-text inputs, one small GET form."""

    title = "start date and id token"
    template = "admin/charging_sessions/session/range_filter.html"
    parameters = ("since", "until", "id_token")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        if not self.used_parameters:
            return queryset
        filterset = SessionFilter(data=self.used_parameters, queryset=queryset)
        if not filterset.is_valid():
            raise IncorrectLookupParameters(filterset.errors)
        return filterset.qs

    def choices(self, changelist):
        # The template renders a form; it needs the values and the other parameters to keep.
        keep = {
            key: value[-1] if isinstance(value, list) else value
            for key, value in changelist.params.items()
            if key not in self.parameters and key not in ("p", "e")
        }
        yield {"values": {name: self.used_parameters.get(name, "") for name in self.parameters}, "keep": keep}


@admin.register(Session)
class SessionAdmin(ScopedRecordAdmin):
    # Billing records: sessions come from stations and stay.
    list_display = [
        "started_at",
        "station",
        "evse_id",
        "id_token",
        "status",
        "energy",
        "duration_display",
        "peak_power",
        "stop_reason",
        "network",
        "location",
    ]
    list_filter = [NetworkFilter, LocationFilter, StationFilter, StatusFilter, RangeAndTokenFilter]
    search_fields = ["id_token", "transaction_id", "station__identity"]
    list_select_related = ["station", "network", "location"]
    show_full_result_count = False
    # Counting every filter choice over millions of sessions is not worth a page load.
    show_facets = admin.ShowFacets.NEVER
    change_list_template = "admin/charging_sessions/session/change_list.html"
    readonly_fields = [f.name for f in Session._meta.fields if f.name != "start_key"]
    exclude = ["start_key"]

    @admin.display(description="energy (kWh)", ordering="energy_wh")
    def energy(self, obj: Session) -> str:
        return f"{obj.energy_wh / 1000:.3f}"

    @admin.display(description="duration")
    def duration_display(self, obj: Session) -> str:
        return "" if obj.duration is None else str(obj.duration).split(".")[0]

    @admin.display(description="peak power (kW)", ordering="peak_power_w")
    def peak_power(self, obj: Session) -> str:
        return "" if obj.peak_power_w is None else f"{obj.peak_power_w / 1000:.1f}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("download.csv", wrap(self.download_csv), name="charging_sessions_session_download"),
            path("export/", wrap(self.export_in_background), name="charging_sessions_session_export"),
            *super().get_urls(),
        ]

    def _filtered(self, request):
        # The changelist itself applies the scope, the filters, the search and the network selector.
        return self.get_changelist_instance(request).get_queryset(request)

    def download_csv(self, request):
        try:
            sessions = self._filtered(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:charging_sessions_session_changelist") + "?e=1")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        return csv_response(request, sessions, filename=f"sessions-{stamp}.csv")

    def export_in_background(self, request):
        changelist = reverse("admin:charging_sessions_session_changelist")
        if request.method != "POST":
            return HttpResponseRedirect(changelist)
        filters = session_filter_params(request.GET)
        if request.GET.get("q"):
            filters["search"] = request.GET["q"]
        try:
            export = export_request(user=request.user, filters=filters, network=request.current_network)
        except ExportScopeError as exc:
            self.message_user(request, f"Export not started: {exc}", messages.ERROR)
            return HttpResponseRedirect(f"{changelist}?{request.GET.urlencode()}")
        self.message_user(request, f"Export {export.pk} started; it appears under Exports with its progress.")
        return HttpResponseRedirect(reverse("admin:charging_sessions_export_changelist"))


def _send_to_networks(modeladmin, request, queryset, *, action: str, parameters: dict) -> None:
    """Queue ``action`` for every station of the networks of the selected rows the user may change."""
    from sessions.services.local_list import local_list_network_send

    writable = Network.objects.for_user(request.user, write=True)
    networks = writable.filter(pk__in=queryset.values("network_id"))
    for network in networks:
        outcomes = local_list_network_send(network=network, action=action, parameters=parameters, requested_by=request.user)
        queued = [o for o in outcomes if o.command is not None]
        refused = [f"{o.station.identity}: {o.error}" for o in outcomes if o.command is None]
        messages.success(request, f"{network}: {len(queued)} of {len(outcomes)} stations sent the command.")
        if refused:
            messages.warning(request, f"{network}: not sent to " + "; ".join(refused))


@admin.action(description="Send the local list (Full) to every station of these networks")
def send_full_local_list(modeladmin, request, queryset):
    _send_to_networks(modeladmin, request, queryset, action="send_local_list", parameters={"update_type": "Full"})


@admin.action(description="Send the local list changes (Differential) to every station of these networks")
def send_differential_local_list(modeladmin, request, queryset):
    _send_to_networks(modeladmin, request, queryset, action="send_local_list", parameters={"update_type": "Differential"})


@admin.action(description="Ask every station of these networks its local list version")
def get_local_list_versions(modeladmin, request, queryset):
    _send_to_networks(modeladmin, request, queryset, action="get_local_list_version", parameters={})


@admin.register(IdToken)
class IdTokenAdmin(NetworkScopedAdmin):
    list_display = ["token", "token_type", "status", "group", "label", "expires_at", "network", "created_at"]
    list_filter = ["status", "network", "group__master_pass"]
    search_fields = ["token", "label", "group__token"]
    fields = ["network", "token", "token_type", "status", "expires_at", "group", "label"]
    scoped_foreign_keys = ("network", "group")
    actions = [send_full_local_list, send_differential_local_list, get_local_list_versions]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "group")


@admin.register(IdTokenGroup)
class IdTokenGroupAdmin(NetworkScopedAdmin):
    list_display = ["token", "token_type", "master_pass", "label", "network", "created_at"]
    list_filter = ["master_pass", "network"]
    search_fields = ["token", "label"]
    fields = ["network", "token", "token_type", "master_pass", "label"]


@admin.register(LocalListVersion)
class LocalListVersionAdmin(ScopedRecordAdmin):
    list_display = ["network", "version", "entry_count", "created_at"]
    list_filter = ["network"]
    fields = ["network", "version", "created_at", "entries"]
    readonly_fields = fields
    actions = [send_full_local_list, send_differential_local_list, get_local_list_versions]

    @admin.display(description="entries")
    def entry_count(self, obj: LocalListVersion) -> int:
        return len(obj.entries)


@admin.register(Export)
class ExportAdmin(NetworkScopedAdmin):
    list_display = ["id", "created_at", "requested_by", "network", "filters", "status", "progress_bar", "row_count", "download"]
    list_filter = ["status"]
    fields = list_display[1:] + ["total_rows", "error", "finished_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # started from the session list's "Export in the background"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is not None and self.writable_queryset(request).filter(pk=obj.pk).exists()

    def delete_model(self, request, obj: Export) -> None:
        export_delete(export=obj)

    def delete_queryset(self, request, queryset) -> None:
        for export in queryset:
            export_delete(export=export)

    @admin.display(description="progress")
    def progress_bar(self, obj: Export) -> str:
        return format_html('<progress max="100" value="{}">{}%</progress> {}%', obj.progress, obj.progress, obj.progress)

    @admin.display(description="file")
    def download(self, obj: Export) -> str:
        if obj.status != ExportStatus.DONE or not obj.file:
            return "-"
        url = reverse("admin:charging_sessions_export_download", args=[obj.pk])
        return format_html('<a href="{}">Download CSV</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_file),
                name="charging_sessions_export_download",
            ),
            *super().get_urls(),
        ]

    def download_file(self, request, pk: int):
        # for_user: another network's export is a 404, like any object.
        export = get_object_or_404(self.get_queryset(request), pk=pk, status=ExportStatus.DONE)
        return export_download_response(request, export)
