from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from locations.views_api import LocationViewSet
from networks.views import select_network
from networks.views_api import NetworkViewSet
from stations.views_api import StationViewSet

router = DefaultRouter()
router.register("networks", NetworkViewSet, basename="network")
router.register("locations", LocationViewSet, basename="location")
router.register("charging_stations", StationViewSet, basename="station")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("networks/select/", select_network, name="select-network"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(router.urls)),
]
