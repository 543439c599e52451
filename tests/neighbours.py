"""A well-behaved station next to an offending one: its service is what "one station never hurts
another" promises, so the transport tests assert it as well as the offender's answer.

    async with neighbour_station(platform) as neighbour:
        ... offend ...
        await neighbour.assert_served()   # a heartbeat round trip in time, and its rows in the message log
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import time
from dataclasses import dataclass, field

from tests.servers import AdminBrowser, Platform, simulated_station, station_password, unique_identity, until


def message_log_rows(admin: AdminBrowser, pk: int) -> list[str]:
    """The text of each row of the station's message log in the admin (newest first), tags stripped."""
    page = admin.page(f"/admin/ocpp_gateway/message/?station={pk}")
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


@dataclass
class Neighbour:
    sim: object
    admin: AdminBrowser
    identity: str
    pk: int
    round_trips: list[float] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def assert_served(self, *, within: float = 5.0) -> None:
        """A heartbeat answered within ``within`` s, and that heartbeat and its answer in the log."""
        unique_id = f"{self.identity[-6:]}-nb{next(self._ids)}"
        self.sim._unique_id_generator = lambda: unique_id
        started = time.monotonic()
        await asyncio.wait_for(self.sim.heartbeat(), within)
        self.round_trips.append(time.monotonic() - started)

        def logged() -> bool:
            rows = [row for row in message_log_rows(self.admin, self.pk) if unique_id in row]
            return any("CALLRESULT" in row for row in rows) and any("CALL " in row for row in rows)

        await until(logged, timeout=15, what=f"the neighbour's heartbeat {unique_id} in its message log", interval=0.2)


@contextlib.asynccontextmanager
async def neighbour_station(platform: Platform, *, admin: AdminBrowser | None = None, network: str = "Neighbours"):
    """A booted 1.6 station on ``platform``, connected for the duration."""
    admin = admin or platform.admin()
    await asyncio.to_thread(platform.api.ensure_network, network)
    identity, password = unique_identity("NB"), station_password()
    await asyncio.to_thread(platform.api.create_station, identity=identity, password=password, network=network)
    pk = await asyncio.to_thread(admin.station_pk, identity)
    async with simulated_station("1.6", identity=identity, password=password, url=platform.ocpp_url) as sim:
        neighbour = Neighbour(sim=sim, admin=admin, identity=identity, pk=pk)
        await neighbour.assert_served()
        yield neighbour
        # Still connected at the end: the offender's treatment never reached the neighbour's socket.
        assert sim.is_connected, "the neighbour lost its connection"
