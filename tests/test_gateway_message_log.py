"""The message log: every frame in and out of a station, as the operator reads it in the admin."""
from __future__ import annotations

import asyncio
import html
import itertools
import re

import pytest

from tests.servers import RawStation, simulated_station, until

pytestmark = pytest.mark.e2e


def log_rows(admin, pk: int) -> list[str]:
    """The text of each row of the station's message log (newest first), tags stripped."""
    page = admin.page(f"/admin/ocpp_gateway/message/?station={pk}")
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def find(rows: list[str], *parts: str) -> list[str]:
    return [row for row in rows if all(p in row for p in parts)]


async def rows_when(admin, pk: int, predicate, what: str) -> list[str]:
    def check():
        rows = log_rows(admin, pk)
        return rows if predicate(rows) else None

    return await until(check, timeout=10, what=what, interval=0.2)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_log_shows_each_call_and_its_answer(version, admin, new_station):
    station = new_station("LOG")
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url, boot=False) as sim:
        # Predictable message ids, so the test can find the station's own frames.
        ids = itertools.count(1)
        sim._unique_id_generator = lambda: f"{station.identity[-4:]}-m{next(ids)}"
        await sim.boot()
        await sim.heartbeat()
        await sim.send_all_status()
        read = "GetConfiguration" if version == "1.6" else "GetBaseReport"
        await sim.wait_for_request(read)
        pk = await asyncio.to_thread(admin.station_pk, station.identity)
        boot_id = f"{station.identity[-4:]}-m1"
        rows = await rows_when(
            admin, pk,
            lambda rows: find(rows, boot_id, "CALLRESULT") and find(rows, read, "CALLRESULT"),
            what="the boot and the configuration read in the log",
        )

    incoming, outgoing = "station → platform", "platform → station"
    boot_call = find(rows, boot_id, "CALL ", "BootNotification", incoming)
    boot_answer = find(rows, boot_id, "CALLRESULT", "BootNotification", outgoing)
    assert boot_call and boot_answer, rows
    assert "SimCharger" in boot_call[0]
    assert '"status":"Accepted"' in boot_answer[0].replace(" ", "")
    # The station's Heartbeat and the platform's answer, under the station's message id.
    heartbeat_call = find(rows, "Heartbeat", "CALL ", incoming)
    assert len(heartbeat_call) == 1
    heartbeat_id = re.search(rf"{station.identity[-4:]}-m\d+", heartbeat_call[0]).group(0)
    assert find(rows, heartbeat_id + " ", "Heartbeat", "CALLRESULT", outgoing)
    assert find(rows, "StatusNotification", "CALL ", incoming)
    # The platform's own request and the station's answer, under the same message id.
    request = find(rows, read, "CALL ", outgoing)
    answer = find(rows, read, "CALLRESULT", incoming)
    assert request and answer
    request_id = re.search(r"\b([0-9a-f-]{36})\b", request[0])
    assert request_id and request_id.group(1) in answer[0]
    # Never the password, in any frame.
    assert not find(rows, station.password)


async def test_refused_frames_are_logged_with_why(admin, new_station):
    station = new_station("LOGBAD")
    raw = await RawStation.open(station.url, identity=station.identity, password=station.password)
    try:
        await raw.call("BootNotification", {"chargePointVendor": "RawCo", "chargePointModel": "Raw-1"})
        await raw.send("definitely not json")
        await raw.send('[2, "unk-1", "FlyToTheMoon", {}]')
        await raw.send('[3, "orphan-1", {}]')
        assert (await raw.call("Heartbeat", {}))[0] == 3
        pk = await asyncio.to_thread(admin.station_pk, station.identity)
        rows = await rows_when(
            admin, pk, lambda rows: find(rows, "orphan-1") and find(rows, "unk-1", "CALLERROR"), what="the bad frames in the log",
        )
    finally:
        await raw.close()
    assert find(rows, "not JSON"), rows
    assert find(rows, "FormationViolation", "CALLERROR"), rows
    assert find(rows, "unk-1", "FlyToTheMoon", "station → platform")
    assert find(rows, "unk-1", "NotImplemented", "CALLERROR", "platform → station")
    # An answer to nothing is kept in the log, marked as such, and never answered.
    orphan = find(rows, "orphan-1")
    assert len(orphan) == 1 and "answers no outstanding request" in orphan[0] and "station → platform" in orphan[0]
