from __future__ import annotations

from rest_framework import serializers

from locations.models import Location
from networks.api import ScopedRelatedField, WritableNetworkField
from smartcharging.forms import parse_periods
from smartcharging.models import (
    ChargingLimitReport,
    ChargingProfile,
    CompositeSchedule,
    ProfileSource,
    ProfileStatus,
    SiteLimit,
    StationChargingSettings,
)
from smartcharging.selectors import location_site_picture
from stations.models import Station


class PeriodSerializer(serializers.Serializer):
    start_period = serializers.IntegerField(min_value=0, max_value=10**7)
    limit = serializers.FloatField(min_value=0, max_value=10**6)
    number_phases = serializers.IntegerField(min_value=1, max_value=3, required=False)
    phase_to_use = serializers.IntegerField(min_value=1, max_value=3, required=False)


class ChargingProfileSerializer(serializers.ModelSerializer):
    """Templates are written here (no station); profiles sent to or reported by stations are read only."""

    network = WritableNetworkField()
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)
    periods = PeriodSerializer(many=True)

    class Meta:
        model = ChargingProfile
        fields = [
            "id", "network", "name", "station", "source", "status", "profile_id", "evse_id", "transaction_id",
            "stack_level", "purpose", "kind", "recurrency_kind", "valid_from", "valid_to", "start_schedule",
            "duration", "charging_rate_unit", "min_charging_rate", "periods", "command", "request_id",
            "reported_source", "created_at", "updated_at",
        ]
        read_only_fields = [
            "source", "status", "profile_id", "evse_id", "transaction_id", "command", "request_id", "reported_source",
            "created_at", "updated_at",
        ]

    def validate_periods(self, periods):
        text = ", ".join(f"{p['start_period']}:{p['limit']}" for p in periods)
        try:
            parse_periods(text)
        except Exception as exc:
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])[0]) from None
        return periods

    def validate(self, attrs):
        if not attrs.get("name", getattr(self.instance, "name", "")):
            raise serializers.ValidationError({"name": "A template needs a name."})
        if attrs.get("purpose") in ("TxProfile", "ChargingStationExternalConstraints"):
            raise serializers.ValidationError(
                {"purpose": "Templates are station maximum or transaction default profiles (a TxProfile names one transaction)."}
            )
        if self.instance is not None and self.instance.station_id is not None:
            raise serializers.ValidationError("Profiles sent to or reported by stations are records; edit templates only.")
        attrs["source"] = ProfileSource.TEMPLATE
        attrs["status"] = ProfileStatus.DRAFT
        return attrs


class SiteLimitSerializer(serializers.ModelSerializer):
    location = ScopedRelatedField(Location)
    live_power_w = serializers.SerializerMethodField()
    allocated_w = serializers.SerializerMethodField()
    active_sessions = serializers.SerializerMethodField()
    limit_w = serializers.FloatField(read_only=True)

    class Meta:
        model = SiteLimit
        fields = [
            "id", "location", "max_power_kw", "max_current_a", "phases", "voltage", "enabled", "limit_w",
            "live_power_w", "allocated_w", "active_sessions", "updated_at",
        ]

    def _picture(self, obj):
        cache = self.context.setdefault("_pictures", {})
        if obj.location_id not in cache:
            cache[obj.location_id] = location_site_picture(location_id=obj.location_id)
        return cache[obj.location_id]

    def get_live_power_w(self, obj) -> float:
        return round(self._picture(obj).live_power_w, 1)

    def get_allocated_w(self, obj) -> float:
        return round(self._picture(obj).allocated_w, 1)

    def get_active_sessions(self, obj) -> int:
        return self._picture(obj).active_sessions

    def validate(self, attrs):
        power = attrs.get("max_power_kw", getattr(self.instance, "max_power_kw", None))
        current = attrs.get("max_current_a", getattr(self.instance, "max_current_a", None))
        if (power is None) == (current is None):
            raise serializers.ValidationError({"max_power_kw": "Give either a maximum power (kW) or a maximum current per phase (A)."})
        return attrs


class StationChargingSettingsSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", queryset=Station.objects.none())

    class Meta:
        model = StationChargingSettings
        fields = ["id", "station", "priority", "min_current_a", "max_current_a", "phases", "voltage", "accepts_profiles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["station"].queryset = Station.objects.for_user(request.user, write=True)

    def validate(self, attrs):
        low = attrs.get("min_current_a", getattr(self.instance, "min_current_a", 6.0))
        high = attrs.get("max_current_a", getattr(self.instance, "max_current_a", 32.0))
        if low > high:
            raise serializers.ValidationError({"min_current_a": "The minimum is at most the maximum."})
        return attrs


class CompositeScheduleSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)

    class Meta:
        model = CompositeSchedule
        fields = ["id", "station", "command", "evse_id", "status", "schedule_start", "duration", "charging_rate_unit", "periods", "created_at"]


class ChargingLimitReportSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)

    class Meta:
        model = ChargingLimitReport
        fields = ["id", "station", "kind", "evse_id", "limit_source", "payload", "received_at"]
