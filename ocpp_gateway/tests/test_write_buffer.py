"""The batched StatusNotification / MeterValues writes (ocpp_gateway.write_buffer), through the consumer."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_gateway import write_buffer
from sessions.models import MeterSample, Session, SessionStatus
from stations.models import Connector, StationState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


@pytest.fixture
def no_timer(monkeypatch):
    """Only explicit flushes (ordering, backpressure, disconnect) write: the timer never fires in a test."""
    monkeypatch.setattr(write_buffer, "FLUSH_INTERVAL", 60)


def meter_value(at: str, *, wh: float, w: float | None = None) -> dict:
    sampled = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    if w is not None:
        sampled.append({"value": str(w), "measurand": "Power.Active.Import", "unit": "W"})
    return {"timestamp": at, "sampled_value": sampled}


async def connector_row(station, connector_id: int) -> Connector | None:
    return await Connector.objects.filter(evse__station=station, connector_id=connector_id).afirst()


async def test_the_answer_comes_before_the_write_and_a_batch_keeps_each_connectors_newest_status(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    # Newest by timestamp wins, whatever the arrival order; the winner's error fields come with it.
    await station.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available", timestamp="2026-03-01T10:05:00Z"))
    await station.call(
        call16.StatusNotification(
            connector_id=1, error_code="GroundFailure", status="Faulted", info="RCD tripped", vendor_error_code="E42",
            timestamp="2026-03-01T10:00:00Z",
        )
    )
    await station.call(
        call16.StatusNotification(
            connector_id=2, error_code="GroundFailure", status="Faulted", info="RCD tripped", timestamp="2026-03-01T10:00:00Z"
        )
    )
    await station.call(call16.StatusNotification(connector_id=2, error_code="NoError", status="Charging", timestamp="2026-03-01T09:00:00Z"))
    assert await connector_row(onboarded, 1) is None  # answered, not yet written
    assert len(write_buffer.buffer) == 4

    await write_buffer.buffer.flush()
    one = await connector_row(onboarded, 1)
    assert (one.status, one.error_code, one.error_info, one.vendor_error_code) == ("Available", "NoError", "", "")
    assert one.status_at.isoformat().startswith("2026-03-01T10:05:00")
    two = await connector_row(onboarded, 2)
    assert (two.status, two.error_code, two.error_info) == ("Faulted", "GroundFailure", "RCD tripped")
    assert two.is_faulted


async def test_stop_transaction_sees_the_meter_values_sent_before_it(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    start = await station.call(
        call16.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp="2026-03-01T10:00:00Z")
    )
    transaction_id = start[2]["transactionId"]
    # Out of order, in one batch: the session's aggregates depend on timestamps only.
    for at, wh, w in [("2026-03-01T10:20:00Z", 3000, 7400), ("2026-03-01T10:10:00Z", 2000, 11000)]:
        await station.call(call16.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[meter_value(at, wh=wh, w=w)]))
    assert await MeterSample.objects.filter(station=onboarded).acount() == 1  # only StartTransaction's, for now

    await station.call(call16.StopTransaction(meter_stop=4000, timestamp="2026-03-01T11:00:00Z", transaction_id=transaction_id))
    # No flush here: the StopTransaction handler wrote the queued reports before the stop.
    session = await Session.objects.aget(station=onboarded, transaction_id=str(transaction_id))
    assert (session.status, session.energy_wh, session.peak_power_w) == (SessionStatus.COMPLETED, 3000, 11000)
    energy = [s.energy_wh async for s in MeterSample.objects.filter(session=session).order_by("timestamp")]
    assert energy == [1000, 2000, 3000, 4000]


async def test_201_meter_values_are_counted_for_the_running_session_once_flushed(onboarded, connect, no_timer):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    await station.call(
        call201.TransactionEvent(
            event_type="Started", timestamp="2026-03-01T10:00:00Z", trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": "tx-1"}, evse={"id": 1, "connector_id": 1},
            meter_value=[{"timestamp": "2026-03-01T10:00:00Z", "sampled_value": [{"value": 500}]}],
        )
    )
    for at, wh in [("2026-03-01T10:30:00Z", 2500), ("2026-03-01T10:15:00Z", 1500), ("2026-03-01T09:00:00Z", 100)]:
        await station.call(call201.MeterValues(evse_id=1, meter_value=[{"timestamp": at, "sampled_value": [{"value": wh}]}]))
    await station.call(
        call201.TransactionEvent(
            event_type="Updated", timestamp="2026-03-01T10:31:00Z", trigger_reason="MeterValuePeriodic", seq_no=1,
            transaction_info={"transaction_id": "tx-1"},
        )
    )
    session = await Session.objects.aget(station=onboarded, transaction_id="tx-1")
    assert session.energy_wh == 2000  # 2500 - 500; the 09:00 reading predates the session
    assert await MeterSample.objects.filter(station=onboarded, session=None, energy_wh=100).aexists()


async def test_a_replayed_meter_values_is_one_sample_in_a_batch_and_across_batches(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    sample = call16.MeterValues(connector_id=1, meter_value=[meter_value("2026-03-01T10:00:00Z", wh=1234, w=300)])
    await station.call(sample)
    await station.call(sample)
    await write_buffer.buffer.flush()
    await station.call(sample)
    await write_buffer.buffer.flush()
    samples = [(s.evse_id, s.energy_wh, s.power_w) async for s in MeterSample.objects.filter(station=onboarded)]
    assert samples == [(1, 1234, 300)]


async def test_a_handler_waits_for_the_flush_when_the_buffer_is_full(onboarded, connect, no_timer, monkeypatch):
    monkeypatch.setattr(write_buffer.buffer, "max_pending", 3)
    station = await connect("CP-A-1")
    for connector_id in (1, 2):
        await station.call(call16.StatusNotification(connector_id=connector_id, error_code="NoError", status="Available"))
    assert len(write_buffer.buffer) == 2 and await connector_row(onboarded, 1) is None
    # The third report fills the buffer: its answer comes only after all three are written.
    await station.call(call16.StatusNotification(connector_id=3, error_code="NoError", status="Preparing"))
    assert len(write_buffer.buffer) == 0
    assert [(await connector_row(onboarded, n)).status for n in (1, 2, 3)] == ["Available", "Available", "Preparing"]


async def test_the_buffer_is_written_when_the_station_disconnects(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    await station.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    await station.call(call16.MeterValues(connector_id=1, meter_value=[meter_value("2026-03-01T10:00:00Z", wh=1234)]))
    assert await connector_row(onboarded, 1) is None
    await station.comm.disconnect()
    assert (await connector_row(onboarded, 1)).status == "Charging"
    assert await MeterSample.objects.filter(station=onboarded, evse_id=1, energy_wh=1234, session=None).aexists()


async def test_the_buffer_is_written_at_exit(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    await station.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Finishing"))
    await sync_to_async(write_buffer._flush_at_exit)()
    assert (await connector_row(onboarded, 1)).status == "Finishing"
