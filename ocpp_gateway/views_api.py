"""/api/messages/: the OCPP message log, network-scoped, newest first; `?format=csv` streams it."""
from __future__ import annotations

from rest_framework import pagination, serializers, viewsets

from networks.api import NetworkRolePermission
from ocpp_gateway.exports import TYPE_NAMES, message_csv_response
from ocpp_gateway.filters import MessageFilter
from ocpp_gateway.models import Message
from switchplatform.csvfiles import CsvFormatMixin


class MessageSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)
    message_type = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "time", "station", "direction", "message_type", "action", "unique_id", "payload", "note"]

    def get_message_type(self, obj: Message) -> str | None:
        return TYPE_NAMES.get(obj.message_type)


class MessagePagination(pagination.CursorPagination):
    # A cursor, not offsets: counting millions of frames for every page costs seconds.
    ordering = ("-time", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class MessageViewSet(CsvFormatMixin, viewsets.ReadOnlyModelViewSet):
    """Every OCPP frame in and out of the stations the user may see. Filter by station, action,
    direction, message_type and a since/until time range."""

    serializer_class = MessageSerializer
    filterset_class = MessageFilter
    pagination_class = MessagePagination
    permission_classes = [NetworkRolePermission]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return Message.objects.for_user(self.request.user).select_related("station")

    def list(self, request, *args, **kwargs):
        if self.wants_csv(request):
            return message_csv_response(request, self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)
