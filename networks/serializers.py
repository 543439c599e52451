from __future__ import annotations

from rest_framework import serializers

from networks.models import Membership, Network


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role"]


class NetworkSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = Network
        fields = ["id", "name", "description", "message_retention_days", "read_configuration_after_boot", "created_at", "memberships"]
        read_only_fields = ["created_at"]
