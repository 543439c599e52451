from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from commands.views_api import CommandViewSet
from firmware.views_api import FirmwareUpdateViewSet, FirmwareViewSet, StationUpdateFirmwareView
from health.views import health, metrics_view, ready
from locations.views_api import LocationViewSet
from networks.views import select_network
from networks.views_api import NetworkViewSet
from ocpp_gateway.views_api import MessageViewSet
from sessions.views_api import (
    ExportViewSet,
    IdTokenGroupViewSet,
    IdTokenViewSet,
    LocalListVersionViewSet,
    SessionViewSet,
    StationSessionListView,
)
from stations.models import IDENTITY_PATTERN
from stations.views_api import StationViewSet

router = DefaultRouter()
router.register("networks", NetworkViewSet, basename="network")
router.register("locations", LocationViewSet, basename="location")
router.register("charging_stations", StationViewSet, basename="station")
# Exports before sessions: "exports" must not be read as a session id.
router.register("sessions/exports", ExportViewSet, basename="session-export")
router.register("sessions", SessionViewSet, basename="session")
router.register("id_tokens", IdTokenViewSet, basename="id-token")
router.register("id_token_groups", IdTokenGroupViewSet, basename="id-token-group")
router.register("local_lists", LocalListVersionViewSet, basename="local-list")
router.register("commands", CommandViewSet, basename="command")
router.register("firmware", FirmwareViewSet, basename="firmware")
router.register("firmware_updates", FirmwareUpdateViewSet, basename="firmwareupdate")
router.register("messages", MessageViewSet, basename="message")

urlpatterns = [
    # Operators land on the console's dashboard; the admin stays at /admin/.
    path("", RedirectView.as_view(pattern_name="console:dashboard"), name="home"),
    path("console/", include("console.urls")),
    path("admin/", admin.site.urls),
    # Liveness, readiness and Prometheus metrics (health app, issue 16).
    path("health", health, name="health"),
    path("ready", ready, name="ready"),
    path("metrics", metrics_view, name="metrics"),
    path("networks/select/", select_network, name="select-network"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Before the commands app's generic actions/<action>/: a firmware update is a FirmwareUpdate record
    # (with its download link and timeline) that then travels as a Command.
    re_path(
        rf"^api/charging_stations/(?P<identity>{IDENTITY_PATTERN})/actions/update_firmware/$",
        StationUpdateFirmwareView.as_view(),
        name="station-update-firmware",
    ),
    re_path(
        rf"^api/charging_stations/(?P<identity>{IDENTITY_PATTERN})/sessions/$",
        StationSessionListView.as_view(),
        name="station-sessions",
    ),
    path("", include("firmware.urls")),
    path("", include("diagnostics.urls")),
    path("api/", include("commands.urls")),
    path("api/", include("certificates.urls_api")),
    path("api/", include("diagnostics.urls_api")),
    path("api/", include("smartcharging.urls_api")),
    path("api/", include("tariffs.urls_api")),
    path("api/", include("reservations.urls_api")),
    path("api/", include("alerts.urls_api")),
    path("api/", include(router.urls)),
    path("pki/", include("certificates.urls")),
    path("smartcharging/", include("smartcharging.urls")),
]
# OCPP 2.0.1 N and O: monitors, customer information, station events, display messages (read-only).
urlpatterns += [path("api/", include("monitoring.urls_api")), path("api/", include("displays.urls_api"))]
