from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from locations.models import Location
from networks.api import ScopedRelatedField, WritableNetworkField
from stations.models import (
    EVSE,
    STATION_REPORTED_FIELDS,
    Connector,
    Station,
    validate_identity_segment,
    validate_station_location,
    validate_station_password,
)
from stations.services import (
    station_connection_details,
    station_connection_url,
    station_create,
    station_disconnect_if_disabled,
)


def _password_validator(value: str) -> None:
    try:
        validate_station_password(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class ConnectorSerializer(serializers.ModelSerializer):
    faulted = serializers.BooleanField(source="is_faulted", read_only=True)

    class Meta:
        model = Connector
        fields = ["connector_id", "status", "error_code", "error_info", "vendor_error_code", "status_at", "faulted"]


class EVSESerializer(serializers.ModelSerializer):
    connectors = ConnectorSerializer(many=True, read_only=True)
    faulted = serializers.BooleanField(source="is_faulted", read_only=True)

    class Meta:
        model = EVSE
        fields = ["evse_id", "status", "error_code", "error_info", "status_at", "faulted", "connectors"]


class StationSerializer(serializers.ModelSerializer):
    network = WritableNetworkField()
    location = ScopedRelatedField(Location, required=False, allow_null=True)
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        validators=[_password_validator],
        help_text="16 to 40 characters; required on create. Never returned.",
    )
    connection_url = serializers.SerializerMethodField()
    # Only in the answer to the request that set the password (create, or update with a password);
    # null everywhere else, since the password is kept as a hash only.
    password_hex = serializers.SerializerMethodField(
        help_text="The password's UTF-8 bytes in hex (Zaptec, OCPP 1.6 AuthorizationKey). Only in the answer "
        "to the request that set the password; null otherwise."
    )
    zaptec_warning = serializers.SerializerMethodField(
        help_text="Set when the password is not the 20 bytes Zaptec stations need. Only with password_hex."
    )
    evses = EVSESerializer(many=True, read_only=True)

    class Meta:
        model = Station
        fields = [
            "identity",
            "name",
            "network",
            "location",
            "password",
            "connection_url",
            "password_hex",
            "zaptec_warning",
            "state",
            "ocpp_version",
            "security_profile",
            "boot_pending",
            "boot_pending_interval",
            *STATION_REPORTED_FIELDS,
            "created_at",
            "evses",
        ]
        read_only_fields = [*STATION_REPORTED_FIELDS, "created_at"]
        # Like add_station --name: without a name the station is called by its identity.
        extra_kwargs = {"name": {"required": False, "allow_blank": True}}

    def get_connection_url(self, obj: Station) -> str:
        return station_connection_url(station=obj)

    def validate_identity(self, value: str) -> str:
        try:
            validate_identity_segment(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["identity"]) from None
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": ["This field is required."]})
        network = attrs.get("network", getattr(self.instance, "network", None))
        location = attrs.get("location", getattr(self.instance, "location", None))
        try:
            validate_station_location(network=network, location=location)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def create(self, validated_data):
        password = validated_data.pop("password")
        station = station_create(password=password, **validated_data)
        # Shown in the create response only: the password is not retrievable later.
        station._connection_details = station_connection_details(station=station, password=password)
        return station

    def update(self, instance, validated_data):
        password = validated_data.pop("password", None)
        for key, value in validated_data.items():
            setattr(instance, key, value)
        if password:
            instance.set_password(password)
            instance._connection_details = station_connection_details(station=instance, password=password)
        instance.save()
        station_disconnect_if_disabled(station=instance)
        return instance

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_password_hex(self, obj: Station) -> str | None:
        details = getattr(obj, "_connection_details", None)
        return details.password_hex if details else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_zaptec_warning(self, obj: Station) -> str | None:
        details = getattr(obj, "_connection_details", None)
        return details.zaptec_warning if details else None
