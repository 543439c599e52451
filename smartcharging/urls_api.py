from rest_framework.routers import SimpleRouter

from smartcharging.views_api import (
    ChargingLimitReportViewSet,
    ChargingProfileViewSet,
    CompositeScheduleViewSet,
    SiteLimitViewSet,
    StationChargingSettingsViewSet,
)

router = SimpleRouter()
router.register("charging_profiles", ChargingProfileViewSet, basename="charging-profile")
router.register("site_limits", SiteLimitViewSet, basename="site-limit")
router.register("station_charging_settings", StationChargingSettingsViewSet, basename="station-charging-settings")
router.register("composite_schedules", CompositeScheduleViewSet, basename="composite-schedule")
router.register("charging_limit_reports", ChargingLimitReportViewSet, basename="charging-limit-report")

urlpatterns = router.urls
