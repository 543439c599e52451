from rest_framework.routers import SimpleRouter

from alerts.views_api import AlertRuleViewSet, AlertViewSet

router = SimpleRouter()
router.register("alert_rules", AlertRuleViewSet, basename="alert-rule")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = router.urls
