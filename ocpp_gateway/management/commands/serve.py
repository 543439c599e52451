from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the admin, the API and the OCPP websocket endpoint with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        from django.conf import settings

        # daphne with the handshake answers OCPP needs (401 with WWW-Authenticate, 400/404 for bad
        # paths, close frames 1008/1009, per-socket backpressure): see ocpp_gateway.server.
        from ocpp_gateway.server import GatewayCommandLineInterface

        self.stdout.write(f"Serving on http://{host}:{port}/admin/ ; stations connect to {settings.OCPP_PUBLIC_URL}<identity>")
        # Stations keep their websocket for weeks: daphne's default closes it after 24 h. No
        # --proxy-headers: daphne would take X-Forwarded-For from anyone; certificates.proxy
        # believes forwarded headers only from OCPP_TRUSTED_PROXIES.
        # --websocket_connect_timeout: see consumers.WEBSOCKET_CONNECT_TIMEOUT (reconnect storms).
        from ocpp_gateway.consumers import WEBSOCKET_CONNECT_TIMEOUT

        argv = [
            "-b", host, "-p", str(port), "--websocket_timeout", "-1",
            "--websocket_connect_timeout", str(WEBSOCKET_CONNECT_TIMEOUT),
            # A frame over the limit is refused while its header is read (close 1009), never buffered.
            "--websocket-max-message-size", str(settings.OCPP_MAX_FRAME_BYTES),
            "--websocket-max-frame-size", str(settings.OCPP_MAX_FRAME_BYTES),
            "switchplatform.asgi:application",
        ]
        # Thousands of long-lived connections make full GC passes the latency tail: see gc_tuning.
        from ocpp_gateway import gc_tuning

        gc_tuning.tune()
        self._forget_stale_connections()
        sys.exit(GatewayCommandLineInterface().run(argv))

    def _forget_stale_connections(self) -> None:
        from django.conf import settings
        from django.db import DatabaseError

        from stations.services import stations_forget_connections

        backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if not backend.endswith("InMemoryChannelLayer"):
            # Several nodes share a Redis layer: another node's stations are really connected.
            return
        try:
            stale = stations_forget_connections()
        except DatabaseError:
            return  # not migrated yet: nothing to forget
        if stale:
            self.stdout.write(f"Marked {stale} station(s) offline that a previous, stopped process left connected.")
