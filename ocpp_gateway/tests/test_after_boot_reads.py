"""During a reconnect storm the configuration reads after boot wait for the logins (issue 17)."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest
from ocpp.v16 import call as call16

from conftest import STATION_PASSWORD
from health import metrics
from ocpp_gateway import after_boot
from ocpp_gateway.message_log import buffer as message_log
from ocpp_gateway.models import Message
from ocpp_gateway.tests.conftest import communicator
from stations.models import ConfigurationKey, StationState
from stations.services import station_create

pytestmark = pytest.mark.django_db(transaction=True)

BOOT = call16.BootNotification(charge_point_vendor="V", charge_point_model="M")


@pytest.fixture
def stations(network_a, location_a):
    return {
        n: station_create(
            network=network_a, location=location_a, identity=f"CP-S-{n}", name=f"S{n}", password=STATION_PASSWORD,
            state=StationState.ONBOARDED,
        )
        for n in range(5)
    }


@pytest.fixture
def storm_threshold(monkeypatch):
    monkeypatch.setattr(after_boot, "STORM_LOGINS_PER_SECOND", 3)
    monkeypatch.setattr(after_boot, "reads", after_boot.AfterBootReads())


def deferred_gauge() -> str:
    line = next(line for line in metrics.exposition().decode().splitlines() if line.startswith("switch_reads_after_boot_deferred{"))
    return line.rsplit(" ", 1)[1]


async def test_a_storms_logins_go_first_and_the_reads_follow_once_they_slow_down(stations, storm_threshold, connect, caplog):
    caplog.set_level(logging.WARNING)
    booting = await connect("CP-S-0")
    leaving = await connect("CP-S-4")
    storming = True

    async def storm() -> None:
        # Stations 1-3 log in and out without a pause: a reconnect storm, at this test's scale.
        n = 0
        while storming:
            comm = communicator(f"CP-S-{1 + n % 3}")
            assert (await comm.connect())[0]
            await comm.disconnect()
            n += 1

    logins = asyncio.create_task(storm())
    try:
        await _while_storming(stations, booting, leaving)
    finally:
        storming = False
        await logins
    await _after_the_storm(stations, booting, caplog)


async def _while_storming(stations, booting, leaving) -> None:
    deadline = time.monotonic() + 10
    while not after_boot.reads.storming(time.monotonic()):
        assert time.monotonic() < deadline, "the logins never counted as a storm"
        await asyncio.sleep(0.05)

    # The boots themselves are answered at once; only the reads wait.
    for n, station in ((0, booting), (4, leaving)):
        assert (await station.call(BOOT, unique_id=f"boot-{n}"))[2]["status"] == "Accepted"
    # A malformed frame from one station: a CALLERROR for it, nothing for its neighbour's queued read.
    refused = await leaving.send_raw('[2,"bad-4","Heartbeat",')
    assert refused[0] == 4 and refused[1] == "bad-4"
    assert await booting.comm.receive_nothing(timeout=1.0)
    assert after_boot.reads.deferred == 2 and deferred_gauge() == "2.0"
    await message_log.flush()
    logged = [m async for m in Message.objects.filter(station=stations[0]).values_list("direction", "unique_id")]
    assert sorted(logged) == [("in", "boot-0"), ("out", "boot-0")]
    await leaving.comm.disconnect()  # gone before its turn: its read is dropped
    # ... and the queue did not keep the station's connection alive meanwhile (held weakly).
    alive = [start for start in after_boot.reads._queue if start.__closure__[0].cell_contents() is not None]
    assert len(alive) == 1


async def _after_the_storm(stations, booting, caplog) -> None:
    request = await booting.receive()
    assert request[0] == 2 and request[2] == "GetConfiguration"
    await booting.reply(request[1], {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
    deadline = time.monotonic() + 5
    while not await ConfigurationKey.objects.filter(station=stations[0], key="HeartbeatInterval", value="300").aexists():
        assert time.monotonic() < deadline, "the configuration read after the storm was not stored"
        await asyncio.sleep(0.05)
    assert after_boot.reads.deferred == 0 and deferred_gauge() == "0.0"
    assert "background task failed" not in caplog.text


async def test_outside_a_storm_the_read_starts_at_once(stations, storm_threshold, connect):
    station = await connect("CP-S-0")
    assert (await station.call(BOOT))[2]["status"] == "Accepted"
    request = await station.receive()
    assert request[2] == "GetConfiguration" and after_boot.reads.deferred == 0
