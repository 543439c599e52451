"""Answered means stored: a platform killed outright (SIGKILL) has kept every frame it answered.

1.6 and 2.0.1 stations send MeterValues as fast as the platform answers; the server is killed
mid-stream; then every answered reading must be a meter-sample row and every answered CALL a
message-log row, counted in the database the killed process wrote.
"""
from __future__ import annotations

import asyncio
import signal
import sqlite3

import pytest
from websockets.exceptions import ConnectionClosed

from tests.raw_station import RawStation, meter_values

pytestmark = pytest.mark.e2e

VERSIONS = ["1.6", "1.6", "1.6", "2.0.1", "2.0.1", "2.0.1"]


async def test_a_kill_9_loses_nothing_the_stations_were_answered(make_platform):
    platform = make_platform()
    network = platform.api.ensure_network("E2E")["name"]
    stations: list[RawStation] = []
    for n, version in enumerate(VERSIONS):
        identity, password = f"KILL9-{n}", f"kill-nine-password-{n:02d}"
        platform.api.create_station(identity=identity, password=password, network=network)
        station = await RawStation.open(platform.ocpp_url, identity, password, version)
        await station.boot()
        stations.append(station)

    answered: dict[str, list[tuple[str, int]]] = {s.identity: [] for s in stations}

    async def pump(station: RawStation) -> None:
        wh = 0
        while True:
            wh += 1
            action, payload = meter_values(station.version, wh)
            unique_id = f"{station.identity}-mv-{wh}"
            try:
                reply = await station.call(action, payload, unique_id=unique_id, timeout=10)
            except (ConnectionClosed, asyncio.TimeoutError, OSError):
                return
            assert reply[0] == 3, reply
            answered[station.identity].append((unique_id, wh))

    pumps = [asyncio.create_task(pump(s)) for s in stations]
    # Mid-stream: wait until every station has been answered a good number of times.
    for _ in range(300):
        if all(len(v) >= 20 for v in answered.values()):
            break
        await asyncio.sleep(0.05)
    daphne = platform.daphnes[0]
    daphne.process.signal(signal.SIGKILL)
    daphne.process.popen.wait(timeout=10)
    await asyncio.wait_for(asyncio.gather(*pumps), 30)
    assert all(len(v) >= 20 for v in answered.values()), {k: len(v) for k, v in answered.items()}

    db = sqlite3.connect(platform.db_path)
    try:
        for station in stations:
            (station_id,) = db.execute("SELECT id FROM stations_station WHERE identity = ?", [station.identity]).fetchone()
            stored_wh = {row[0] for row in db.execute("SELECT energy_wh FROM charging_sessions_metersample WHERE station_id = ?", [station_id])}
            logged = {row[0] for row in db.execute("SELECT unique_id FROM ocpp_gateway_message WHERE station_id = ? AND direction = 'in'", [station_id])}
            lost_samples = [wh for _, wh in answered[station.identity] if wh not in stored_wh]
            lost_log = [uid for uid, _ in answered[station.identity] if uid not in logged]
            assert not lost_samples, f"{station.identity} ({station.version}): answered but not stored: {lost_samples}"
            assert not lost_log, f"{station.identity}: answered but not in the message log: {lost_log}"
    finally:
        db.close()
