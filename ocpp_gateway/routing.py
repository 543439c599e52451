from __future__ import annotations

from django.urls import re_path

from ocpp_gateway.consumers import OcppConsumer

websocket_urlpatterns: list = [
    # ws://HOST/ocpp/<identity>: the consumer percent-decodes and checks the identity itself, so
    # a malformed one gets the same refusal (403) as an unknown one.
    re_path(r"^ocpp/(?P<identity>[^/]+)/?$", OcppConsumer.as_asgi()),
]
