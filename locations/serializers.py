from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from locations.models import Location, validate_location_network
from networks.api import WritableNetworkField


class LocationSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()

    class Meta:
        model = Location
        fields = ["id", "network", "name", "country", "address", "latitude", "longitude", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        if self.instance is not None and "network" in attrs:
            try:
                validate_location_network(location=self.instance, network=attrs["network"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from None
        return attrs
