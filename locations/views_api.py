from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import status
from rest_framework.response import Response

from locations.models import Location
from locations.serializers import LocationSerializer
from locations.services import location_delete
from networks.api import NetworkScopedViewSet


class LocationViewSet(NetworkScopedViewSet):
    model = Location
    serializer_class = LocationSerializer
    filterset_fields = {"network__name": ["exact"], "country": ["exact"], "name": ["exact", "icontains"]}
    search_fields = ["name", "address"]

    def get_queryset(self):
        return super().get_queryset().select_related("network")

    def destroy(self, request, *args, **kwargs):
        location = self.get_object()
        try:
            location_delete(location=location)
        except ValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
