from networks.api import NetworkScopedViewSet
from tariffs.models import Tariff
from tariffs.serializers import TariffSerializer


class TariffViewSet(NetworkScopedViewSet):
    """A network's tariffs: the default one and those for a location, an id token group or both.
    The most specific active tariff prices a session (shown as total_cost on /api/sessions/)."""

    model = Tariff
    serializer_class = TariffSerializer
    filterset_fields = {"network__name": ["exact"], "active": ["exact"], "location": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("network", "location", "id_token_group")
