from rest_framework.routers import SimpleRouter

from monitoring.views_api import CustomerInformationViewSet, StationEventViewSet, VariableMonitorViewSet

router = SimpleRouter()
router.register("variable_monitors", VariableMonitorViewSet, basename="variable-monitor")
router.register("customer_information", CustomerInformationViewSet, basename="customer-information")
router.register("station_events", StationEventViewSet, basename="station-event")

urlpatterns = router.urls
