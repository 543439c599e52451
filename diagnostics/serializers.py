from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from diagnostics.models import LogRequest, LogStatusEvent


class LogStatusEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = LogStatusEvent
        fields = ["time", "source", "status", "request_id", "info"]


class LogRequestSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)
    events = LogStatusEventSerializer(many=True, read_only=True)
    download_url = serializers.SerializerMethodField()
    failed = serializers.BooleanField(read_only=True)

    class Meta:
        model = LogRequest
        fields = [
            "id", "station", "request_id", "command", "log_type", "status", "status_info", "failed",
            "announced_filename", "filename", "size", "sha256", "uploaded_at", "created_at", "status_at",
            "download_url", "events",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: LogRequest) -> str | None:
        if not obj.file:
            return None
        path = reverse("logrequest-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
