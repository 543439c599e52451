from __future__ import annotations

import math

from django.urls import reverse
from rest_framework import serializers

from networks.api import WritableNetworkField
from sessions.models import Export, ExportStatus, IdToken, MeterSample, Session


class FiniteFloatField(serializers.FloatField):
    """A float that is null when not finite: rows stored before station numbers were bounded
    (stations.bounds) may hold infinity, which strict JSON cannot carry (the whole page answered 500)."""

    def to_representation(self, value):
        value = super().to_representation(value)
        return value if math.isfinite(value) else None


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


class SessionSerializer(serializers.ModelSerializer):
    network = serializers.CharField(source="network.name", read_only=True)
    location = serializers.PrimaryKeyRelatedField(read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True, default=None)
    station = serializers.CharField(source="station.identity", read_only=True)
    energy_kwh = FiniteFloatField(read_only=True)
    duration_s = serializers.SerializerMethodField()
    peak_power_kw = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "network",
            "location",
            "location_name",
            "station",
            "evse_id",
            "connector_id",
            "ocpp_version",
            "transaction_id",
            "id_token",
            "id_token_type",
            "authorization_status",
            "status",
            "started_at",
            "ended_at",
            "duration_s",
            "energy_kwh",
            "peak_power_kw",
            "stop_reason",
            "offline",
        ]
        read_only_fields = fields

    def get_duration_s(self, obj: Session) -> int | None:
        return None if obj.duration is None else int(obj.duration.total_seconds())

    def get_peak_power_kw(self, obj: Session) -> float | None:
        peak = _finite(obj.peak_power_w)
        return None if peak is None else round(peak / 1000, 3)


class MeterSampleSerializer(serializers.ModelSerializer):
    energy_wh = FiniteFloatField(read_only=True, allow_null=True)
    power_w = FiniteFloatField(read_only=True, allow_null=True)
    current_a = FiniteFloatField(read_only=True, allow_null=True)
    soc = FiniteFloatField(read_only=True, allow_null=True)

    class Meta:
        model = MeterSample
        fields = ["timestamp", "context", "energy_wh", "power_w", "current_a", "soc"]


class IdTokenSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()

    class Meta:
        model = IdToken
        fields = ["id", "network", "token", "status", "expires_at", "label", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        network = attrs.get("network", getattr(self.instance, "network", None))
        token = attrs.get("token", getattr(self.instance, "token", ""))
        clash = IdToken.objects.filter(network=network, token__iexact=token)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"token": ["This network already lists that token."]})
        return attrs


class ExportSerializer(serializers.ModelSerializer):
    network = serializers.CharField(source="network.name", read_only=True, default=None)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "network",
            "requested_by",
            "filters",
            "status",
            "progress",
            "row_count",
            "total_rows",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: Export) -> str | None:
        if obj.status != ExportStatus.DONE or not obj.file:
            return None
        url = reverse("session-export-download", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url
