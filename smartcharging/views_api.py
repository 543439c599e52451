from __future__ import annotations

from networks.api import NetworkScopedViewSet
from smartcharging.models import ChargingLimitReport, ChargingProfile, CompositeSchedule, SiteLimit, StationChargingSettings
from smartcharging.serializers import (
    ChargingLimitReportSerializer,
    ChargingProfileSerializer,
    CompositeScheduleSerializer,
    SiteLimitSerializer,
    StationChargingSettingsSerializer,
)
from smartcharging.services import site_limit_changed, site_limit_delete


class ChargingProfileViewSet(NetworkScopedViewSet):
    """Profile templates (write) and the profiles sent to or reported by stations (read)."""

    model = ChargingProfile
    serializer_class = ChargingProfileSerializer
    filterset_fields = {"network__name": ["exact"], "station__identity": ["exact"], "source": ["exact"], "status": ["exact"], "purpose": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("network", "station")

    def get_queryset_for_user(self, *, write: bool = False):
        qs = super().get_queryset_for_user(write=write)
        # Records of what stations were sent stay as they are: only templates are writable.
        return qs.templates() if write else qs


class SiteLimitViewSet(NetworkScopedViewSet):
    """A location's power limit, with the live sum of its running sessions and the balancer's shares."""

    model = SiteLimit
    serializer_class = SiteLimitSerializer
    filterset_fields = {"location": ["exact"]}

    def get_queryset(self):
        return super().get_queryset().select_related("location")

    def perform_create(self, serializer) -> None:
        site_limit_changed(site=serializer.save())

    def perform_update(self, serializer) -> None:
        site_limit_changed(site=serializer.save())

    def perform_destroy(self, instance) -> None:
        site_limit_delete(site=instance)


class StationChargingSettingsViewSet(NetworkScopedViewSet):
    model = StationChargingSettings
    serializer_class = StationChargingSettingsSerializer
    filterset_fields = {"station__identity": ["exact"]}


class CompositeScheduleViewSet(NetworkScopedViewSet):
    model = CompositeSchedule
    serializer_class = CompositeScheduleSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = {"station__identity": ["exact"]}


class ChargingLimitReportViewSet(NetworkScopedViewSet):
    model = ChargingLimitReport
    serializer_class = ChargingLimitReportSerializer
    http_method_names = ["get", "head", "options"]
    filterset_fields = {"station__identity": ["exact"], "kind": ["exact"]}
