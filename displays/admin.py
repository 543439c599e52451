"""Display messages as last known; they are set and cleared with the station's actions."""
from __future__ import annotations

from django.contrib import admin

from displays.models import DisplayMessage
from networks.admin_mixins import NetworkScopedAdmin


@admin.register(DisplayMessage)
class DisplayMessageAdmin(NetworkScopedAdmin):
    list_display = ["station", "message_id", "priority", "state", "content", "start_at", "end_at", "transaction_id", "source", "updated_at"]
    list_filter = ["priority", "state", "source"]
    search_fields = ["station__identity", "content"]
    list_select_related = ["station"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
