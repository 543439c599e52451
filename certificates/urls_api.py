from django.urls import re_path
from rest_framework.routers import SimpleRouter

from certificates.views_api import StationSecurityActionView, StationSecurityView, UpgradeViewSet
from stations.models import IDENTITY_PATTERN

router = SimpleRouter()
router.register("security_upgrades", UpgradeViewSet, basename="security-upgrade")

urlpatterns = [
    re_path(rf"^charging_stations/(?P<identity>{IDENTITY_PATTERN})/security/$", StationSecurityView.as_view(), name="station-security"),
    re_path(
        rf"^charging_stations/(?P<identity>{IDENTITY_PATTERN})/security/(?P<action>[a-z_]+)/$",
        StationSecurityActionView.as_view(),
        name="station-security-action",
    ),
    *router.urls,
]
