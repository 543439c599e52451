from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand


SWITCH_INTERVAL = 0.001


class Command(BaseCommand):
    help = "Serve the admin, the API and the OCPP websocket endpoint with daphne."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        # PORT, as settings read it: OCPP_PUBLIC_URL and the firmware links name the port served.
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
        # issue 17: uvicorn with uvloop is supported beside daphne (the default); SERVE_SERVER sets it too.
        parser.add_argument("--server", choices=["daphne", "uvicorn"], default=os.environ.get("SERVE_SERVER") or "daphne")

    def handle(self, *args, host: str, port: int, server: str = "daphne", **options) -> None:
        from django.conf import settings

        # daphne with the handshake answers OCPP needs (401 with WWW-Authenticate, 400/404 for bad
        # paths, close frames 1008/1009, per-socket backpressure): see ocpp_gateway.server.
        from ocpp_gateway.server import GatewayCommandLineInterface

        self.stdout.write(f"Serving on http://{host}:{port}/admin/ ; stations connect to {settings.OCPP_PUBLIC_URL}<identity>")
        self.stdout.write(f"Firmware download links start with {settings.FIRMWARE_PUBLIC_BASE_URL} (FIRMWARE_PUBLIC_BASE_URL)")
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
        # The database threads wait for the GIL after every round trip while the event loop holds
        # it, up to the switch interval (5 ms by default) each time; a batch of the write buffer
        # makes a dozen. 1 ms: +9-12 % flat-out CALLs on PostgreSQL in interleaved runs (issue 17).
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._forget_stale_connections()
        # Periodic tasks and node presence (issue 13): without Redis this process runs the beat
        # schedule itself; with Redis it announces itself as a gateway node (ocpp_gateway.presence).
        from ocpp_gateway.presence import node_presence_start
        from switchplatform.celery import embedded_beat_start

        embedded_beat_start()
        node_presence_start()
        if server == "uvicorn":
            from ocpp_gateway.uvicorn_server import serve

            sys.exit(serve(host, port))
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
