from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from firmware.downloads import firmware_file_response
from firmware.forms import FirmwareForm, FirmwareUpdateForm
from firmware.models import Firmware, FirmwareUpdate, FirmwareUpdateEvent
from firmware.services import firmware_delete, firmware_update_request
from networks.admin_mixins import NetworkScopedAdmin, ScopedRecordAdmin
from networks.querysets import is_account_admin
from stations.models import Station


def status_badge(status: str, failed: bool) -> str:
    # Failed states must stand out on the list: red, like faulted equipment.
    css = "equipment faulted" if failed else "equipment"
    return format_html('<span class="{}">{}</span>', css, status)


class ForStationFilter(admin.SimpleListFilter):
    """``?station=<id>``: the images that fit one station's vendor and model (the station page links here)."""

    title = "fits station"
    parameter_name = "station"

    def lookups(self, request, model_admin):
        station = self.station(request)
        return [(str(station.pk), station.identity)] if station else []

    def station(self, request) -> Station | None:
        value = self.value()
        if not value or not str(value).isdigit():
            return None
        station = Station.objects.for_user(request.user).filter(pk=value).first()
        if station is None:
            raise Http404("No station with that id.")
        return station

    def queryset(self, request, queryset):
        station = self.station(request)
        return queryset.for_station(station) if station else queryset


@admin.register(Firmware)
class FirmwareAdmin(NetworkScopedAdmin):
    form = FirmwareForm
    list_display = ["__str__", "version", "vendor", "model", "scope", "size_display", "sha256_short", "created_at", "download"]
    list_filter = [ForStationFilter, "vendor", "model", "shared", "network"]
    search_fields = ["version", "vendor", "model", "notes", "filename", "sha256"]
    readonly_fields = ["filename", "size", "sha256", "uploaded_by", "created_at", "download"]
    change_list_template = "admin/firmware/firmware/change_list.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.current_network is not None:
            # Shared images have no network but are usable in every one: keep them in view.
            qs = qs | Firmware.objects.for_user(request.user).filter(shared=True)
        return qs.select_related("network")

    def get_fieldsets(self, request, obj=None):
        scope = ["network", "shared"] if is_account_admin(request.user) else ["network"]
        target = ["version", "vendor", "model", "notes"]
        ocpp201 = ("OCPP 2.0.1 signature (optional)", {"fields": ["signature", "signing_certificate"]})
        if obj is None:
            return [(None, {"fields": [*scope, "file", *target]}), ocpp201]
        return [
            (None, {"fields": [*scope, *target]}),
            ("File", {"fields": ["filename", "size", "sha256", "download", "uploaded_by", "created_at"]}),
            ocpp201,
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and not is_account_admin(request.user):
            fields.append("network")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)

        class UserForm(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return UserForm

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        # An upload goes through the service: it streams the SHA-256 and size and stores the file.
        return form.upload()

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()

    def save_related(self, request, form, formsets, change):
        # Nothing related to save, and an upload never went through form.save().
        if change:
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        firmware_delete(firmware=obj)

    def delete_queryset(self, request, queryset):
        for firmware in queryset:
            firmware_delete(firmware=firmware)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError:
            self.message_user(request, "This image was sent to stations; it stays for their update history.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:firmware_firmware_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        station_id = request.GET.get("station")
        if station_id and station_id.isdigit():
            extra_context["for_station"] = Station.objects.for_user(request.user).filter(pk=station_id).first()
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        urls = super().get_urls()
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="firmware_firmware_download",
            ),
            *urls,
        ]

    def download_view(self, request, object_id):
        # Reads through for_user (get_object): another network's image is a 404.
        firmware = self.get_object(request, object_id)
        return firmware_file_response(request=request, firmware=firmware)

    @admin.display(description="scope")
    def scope(self, obj: Firmware) -> str:
        return "every network (shared)" if obj.shared else str(obj.network)

    @admin.display(description="size", ordering="size")
    def size_display(self, obj: Firmware) -> str:
        from django.template.defaultfilters import filesizeformat

        return filesizeformat(obj.size)

    @admin.display(description="SHA-256")
    def sha256_short(self, obj: Firmware) -> str:
        return format_html('<code title="{}">{}…</code>', obj.sha256, obj.sha256[:12])

    @admin.display(description="download")
    def download(self, obj: Firmware) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:firmware_firmware_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.filename)


