from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from diagnostics.models import LogRequest, LogStatusEvent
from networks.admin_mixins import ScopedRecordAdmin


class LogStatusEventInline(admin.TabularInline):
    model = LogStatusEvent
    fields = ["time", "source", "status", "request_id", "info"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "timeline entry"
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LogRequest)
class LogRequestAdmin(ScopedRecordAdmin):
    """Log uploads are sent with the Get log / Get diagnostics actions; here they are read."""

    list_display = ["station", "log_type", "request_id", "status", "status_info", "download", "created_at", "requested_by"]
    # Only the networks of the rows shown: a member must not read other networks' names here.
    list_filter = ["status", "log_type", ("station__network", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["station__identity", "station__name", "filename"]
    list_select_related = ["station", "requested_by"]
    fields = [
        "station", "log_type", "request_id", "command", "status", "status_info", "announced_filename", "download",
        "size", "sha256", "uploaded_at", "requested_by", "created_at", "status_at",
    ]
    readonly_fields = fields
    inlines = [LogStatusEventInline]

    @admin.display(description="file")
    def download(self, obj: LogRequest) -> str:
        if not obj.file:
            return "—"
        # The download view checks the network again (LogRequest.objects.for_user).
        return format_html('<a href="{}">{}</a>', reverse("diagnostics-download", args=[obj.pk]), obj.filename)
