import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchplatform.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from ocpp_gateway.routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from switchplatform.staticfiles import StaticFilesHandler

    http_app = StaticFilesHandler(django_asgi_app)

from certificates.proxy import TrustedProxyMiddleware  # noqa: E402

# Outermost: forwarded and client-certificate headers are believed only from OCPP_TRUSTED_PROXIES
# (nginx terminating TLS) and stripped from everyone else before anything reads them.
application = TrustedProxyMiddleware(ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
))
