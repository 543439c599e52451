from __future__ import annotations

from networks.api import NetworkScopedViewSet
from stations.exports import station_csv_response
from stations.filters import StationFilter
from stations.models import IDENTITY_PATTERN, Station
from stations.serializers import StationSerializer
from switchplatform.csvfiles import CsvFormatMixin


class StationViewSet(CsvFormatMixin, NetworkScopedViewSet):
    """Charging stations. `?format=csv` downloads the filtered list as CSV (columns in README.md).

    Also served at /api/charging_station/ (the singular path, stations.middleware)."""

    model = Station
    serializer_class = StationSerializer
    filterset_class = StationFilter
    lookup_field = "identity"
    lookup_value_regex = IDENTITY_PATTERN

    def get_queryset(self):
        return super().get_queryset().select_related("network", "location").prefetch_related("evses__connectors")

    def list(self, request, *args, **kwargs):
        if self.wants_csv(request):
            return station_csv_response(request, self.filter_queryset(self.get_queryset()).order_by("name", "pk"))
        return super().list(request, *args, **kwargs)
