from __future__ import annotations

from rest_framework import serializers

from monitoring.models import CustomerInformationPart, VariableMonitor
from stations.models import StationEvent


class VariableMonitorSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)
    severity_name = serializers.CharField(read_only=True)

    class Meta:
        model = VariableMonitor
        fields = [
            "id", "station", "monitor_id", "component", "component_instance", "evse_id", "connector_id", "variable",
            "variable_instance", "monitor_type", "value", "severity", "severity_name", "transaction", "source", "updated_at",
        ]
        read_only_fields = fields


class CustomerInformationPartSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)

    class Meta:
        model = CustomerInformationPart
        fields = ["id", "station", "request_id", "seq_no", "tbc", "data", "generated_at", "received_at"]
        read_only_fields = fields


class StationEventSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)

    class Meta:
        model = StationEvent
        fields = ["id", "station", "source", "event_type", "component", "variable", "value", "tech_info", "cleared", "occurred_at", "received_at", "data"]
        read_only_fields = fields
