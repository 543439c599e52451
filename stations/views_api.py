from __future__ import annotations

from networks.api import NetworkScopedViewSet
from stations.filters import StationFilter
from stations.models import IDENTITY_PATTERN, Station
from stations.serializers import StationSerializer


class StationViewSet(NetworkScopedViewSet):
    model = Station
    serializer_class = StationSerializer
    filterset_class = StationFilter
    lookup_field = "identity"
    lookup_value_regex = IDENTITY_PATTERN

    def get_queryset(self):
        return super().get_queryset().select_related("network", "location").prefetch_related("evses__connectors")
