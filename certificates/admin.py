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
from certificates.services import password_rotation_send
from certificates.upgrades import UpgradeRefused, upgrade_check, upgrade_start
from networks.admin_mixins import NetworkScopedAdmin, can_write_somewhere
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
        return super().get_form(request, obj, fields=["status", "detail"], **kwargs)

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
