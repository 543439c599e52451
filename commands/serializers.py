from __future__ import annotations

from rest_framework import serializers

from commands.models import Command


class CommandSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    final = serializers.BooleanField(source="is_final", read_only=True, help_text="No further change will come.")
    # Secret parameters (a password being rotated) are never returned, sealed or not.
    parameters = serializers.JSONField(source="public_parameters", read_only=True)
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = Command
        fields = [
            "id",
            "station",
            "action",
            "action_label",
            "parameters",
            "status",
            "final",
            "result",
            "answer",
            "error",
            "waiting_for_idle",
            "requested_by",
            "created_at",
            "sent_at",
            "answered_at",
        ]
        read_only_fields = fields
