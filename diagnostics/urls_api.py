from rest_framework.routers import SimpleRouter

from diagnostics.views_api import LogRequestViewSet

router = SimpleRouter()
router.register("log_requests", LogRequestViewSet, basename="logrequest")
urlpatterns = router.urls
