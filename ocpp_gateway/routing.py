from django.urls import re_path

websocket_urlpatterns: list = [
    # Filled by the gateway: ws://HOST/ocpp/<identity>
]