class FirmwareUpdateEventInline(admin.TabularInline):
    model = FirmwareUpdateEvent
    fields = ["time", "status_display", "info"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="status")
    def status_display(self, obj: FirmwareUpdateEvent) -> str:
        return status_badge(obj.status, obj.failed)


@admin.register(FirmwareUpdate)
class FirmwareUpdateAdmin(ScopedRecordAdmin):
    list_display = ["station", "firmware", "request_id", "status_display", "status_info", "created_at", "status_at", "requested_by"]
    # Only the networks of the rows shown: a member must not read other networks' names here.
    list_filter = ["status", ("station__network", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["station__identity", "station__name", "firmware__version"]
    list_select_related = ["station", "firmware", "requested_by"]
    fields = [
        "station",
        "firmware",
        "request_id",
        "status_display",
        "status_info",
        "retrieve_at",
        "install_at",
        "signed_update",
        "retries",
        "retry_interval",
        "link_expires_at",
        "requested_by",
        "created_at",
        "sent_at",
        "status_at",
        "finished_at",
    ]
    readonly_fields = fields
    inlines = [FirmwareUpdateEventInline]


    @admin.display(description="status", ordering="status")
    def status_display(self, obj: FirmwareUpdate) -> str:
        return status_badge(obj.status, obj.failed)

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="firmware_firmwareupdate_start"),
            *super().get_urls(),
        ]

    def start_view(self, request):
        """Pick an image and the retrieve parameters for the stations in ``?ids=1,2,3``."""
        raw_ids = request.GET.get("ids", "")
        ids = {int(i) for i in raw_ids.split(",") if i.strip().isdigit()}
        if not ids:
            raise Http404("No stations picked.")
        stations = list(Station.objects.for_user(request.user, write=True).filter(pk__in=ids))
        if len(stations) != len(ids):
            # A station of another network, or one the user may only view: as absent as a wrong id.
            raise Http404("No station with that id.")
        networks = {s.network_id for s in stations}
        candidates = Firmware.objects.for_user(request.user)
        candidates = candidates.filter(shared=True) if len(networks) > 1 else (
            candidates.filter(network_id__in=networks) | candidates.filter(shared=True)
        )
        if len(stations) == 1:
            candidates = candidates.for_station(stations[0])
        form = FirmwareUpdateForm(request.POST or None, firmware_queryset=candidates.order_by("-created_at"))
        if request.method == "POST" and form.is_valid():
            try:
                updates = firmware_update_request(
                    stations=stations,
                    firmware=form.cleaned_data["firmware"],
                    retrieve_at=form.cleaned_data["retrieve_at"],
                    install_at=form.cleaned_data["install_at"],
                    signed_update=form.cleaned_data["signed_update"],
                    retries=form.cleaned_data["retries"],
                    retry_interval=form.cleaned_data["retry_interval"],
                    requested_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(
                    request,
                    f"Firmware update requested for {len(updates)} station(s): "
                    + ", ".join(s.identity for s in stations),
                    messages.SUCCESS,
                )
                url = reverse("admin:firmware_firmwareupdate_changelist")
                if len(stations) == 1:
                    url += f"?station__id__exact={stations[0].pk}"
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Update firmware",
            "opts": self.opts,
            "form": form,
            "stations": stations,
        }
        return TemplateResponse(request, "admin/firmware/firmwareupdate/start.html", context)


@admin.action(description="Update firmware…", permissions=["change"])
def update_firmware(modeladmin, request, queryset):
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(f"{reverse('admin:firmware_firmwareupdate_start')}?ids={ids}")


def _register_station_action() -> None:
    """Offer "Update firmware…" on the station lists without touching the stations app.

    The admin reads ``actions`` from the class when it builds the list, so adding it here (the
    stations admin is imported first: INSTALLED_APPS order) reaches every station admin subclass.
    """
    from stations.admin import StationAdmin

    if update_firmware not in (StationAdmin.actions or []):
        StationAdmin.actions = [*(StationAdmin.actions or []), update_firmware]


_register_station_action()
