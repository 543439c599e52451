from rest_framework.routers import SimpleRouter

from displays.views_api import DisplayMessageViewSet

router = SimpleRouter()
router.register("display_messages", DisplayMessageViewSet, basename="display-message")

urlpatterns = router.urls
