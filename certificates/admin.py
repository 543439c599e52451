"""Read-only records of what the platform signed, pushed and saw; upgrades and rotations start from
the station admin's actions (see certificates.admin_actions)."""
from __future__ import annotations

from django.contrib import admin

from certificates.models import (
    CertificateRequest,
    ConnectionSecurity,
    InstalledCertificate,
    PasswordRotation,
    UpgradeRecord,
    UpgradeStep,
)
from networks.admin_mixins import NetworkScopedAdmin


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
    exclude = ["pending_hash"]


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

    def has_view_permission(self, request, obj=None) -> bool:
        return True
