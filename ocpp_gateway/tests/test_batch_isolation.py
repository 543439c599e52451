"""A bad row never costs another row: batches fall back to smaller batches and quarantine the row that fails.

The cases of issue 12: a frame holding NaN, a station deleted while connected (foreign key), a value
too large for its column. Each batch here also holds other stations' rows, which must all be written.
"""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone as dt_timezone

import pytest
from django.db import OperationalError
from django.utils import timezone
from ocpp.v16 import call as call16

from ocpp_gateway import batching, message_log, write_buffer
from ocpp_gateway.models import Message, QuarantinedRow
from sessions.models import MeterSample
from sessions.services import MeterReport, Reading
from stations.models import Connector, Station, StationState
from stations.services import StatusReport, station_create

pytestmark = pytest.mark.django_db(transaction=True)

AT = datetime(2026, 3, 1, 10, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def neighbours(network_a, location_a) -> list[Station]:
    return [
        station_create(network=network_a, location=location_a, identity=f"CP-N-{n}", name=f"N{n}", password="neighbour-password-1")
        for n in range(20)
    ]


def _row(station_id: int, unique_id: str, payload, **kw):
    return (station_id, "in", kw.get("message_type", 2), "Heartbeat", unique_id, payload, "", timezone.now())


def test_a_bad_message_costs_no_other_message_and_is_quarantined(neighbours, station_a):
    gone = station_create(network=station_a.network, location=station_a.location, identity="CP-GONE", name="gone", password="gone-password-123")
    gone_id = gone.pk
    gone.delete()  # a station deleted while its frames were still queued
    rows = [_row(s.pk, f"ok-{s.pk}-{n}", {"n": n}) for s in neighbours for n in range(5)]
    rows.insert(17, _row(station_a.pk, "nan-1", {"value": float("nan")}))  # json.loads("NaN") gives this
    rows.insert(40, _row(gone_id, "gone-1", {}))
    rows.insert(61, _row(station_a.pk, "huge-1", {}, message_type=2**70))  # beyond any integer column

    message_log.buffer.write_isolating(rows)

    assert Message.objects.filter(station__in=neighbours).count() == 100
    quarantined = {q.data and json.loads(q.data)["unique_id"]: q for q in QuarantinedRow.objects.all()}
    assert set(quarantined) == {"nan-1", "gone-1", "huge-1"}
    nan = quarantined["nan-1"]
    assert (nan.kind, nan.station_id, nan.station_identity) == ("message", station_a.pk, "CP-A-1")
    assert "NaN" in nan.data and nan.error
    assert quarantined["gone-1"].station_id == gone_id and "IntegrityError" in quarantined["gone-1"].error
    # The station's own log keeps the frame's place, with a note instead of the payload.
    kept = Message.objects.get(station=station_a, unique_id="nan-1")
    assert kept.payload is None and f"#{nan.pk}" in kept.note


def test_a_bad_report_costs_no_other_report_and_is_quarantined(neighbours, station_a):
    gone = station_create(network=station_a.network, location=station_a.location, identity="CP-GONE", name="gone", password="gone-password-123")
    reports = []
    for station in neighbours:
        reports.append(StatusReport(station=station, evse_id=1, connector_id=1, status="Charging", at=AT))
        reports.append(MeterReport(station=station, evse_id=1, transaction_id=None, readings=(Reading(timestamp=AT, energy_wh=1000.0),)))
    reports.insert(9, StatusReport(station=station_a, evse_id=2**70, connector_id=1, status="Faulted", at=AT))
    reports.insert(23, MeterReport(station=gone, evse_id=1, transaction_id=None, readings=(Reading(timestamp=AT, energy_wh=5.0),)))
    Station.objects.filter(pk=gone.pk).delete()

    write_buffer.buffer.write_isolating(reports)

    assert Connector.objects.filter(evse__station__in=neighbours, status="Charging").count() == 20
    assert MeterSample.objects.filter(station__in=neighbours, energy_wh=1000).count() == 20
    kinds = sorted((q.kind, q.station_identity) for q in QuarantinedRow.objects.all())
    assert kinds == [("meter", "CP-GONE"), ("status", "CP-A-1")]


def test_a_database_outage_quarantines_nothing_and_the_rows_are_written_when_it_is_back(station_a, monkeypatch):
    real_write = message_log._write
    failures = iter([OperationalError("database is locked"), OperationalError("database is locked")])

    def flaky(rows):
        error = next(failures, None)
        if error is not None:
            raise error
        real_write(rows)

    monkeypatch.setattr(message_log, "_write", flaky)
    monkeypatch.setattr(batching, "RETRY_FIRST", 0.01)

    async def scenario():
        ticket = message_log.buffer.add(station_id=station_a.pk, direction="in", message_type=2, action="Heartbeat", unique_id="hb-1", payload={})
        await asyncio.wait_for(message_log.buffer.wait(ticket), 10)
        await message_log.buffer.stop()

    asyncio.run(scenario())
    assert Message.objects.filter(station=station_a, unique_id="hb-1").count() == 1
    assert not QuarantinedRow.objects.exists()


def test_a_frame_not_stored_within_the_commit_timeout_is_refused_and_its_row_still_written(station_a, monkeypatch):
    from ocpp.exceptions import InternalError

    real_write = message_log._write
    down = {"until": None}

    def outage(rows):
        if down["until"] is None or time.monotonic() < down["until"]:
            raise OperationalError("database is locked")
        real_write(rows)

    monkeypatch.setattr(message_log, "_write", outage)
    monkeypatch.setattr(batching, "RETRY_FIRST", 0.01)
    monkeypatch.setattr(batching, "RETRY_MAX", 0.02)
    monkeypatch.setattr(batching, "COMMIT_TIMEOUT", 0.2)

    async def scenario():
        started = time.monotonic()
        down["until"] = started + 0.5
        ticket = message_log.buffer.add(station_id=station_a.pk, direction="in", message_type=2, action="Heartbeat", unique_id="hb-late", payload={})
        with pytest.raises(InternalError):
            await message_log.buffer.wait(ticket)
        assert 0.15 < time.monotonic() - started < 0.45  # the answer is a CALLERROR after COMMIT_TIMEOUT
        # The database comes back: the queued row is written all the same. Wait for that write
        # itself (flush() raises while the database is away), so no write outlives this loop.
        while True:
            try:
                await message_log.buffer.flush()
                break
            except batching.DatabaseUnavailable:
                await asyncio.sleep(0.05)
        await message_log.buffer.stop()

    # Bounded: this scenario hung once in a full CI run (main loop idle, database thread idle, not
    # reproduced in 20 runs since); a failure with its traceback beats a CI that never ends.
    asyncio.run(asyncio.wait_for(scenario(), 60))
    assert Message.objects.filter(station=station_a, unique_id="hb-late").count() == 1
    assert not QuarantinedRow.objects.exists()


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


async def test_a_nan_frame_is_answered_and_costs_the_neighbours_nothing(onboarded, station_b, connect):
    """Through the consumer: whatever the parser makes of NaN (a CALLERROR once it refuses it),
    the neighbour's frames of the same moment are all in the log."""
    station_b.state = StationState.ONBOARDED
    await station_b.asave(update_fields=["state"])
    offender = await connect("CP-A-1")
    neighbour = await connect("CP-B-1")
    await asyncio.gather(
        *[neighbour.call(call16.Heartbeat(), unique_id=f"hb-{n}") for n in range(1)],
        offender.send_raw('[2,"nan-1","DataTransfer",{"vendorId":"X","data":NaN}]'),
    )
    for n in range(1, 5):
        await neighbour.call(call16.Heartbeat(), unique_id=f"hb-{n}")
    await message_log.buffer.flush()
    assert await Message.objects.filter(station=station_b, direction="in").acount() == 5
    assert await Message.objects.filter(station=station_b, direction="out").acount() == 5
    # The offender's frame is in its log one way or another: as sent, or as a note naming its quarantine.
    assert await Message.objects.filter(station=onboarded, unique_id="nan-1", direction="in").aexists()


async def test_an_answered_status_or_meter_value_is_already_stored(onboarded, connect):
    station = await connect("CP-A-1")
    await station.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    # No flush: the answer came only after the batch holding the report committed.
    row = await Connector.objects.filter(evse__station=onboarded, connector_id=1).afirst()
    assert row is not None and row.status == "Charging"
    await station.call(
        call16.MeterValues(
            connector_id=1,
            meter_value=[{"timestamp": "2026-03-01T10:00:00Z", "sampled_value": [{"value": "1234", "unit": "Wh"}]}],
        ),
        unique_id="mv-1",
    )
    assert await MeterSample.objects.filter(station=onboarded, energy_wh=1234).aexists()
    # And so is the CALL's own line in the message log.
    assert await Message.objects.filter(station=onboarded, unique_id="mv-1", direction="in").aexists()


def test_account_admins_see_quarantined_rows_and_network_users_do_not(client, account_admin, operator_a, station_a):
    from ocpp_gateway.services import quarantine_record

    quarantine_record(kind="message", station_id=station_a.pk, data={"payload": float("nan")}, error=ValueError("bad row"))
    client.force_login(account_admin)
    page = client.get("/admin/ocpp_gateway/quarantinedrow/")
    assert page.status_code == 200 and "CP-A-1" in page.content.decode() and "bad row" in page.content.decode()
    client.force_login(operator_a)
    assert client.get("/admin/ocpp_gateway/quarantinedrow/").status_code == 403
