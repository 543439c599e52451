"""A closed station connection is freed by reference counting, not left to the cycle collector.

Whatever a closed connection leaves in a reference cycle stays until a full collection over the
node's whole heap (ocpp_gateway.gc_tuning): a pause of seconds at 10,000 stations, and the memory
of every station that reconnected held twice meanwhile (issue 17). The node's process runs with a
probe (tests/gc_probe) that lists what only the cycle collector could free.
"""
from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT, simulated_station, station_password, unique_identity, wait_for

pytestmark = pytest.mark.e2e

# What a station's connection is made of, from the socket to the station's rows, per server. The
# test's own API requests (HTTP) are made before the first probe and after the last.
STATION_TYPES = (
    "ocpp_gateway.consumers.OcppConsumer",
    "ocpp_gateway.v16.ChargePoint16",
    "ocpp_gateway.v201.ChargePoint201",
    "stations.models.Station",
    "ocpp_gateway.models.VerifiedCredential",
    "certificates.models.ConnectionSecurity",
)
CONNECTION_TYPES = {
    "daphne": STATION_TYPES + (
        "ocpp_gateway.server.GatewayWebSocketProtocol",
        "daphne.http_protocol.WebRequest",
        "twisted.web.http.HTTPChannel",
        "twisted.internet.tcp.Server",
        # The gateway's batches on the event loop (uvicorn keeps an HTTP request's own until its
        # keep-alive ends: not a station's, so only looked for here).
        "django.db.backends.sqlite3.base.DatabaseWrapper",
    ),
    "uvicorn": STATION_TYPES + (
        "ocpp_gateway.uvicorn_server.GatewayWebSocketProtocol",
        "ocpp_gateway.uvicorn_server.GatewayHttpToolsProtocol",
        "httptools.parser.parser.HttpRequestParser",
        "uvloop.loop.TCPTransport",
    ),
}


def probe(daphne, out: Path) -> dict[str, dict[str, int]]:
    out.unlink(missing_ok=True)
    daphne.process.signal(signal.SIGUSR2)
    wait_for(out.exists, timeout=30, what="the gc probe's answer")
    return json.loads(out.read_text())


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
async def test_closed_connections_leave_nothing_for_the_cycle_collector(server, make_platform, tmp_path):
    out = tmp_path / "garbage.json"
    platform = make_platform(env={"PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'tests' / 'gc_probe'}", "GC_PROBE_OUT": str(out), "SERVE_SERVER": server})
    daphne = platform.daphnes[0]
    api = platform.api
    network = api.ensure_network("Memory")["name"]
    stations = []
    for version in ("1.6", "2.0.1", "1.6", "2.0.1"):
        identity, password = unique_identity("MEM"), station_password()
        api.create_station(identity=identity, password=password, network=network, ocpp_version=version)
        stations.append((version, identity, password))
    # What the set-up's requests left (their teardown may still run after the answer).
    time.sleep(1)
    probe(daphne, out)

    async def visit(version: str, identity: str, password: str) -> None:
        async with simulated_station(version, identity=identity, password=password, url=platform.ocpp_url) as station:
            assert await station.heartbeat()

    # Connected, booted, reporting and heartbeating, then gone: twice, as reconnecting stations.
    for _ in range(2):
        await asyncio.gather(*(visit(*station) for station in stations))
    # And a login refused for a wrong password.
    version, identity, _ = stations[0]
    with pytest.raises(Exception):
        async with simulated_station(version, identity=identity, password=station_password(), url=platform.ocpp_url):
            pass

    # Until the node has handled every disconnect (nothing of a connection alive any more), all
    # that only the cycle collector could free.
    garbage: dict[str, int] = {}
    deadline = time.monotonic() + 30
    while True:
        found = await asyncio.to_thread(probe, daphne, out)
        for name in CONNECTION_TYPES[server]:
            garbage[name] = garbage.get(name, 0) + found["garbage"].get(name, 0)
        alive = found["alive"].get("ocpp_gateway.consumers.OcppConsumer", 0)
        if not alive or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert alive == 0, f"{alive} connections still alive 30 s after their stations left"
    held = {name: count for name, count in garbage.items() if count}
    assert held == {}, f"closed connections left in cycles: {held}"
    for _, identity, _ in stations:
        assert not api.station(identity)["connected"]
