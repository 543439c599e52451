"""Read-only records of what the platform signed, pushed and saw; upgrades and rotations start from
the station admin's actions (see certificates.admin_actions)."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from certificates.models import (
    CertificateRequest,
    ConnectionSecurity,
    InstalledCertificate,
    PasswordRotation,
    UpgradeRecord,
    UpgradeStep,
)
from certificates import pki
from certificates.services import certificate_delete, password_rotation_send
from certificates.upgrades import UpgradeRefused, upgrade_check, upgrade_start
from networks.admin_mixins import NetworkScopedAdmin, can_write_somewhere
from stations.admin import register_station_admin_extension
from stations.models import Station


class ReadOnlyRecordAdmin(NetworkScopedAdmin):
    """Records of what happened: nobody edits history, members with write access may delete it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CertificateRequest)
class CertificateRequestAdmin(ReadOnlyRecordAdmin):
    list_display = ["station", "certificate_type", "status", "common_name", "not_after", "created_at", "detail"]
    list_filter = ["status", "certificate_type"]
    search_fields = ["station__identity", "serial_number"]
    list_select_related = ["station"]


@admin.register(InstalledCertificate)
class InstalledCertificateAdmin(ReadOnlyRecordAdmin):
    list_display = ["station", "certificate_type", "serial_number", "is_platform_ca", "reported_at"]
    list_filter = ["certificate_type", "is_platform_ca"]
    search_fields = ["station__identity", "serial_number"]
    list_select_related = ["station"]
    actions = ["delete_from_station"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # The row goes when the station confirms DeleteCertificate, not before.
        return False

    @admin.action(description="Delete from the station (DeleteCertificate)")
    def delete_from_station(self, request, queryset):
        writable = queryset.filter(pk__in=self.writable_queryset(request).values("pk")).select_related("station")
        for certificate in writable:
            certificate_delete(certificate=certificate, requested_by=request.user)
        messages.info(request, f"DeleteCertificate sent for {len(writable)} certificate(s); a row goes once its station accepts.")

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "station/<int:station_id>/<str:action>/",
                self.admin_site.admin_view(self.station_action_view),
                name="certificates_station_action",
            ),
            *super().get_urls(),
        ]

    def station_action_view(self, request, station_id: int, action: str):
        """Confirm (GET) and send (POST) a certificate action for one station."""
        from django.http import Http404
        from django.shortcuts import get_object_or_404, redirect
        from django.template.response import TemplateResponse
        from django.urls import reverse

        from certificates import services

        if action not in STATION_ACTIONS:
            raise Http404("No such action.")
        station = get_object_or_404(Station.objects.for_user(request.user, write=True), pk=station_id)
        label, service = STATION_ACTIONS[action]
        if request.method == "POST":
            try:
                command = getattr(services, service)(station=station, requested_by=request.user)
            except pki.PkiError as exc:
                messages.error(request, str(exc))
            else:
                messages.info(request, f"{label}: {command.get_status_display().lower()}.")
            return redirect(reverse("admin:stations_station_change", args=[station.pk]))
        context = {**self.admin_site.each_context(request), "title": label, "station": station, "label": label}
        return TemplateResponse(request, "admin/certificates/confirm_station_action.html", context)


