from __future__ import annotations

from rest_framework import serializers

from displays.models import DisplayMessage


class DisplayMessageSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)

    class Meta:
        model = DisplayMessage
        fields = [
            "id", "station", "message_id", "priority", "state", "start_at", "end_at", "transaction_id", "content",
            "message_format", "language", "display_component", "display_component_instance", "source", "updated_at",
        ]
        read_only_fields = fields
