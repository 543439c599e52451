from __future__ import annotations

from rest_framework import serializers

from certificates.models import (
    CertificateRequest,
    ConnectionSecurity,
    InstalledCertificate,
    PasswordRotation,
    UpgradeRecord,
    UpgradeStep,
)


class UpgradeStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = UpgradeStep
        fields = ["key", "name", "status", "detail", "command", "started_at", "finished_at"]


class UpgradeSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)
    steps = UpgradeStepSerializer(many=True, read_only=True)

    class Meta:
        model = UpgradeRecord
        fields = [
            "id", "station", "from_profile", "target_profile", "target_url", "ocpp_version", "status", "error",
            "created_at", "finished_at", "steps",
        ]


class UpgradeRequestSerializer(serializers.Serializer):
    target_profile = serializers.ChoiceField(choices=[2, 3])


class PasswordRotationSerializer(serializers.ModelSerializer):
    station = serializers.SlugRelatedField(slug_field="identity", read_only=True)

    class Meta:
        model = PasswordRotation
        fields = ["id", "station", "status", "detail", "command", "created_at", "finished_at"]


class CertificateRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = CertificateRequest
        fields = [
            "id", "certificate_type", "status", "detail", "common_name", "serial_number", "not_after", "created_at",
            "delivered_at",
        ]


class InstalledCertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = InstalledCertificate
        fields = [
            "id", "certificate_type", "hash_algorithm", "issuer_name_hash", "issuer_key_hash", "serial_number",
            "is_platform_ca", "reported_at",
        ]


class ConnectionSecuritySerializer(serializers.ModelSerializer):
    class Meta:
        model = ConnectionSecurity
        fields = ["profile", "client_certificate_cn", "connected_at"]


class DeleteCertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="An installed certificate's id, from GET .../security/.")
