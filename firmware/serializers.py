from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from firmware.models import Firmware, FirmwareUpdate, FirmwareUpdateEvent
from firmware.services import firmware_create, firmware_validate_size
from networks.api import WritableNetworkField
from networks.querysets import is_account_admin


class FirmwareSerializer(serializers.ModelSerializer):
    network = WritableNetworkField(required=False, allow_null=True)
    file = serializers.FileField(write_only=True, help_text="The image (multipart upload).")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Firmware
        fields = [
            "id",
            "network",
            "shared",
            "version",
            "vendor",
            "model",
            "notes",
            "file",
            "filename",
            "size",
            "sha256",
            "signature",
            "signing_certificate",
            "download_url",
            "created_at",
        ]
        read_only_fields = ["filename", "size", "sha256", "created_at"]

    def get_download_url(self, obj: Firmware) -> str:
        request = self.context.get("request")
        url = reverse("firmware-detail", args=[obj.pk]) + "download/"
        return request.build_absolute_uri(url) if request else url

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            # The image is fixed once uploaded: updates sent already point at its SHA-256.
            fields["file"].read_only = True
            fields["file"].required = False
        return fields

    def validate_file(self, file):
        try:
            firmware_validate_size(size=file.size)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["file"]) from None
        return file

    def validate(self, attrs):
        user = self.context["request"].user
        shared = attrs.get("shared", getattr(self.instance, "shared", False))
        if shared:
            if not is_account_admin(user):
                raise serializers.ValidationError({"shared": ["Only account admins share images with every network."]})
            attrs["network"] = None
        elif attrs.get("network", getattr(self.instance, "network", None)) is None:
            raise serializers.ValidationError({"network": ["Pick the network, or share the image with every network."]})
        return attrs

    def create(self, validated_data):
        try:
            return firmware_create(uploaded_by=self.context["request"].user, **validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None


class FirmwareUpdateEventSerializer(serializers.ModelSerializer):
    failed = serializers.BooleanField(read_only=True)

    class Meta:
        model = FirmwareUpdateEvent
        fields = ["time", "status", "info", "failed"]


class FirmwareUpdateSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)
    firmware = serializers.PrimaryKeyRelatedField(read_only=True)
    firmware_version = serializers.CharField(source="firmware.version", read_only=True)
    failed = serializers.BooleanField(read_only=True)
    finished = serializers.BooleanField(read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    timeline = FirmwareUpdateEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = FirmwareUpdate
        fields = [
            "id",
            "station",
            "firmware",
            "firmware_version",
            "request_id",
            "status",
            "status_info",
            "failed",
            "finished",
            "retrieve_at",
            "install_at",
            "signed_update",
            "retries",
            "retry_interval",
            "link_expires_at",
            "requested_by",
            "created_at",
            "sent_at",
            "status_at",
            "finished_at",
            "timeline",
        ]


class UpdateFirmwareRequestSerializer(serializers.Serializer):
    """POST /api/charging_stations/<identity>/actions/update_firmware/."""

    firmware = serializers.PrimaryKeyRelatedField(queryset=Firmware.objects.none())
    retrieve_at = serializers.DateTimeField(required=False, allow_null=True)
    # 2.0.1 firmware.installDateTime; 1.6 only with a signed image (SignedUpdateFirmware).
    install_at = serializers.DateTimeField(required=False, allow_null=True)
    # 1.6 Security Whitepaper SignedUpdateFirmware instead of UpdateFirmware (signed images only).
    signed_update = serializers.BooleanField(required=False, default=False)
    retries = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    retry_interval = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=86400)

    def get_fields(self):
        fields = super().get_fields()
        # Another network's image is as unknown as a wrong id.
        fields["firmware"].queryset = Firmware.objects.for_user(self.context["request"].user)
        return fields
