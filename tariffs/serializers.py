from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from locations.models import Location
from networks.api import ScopedRelatedField, WritableNetworkField
from sessions.models import IdTokenGroup
from tariffs.models import Tariff, tariff_scope_validate


class TariffSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()
    location = ScopedRelatedField(Location, allow_null=True, required=False)
    id_token_group = ScopedRelatedField(IdTokenGroup, allow_null=True, required=False)

    class Meta:
        model = Tariff
        fields = ["id", "network", "name", "location", "id_token_group", "currency", "start_fee", "price_per_kwh",
                  "price_per_charging_hour", "price_per_idle_hour", "vat_percent", "active", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        # The model's rule (tariffs.models.tariff_scope_validate), as field errors.
        candidate = Tariff(**{**self._current(), **attrs})
        try:
            tariff_scope_validate(candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        fields = [f.name for f in Tariff._meta.concrete_fields]
        return {name: getattr(self.instance, name) for name in fields}