@admin.register(PasswordRotation)
class PasswordRotationAdmin(ReadOnlyRecordAdmin):
    list_display = ["station", "status", "detail", "requested_by", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["station__identity"]
    list_select_related = ["station", "requested_by"]

    def has_add_permission(self, request) -> bool:
        return can_write_somewhere(request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return _form_with_request(PasswordRotationStartForm, request)
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["station", "status", "detail", "command", "requested_by", "created_at", "finished_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["station"]
        return self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        _started(obj, password_rotation_send(station=obj.station, requested_by=request.user))


@admin.register(ConnectionSecurity)
class ConnectionSecurityAdmin(ReadOnlyRecordAdmin):
    list_display = ["station", "profile", "client_certificate_cn", "connected_at"]
    list_filter = ["profile"]
    search_fields = ["station__identity"]
    list_select_related = ["station"]


class UpgradeStepInline(admin.TabularInline):
    model = UpgradeStep
    fields = ["name", "status", "detail", "started_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UpgradeRecord)
class UpgradeRecordAdmin(ReadOnlyRecordAdmin):
    list_display = ["station", "from_profile", "target_profile", "status", "created_at", "finished_at", "error"]
    list_filter = ["status", "target_profile"]
    search_fields = ["station__identity"]
    list_select_related = ["station"]
    inlines = [UpgradeStepInline]

    def has_add_permission(self, request) -> bool:
        return can_write_somewhere(request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return _form_with_request(UpgradeStartForm, request)
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in self.model._meta.fields]

    def save_model(self, request, obj, form, change) -> None:
        try:
            started = upgrade_start(station=obj.station, target_profile=int(obj.target_profile), requested_by=request.user)
        except UpgradeRefused as exc:  # raced with another start
            messages.error(request, str(exc))
            started = obj.station.security_upgrades.first()
        _started(obj, started)


# --- starting actions from the admin: "Add" on these pages starts one -----------------------------


class StationChoiceForm(forms.ModelForm):
    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["station"].queryset = Station.objects.for_user(request.user, write=True).order_by("identity")


class UpgradeStartForm(StationChoiceForm):
    class Meta:
        model = UpgradeRecord
        fields = ["station", "target_profile"]
        help_texts = {"target_profile": "The profile the station is moved to; its minimum is raised once it reconnects on it."}

    def clean(self):
        data = super().clean()
        if data.get("station") and data.get("target_profile"):
            try:
                upgrade_check(station=data["station"], target_profile=int(data["target_profile"]))
            except UpgradeRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


class PasswordRotationStartForm(StationChoiceForm):
    class Meta:
        model = PasswordRotation
        fields = ["station"]
        help_texts = {
            "station": "A new random password is sent to the station (1.6 AuthorizationKey in hex, 2.0.1 "
            "SecurityCtrlr.BasicAuthPassword). The old one keeps working until the station accepts the new one."
        }


def _started(obj, started) -> None:
    # The admin redirects to obj: make it the record the service created.
    obj.__dict__.update({k: v for k, v in started.__dict__.items() if not k.startswith("_")})
    obj._state = started._state


def _form_with_request(form_class, request):
    class FormWithRequest(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, request=request, **kwargs)

    return FormWithRequest


# --- the station page: its security at a glance, and the actions ---------------------------------


class _ReadOnlyStationInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ConnectionSecurityInline(_ReadOnlyStationInline):
    model = ConnectionSecurity
    # One row (one-to-one): Django titles it with the singular name.
    verbose_name = verbose_name_plural = "security profile of the latest connection"
    fields = ["profile", "client_certificate_cn", "connected_at"]


class InstalledCertificateInline(_ReadOnlyStationInline):
    model = InstalledCertificate
    verbose_name_plural = "certificates installed on the station (GetInstalledCertificateIds)"
    fields = ["certificate_type", "serial_number", "is_platform_ca", "issuer_name_hash", "reported_at"]


class CertificateRequestInline(_ReadOnlyStationInline):
    model = CertificateRequest
    verbose_name_plural = "certificate signing requests (SignCertificate)"
    fields = ["created_at", "certificate_type", "status", "common_name", "not_after", "detail"]


class UpgradeRecordInline(_ReadOnlyStationInline):
    model = UpgradeRecord
    verbose_name_plural = "security profile upgrades"
    fields = ["created_at", "from_profile", "target_profile", "status", "error"]
    show_change_link = True


class PasswordRotationInline(_ReadOnlyStationInline):
    model = PasswordRotation
    verbose_name_plural = "password rotations"
    fields = ["created_at", "status", "detail", "finished_at"]


def security_inlines(obj) -> list:
    if obj is None:
        return []
    return [
        ConnectionSecurityInline, InstalledCertificateInline, CertificateRequestInline, UpgradeRecordInline,
        PasswordRotationInline,
    ]


STATION_ACTIONS = {
    "install_ca": ("Install the platform CA on the station (InstallCertificate)", "certificate_install_ca"),
    "refresh": ("Read the station's installed certificates (GetInstalledCertificateIds)", "certificates_refresh"),
}


def security_links(station) -> str:
    """Links for the station page: upgrade, rotate, and the certificate actions (each confirmed on its own page)."""
    from django.urls import reverse
    from django.utils.html import format_html, format_html_join

    links = [
        (reverse("admin:certificates_upgraderecord_add") + f"?station={station.pk}", "Upgrade the security profile…"),
        (reverse("admin:certificates_passwordrotation_add") + f"?station={station.pk}", "Rotate the password…"),
        *[
            (reverse("admin:certificates_station_action", args=[station.pk, key]), label + "…")
            for key, (label, _) in STATION_ACTIONS.items()
        ],
        (reverse("certificates:ca-certificate"), "Download the platform CA certificate"),
    ]
    return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a></li>', links))


register_station_admin_extension(inlines=security_inlines, links={"security": security_links})
