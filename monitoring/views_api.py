"""Read-only API of what stations reported: monitors, customer information parts and station events
(NotifyEvent, SecurityEventNotification). Scoped by ``for_user``: another network's rows do not exist."""
from __future__ import annotations

import django_filters

from monitoring.models import CustomerInformationPart, VariableMonitor
from monitoring.serializers import CustomerInformationPartSerializer, StationEventSerializer, VariableMonitorSerializer
from networks.api import NetworkScopedViewSet
from stations.models import StationEvent


class VariableMonitorFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")

    class Meta:
        model = VariableMonitor
        fields = ["station", "component", "variable", "monitor_type", "severity", "source"]


class CustomerInformationFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")

    class Meta:
        model = CustomerInformationPart
        fields = ["station", "request_id"]


class StationEventFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(field_name="station__identity")

    class Meta:
        model = StationEvent
        fields = ["station", "source", "event_type", "component", "variable"]


class ReadOnlyScopedViewSet(NetworkScopedViewSet):
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("station")


class VariableMonitorViewSet(ReadOnlyScopedViewSet):
    """The stations' variable monitors (NotifyMonitoringReport, accepted SetVariableMonitoring)."""

    model = VariableMonitor
    serializer_class = VariableMonitorSerializer
    filterset_class = VariableMonitorFilter


class CustomerInformationViewSet(ReadOnlyScopedViewSet):
    """NotifyCustomerInformation parts; ``request_id`` is the id of the customer_information command."""

    model = CustomerInformationPart
    serializer_class = CustomerInformationPartSerializer
    filterset_class = CustomerInformationFilter


class StationEventViewSet(ReadOnlyScopedViewSet):
    """Station events: NotifyEvent items (monitors that tripped, faults) and security events, newest first."""

    model = StationEvent
    serializer_class = StationEventSerializer
    filterset_class = StationEventFilter
