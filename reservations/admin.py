from django.contrib import admin

from networks.admin_mixins import ScopedRecordAdmin
from reservations.models import Reservation


@admin.register(Reservation)
class ReservationAdmin(ScopedRecordAdmin):
    """Made and ended through the station's actions (Reserve now, Cancel reservation) and its messages."""

    list_display = ["reservation_id", "station", "evse_id", "connector_type", "id_token", "group_id_token", "expires_at",
                    "status", "station_status", "session", "ended_at"]
    list_filter = ["status"]
    search_fields = ["station__identity", "id_token", "group_id_token"]
    fields = list_display + ["id_token_type", "command", "created_at"]
    readonly_fields = fields
