from __future__ import annotations

from rest_framework import serializers

from locations.models import Location
from networks.api import WritableNetworkField


class LocationSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()

    class Meta:
        model = Location
        fields = ["id", "network", "name", "country", "address", "latitude", "longitude", "created_at"]
        read_only_fields = ["created_at"]
