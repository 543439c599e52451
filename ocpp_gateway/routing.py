from __future__ import annotations

from django.urls import re_path

from ocpp_gateway.consumers import OcppConsumer, UnknownPathConsumer

websocket_urlpatterns: list = [
    # ws://HOST/ocpp/<identity>: the consumer percent-decodes and checks the identity itself, so
    # a malformed one (a decoded '/', over 48 characters, not UTF-8) gets a clean HTTP 400.
    re_path(r"^ocpp/(?P<identity>[^/]+)/?$", OcppConsumer.as_asgi()),
    # Anything else (/ocpp/, /ocpp/a/b, /elsewhere) is HTTP 404, not URLRouter's "no route" error,
    # which daphne answers with a 500.
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
