from rest_framework import serializers

from reservations.models import Reservation


class ReservationSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="station.identity", read_only=True)
    network = serializers.CharField(source="station.network.name", read_only=True)
    session = serializers.PrimaryKeyRelatedField(read_only=True)
    command = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Reservation
        fields = ["id", "reservation_id", "network", "station", "evse_id", "connector_type", "id_token", "id_token_type",
                  "group_id_token", "expires_at", "status", "station_status", "session", "command", "ended_at", "created_at"]
        read_only_fields = fields
