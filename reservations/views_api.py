from networks.api import NetworkScopedViewSet
from reservations.models import Reservation
from reservations.serializers import ReservationSerializer


class ReservationViewSet(NetworkScopedViewSet):
    """Reservations, newest first. Read-only: make one with the station's ``reserve_now`` action
    (POST /api/charging_stations/<identity>/actions/reserve_now/), end one with ``cancel_reservation``."""

    model = Reservation
    serializer_class = ReservationSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = {"station__identity": ["exact"], "status": ["exact"], "id_token": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("station", "station__network")
