from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.models import Alert, AlertRule
from alerts.serializers import AlertDeliverySerializer, AlertRuleSerializer, AlertSerializer
from alerts.services import alert_rule_test
from networks.api import NetworkScopedViewSet


class AlertRuleViewSet(NetworkScopedViewSet):
    """Alert rules: station faulted, offline for N minutes, boot rejected, firmware failed, unknown
    station; delivered by e-mail and signed webhooks. The webhook signing secret is answered once,
    in the response that creates the rule. ``test`` sends a test alert at once."""

    model = AlertRule
    serializer_class = AlertRuleSerializer
    filterset_fields = {"kind": ["exact"], "active": ["exact"]}

    def create(self, request, *args, **kwargs):
        self.check_write_role()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = serializer.save()
        data = AlertRuleSerializer(rule, context={**self.get_serializer_context(), "show_secret": True}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AlertDeliverySerializer(many=True)})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        rule = self.get_queryset_for_user(write=True).filter(pk=pk).first()
        if rule is None:
            self.get_object()  # 404 for another network's rule, 403 for a viewer of this one
            self.permission_denied(request)
        return Response(AlertDeliverySerializer(alert_rule_test(rule), many=True).data)


class AlertViewSet(NetworkScopedViewSet):
    """Alerts raised by the rules, newest first, with each delivery's outcome."""

    model = Alert
    serializer_class = AlertSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = {"kind": ["exact"], "station__identity": ["exact"], "test": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("network", "station", "rule").prefetch_related("deliveries")
