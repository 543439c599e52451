from rest_framework.routers import SimpleRouter

from tariffs.views_api import TariffViewSet

router = SimpleRouter()
router.register("tariffs", TariffViewSet, basename="tariff")

urlpatterns = router.urls
