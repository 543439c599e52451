from __future__ import annotations

import math

from django.urls import reverse
from rest_framework import serializers

from networks.api import WritableNetworkField
from networks.models import Network
from sessions.models import Export, ExportStatus, IdToken, IdTokenGroup, LocalListVersion, MeterSample, Session, StationLocalList


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
            "total_cost",
            "cost_currency",
            "cost_details",
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
    group = serializers.CharField(
        source="group.token", required=False, allow_null=True, allow_blank=True, max_length=36,
        help_text="The group id token of one of the network's id token groups (2.0.1 groupIdToken, 1.6 parentIdTag).",
    )
    master_pass = serializers.BooleanField(source="group.master_pass", read_only=True, default=False)

    class Meta:
        model = IdToken
        fields = ["id", "network", "token", "token_type", "status", "expires_at", "label", "group", "master_pass", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        network = attrs.get("network", getattr(self.instance, "network", None))
        token = attrs.get("token", getattr(self.instance, "token", ""))
        clash = IdToken.objects.filter(network=network, token__iexact=token)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"token": ["This network already lists that token."]})
        if "group" in attrs:
            name = (attrs.pop("group") or {}).get("token") or ""
            group = None
            if name:
                # Only the token's own network's groups: another network's group is unknown here.
                group = IdTokenGroup.objects.filter(network=network, token__iexact=name).first()
                if group is None:
                    raise serializers.ValidationError({"group": [f"{network} has no id token group {name!r}."]})
            attrs["group"] = group
        elif self.instance is not None and "network" in attrs and self.instance.group and self.instance.group.network_id != network.pk:
            raise serializers.ValidationError({"group": ["The group belongs to the token's former network: pick one of the new network's."]})
        return attrs


class IdTokenGroupSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()

    class Meta:
        model = IdTokenGroup
        fields = ["id", "network", "token", "token_type", "master_pass", "label", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        network = attrs.get("network", getattr(self.instance, "network", None))
        token = attrs.get("token", getattr(self.instance, "token", ""))
        clash = IdTokenGroup.objects.filter(network=network, token__iexact=token)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
            if "network" in attrs and attrs["network"] != self.instance.network and self.instance.id_tokens.exists():
                raise serializers.ValidationError({"network": ["Tokens of another network use this group."]})
        if clash.exists():
            raise serializers.ValidationError({"token": ["This network already has that group."]})
        return attrs


class LocalListVersionSerializer(serializers.ModelSerializer):
    network = serializers.CharField(source="network.name", read_only=True)
    entry_count = serializers.SerializerMethodField()

    class Meta:
        model = LocalListVersion
        fields = ["id", "network", "version", "entry_count", "entries", "created_at"]
        read_only_fields = fields

    def get_entry_count(self, obj) -> int:
        return len(obj.entries)


class StationLocalListSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)

    class Meta:
        model = StationLocalList
        fields = ["station", "version", "supported", "last_result", "updated_at"]
        read_only_fields = fields


class LocalListNetworkSendSerializer(serializers.Serializer):
    """A local list action for every station of a network."""

    network = serializers.CharField(help_text="The network's name; one the user may change.")
    action = serializers.ChoiceField(choices=["send_local_list", "get_local_list_version"], default="send_local_list")
    update_type = serializers.ChoiceField(choices=["Full", "Differential"], required=False, help_text="send_local_list only.")

    def validate_network(self, name: str) -> Network:
        network = Network.objects.for_user(self.context["request"].user, write=True).filter(name=name).first()
        if network is None:
            raise serializers.ValidationError(f"No network {name!r} you may change.")
        return network

    def validate(self, attrs):
        if attrs["action"] == "send_local_list" and not attrs.get("update_type"):
            raise serializers.ValidationError({"update_type": ["Full or Differential."]})
        if attrs["action"] == "get_local_list_version" and attrs.get("update_type"):
            raise serializers.ValidationError({"update_type": ["get_local_list_version takes no update type."]})
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
