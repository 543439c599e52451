from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.services import alert_rule_validate
from networks.api import WritableNetworkField


class AlertRuleSerializer(serializers.ModelSerializer):
    network = WritableNetworkField(allow_null=True, required=False)

    class Meta:
        model = AlertRule
        fields = ["id", "network", "name", "kind", "offline_minutes", "email_to", "webhook_url", "active", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        request = self.context["request"]
        from networks.querysets import is_account_admin

        if attrs.get("network", getattr(self.instance, "network", None)) is None and not is_account_admin(request.user):
            raise serializers.ValidationError({"network": ["Only account admins make account-wide rules: pick a network."]})
        fields = {f.name: getattr(self.instance, f.name) for f in AlertRule._meta.concrete_fields} if self.instance else {}
        candidate = AlertRule(**{**fields, **attrs})
        try:
            alert_rule_validate(candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("show_secret"):
            # Only in the answer to the request that created the rule.
            data["webhook_secret"] = instance.webhook_secret
        return data


class AlertDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = ["id", "channel", "target", "status", "attempts", "response_code", "last_error", "delivered_at", "next_attempt_at"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    network = serializers.CharField(source="network.name", read_only=True, default=None)
    station = serializers.CharField(source="station.identity", read_only=True, default=None)
    rule = serializers.CharField(source="rule.name", read_only=True)
    deliveries = AlertDeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "kind", "title", "detail", "network", "station", "rule", "occurred_at", "test", "created_at", "deliveries"]
        read_only_fields = fields
