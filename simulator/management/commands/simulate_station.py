"""Run a simulated charging station against the platform until SIGTERM or Ctrl-C."""
from __future__ import annotations

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from simulator import STATION_CLASSES, make_station


class Command(BaseCommand):
    help = (
        "Connect a simulated station (the ocpp library's client) to the platform: it boots, waits while "
        "Pending, heartbeats, reports its connectors and answers the platform's requests; with "
        "--charge-kwh it runs one charging session. Stops cleanly on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("identity")
        parser.add_argument("--password", required=True, help="The station's password (16 to 40 characters)")
        parser.add_argument("--url", default=None, help="CSMS URL without the identity (default: OCPP_PUBLIC_URL)")
        parser.add_argument("--ocpp", default="1.6", choices=sorted(STATION_CLASSES), help="OCPP version")
        parser.add_argument("--connectors", type=int, default=1)
        parser.add_argument("--charge-kwh", type=float, default=None, help="Run one session delivering this energy")
        parser.add_argument("--meter-interval", type=float, default=2.0, help="Seconds between meter values")
        parser.add_argument("--heartbeat", type=float, default=None, help="Override the heartbeat interval (s)")
        parser.add_argument("--vendor", default="Switch")
        parser.add_argument("--model", default="SimCharger")

    def handle(self, *args, identity: str, password: str, url: str | None, ocpp: str, connectors: int,
               charge_kwh: float | None, meter_interval: float, heartbeat: float | None, vendor: str, model: str,
               **options) -> None:
        if connectors < 1:
            raise CommandError("--connectors must be at least 1")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        logging.getLogger("simulator").setLevel(logging.INFO)
        station = make_station(
            ocpp,
            identity=identity,
            password=password,
            url=url or settings.OCPP_PUBLIC_URL,
            connectors=connectors,
            vendor=vendor,
            model=model,
            meter_interval=meter_interval,
            heartbeat_interval=heartbeat,
        )
        self.stdout.write(f"Station {identity} (OCPP {ocpp}, {connectors} connector(s)) connecting to {station.url}")
        asyncio.run(self._run(station, charge_kwh))
        self.stdout.write(f"Station {identity} stopped.")

    async def _run(self, station, charge_kwh: float | None) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Like healthchecks' sendalerts: finish what is in flight (end the session with a
        # StopTransaction / TransactionEvent Ended), close the socket with 1000, then exit.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await station.run(stop=stop, charge_kwh=charge_kwh)
