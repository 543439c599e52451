"""Read-only API of the stations' display messages (set with the set_display_message action)."""
from __future__ import annotations

import django_filters

from displays.models import DisplayMessage
from displays.serializers import DisplayMessageSerializer
from networks.api import NetworkScopedViewSet


class DisplayMessageFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")

    class Meta:
        model = DisplayMessage
        fields = ["station", "message_id", "priority", "state", "source"]


class DisplayMessageViewSet(NetworkScopedViewSet):
    """Display messages as last known: set by the platform (accepted) or reported by the station."""

    model = DisplayMessage
    serializer_class = DisplayMessageSerializer
    filterset_class = DisplayMessageFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("station")
