"""The batched StatusNotification / MeterValues writes (ocpp_gateway.write_buffer), through the consumer."""
from __future__ import annotations

import pytest
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
    """Kept for the tests' signatures: every answered report is committed, there is no timer to wait for."""
    monkeypatch.setattr(write_buffer, "FLUSH_SIZE", 500)


def meter_value(at: str, *, wh: float, w: float | None = None) -> dict:
    sampled = [{"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
    if w is not None:
        sampled.append({"value": str(w), "measurand": "Power.Active.Import", "unit": "W"})
    return {"timestamp": at, "sampled_value": sampled}


async def connector_row(station, connector_id: int) -> Connector | None:
    return await Connector.objects.filter(evse__station=station, connector_id=connector_id).afirst()


async def test_the_answer_comes_after_the_write(onboarded, connect, no_timer):
    station = await connect("CP-A-1")
    await station.call(
        call16.StatusNotification(
            connector_id=1, error_code="GroundFailure", status="Faulted", info="RCD tripped", vendor_error_code="E42",
            timestamp="2026-03-01T10:00:00Z",
        )
    )
    one = await connector_row(onboarded, 1)  # answered, so written
    assert (one.status, one.error_code, one.error_info, one.vendor_error_code) == ("Faulted", "GroundFailure", "RCD tripped", "E42")
    assert one.is_faulted
    assert len(write_buffer.buffer) == 0


async def test_a_batch_keeps_each_connectors_newest_status(onboarded, no_timer):
    # Reports queued together (many stations at once) form one batch; newest by timestamp wins,
    # whatever the arrival order, and the winner's error fields come with it.
    from stations.services import StatusReport, parse_ocpp_datetime

    def report(connector_id, status, at, **kw):
        return StatusReport(station=onboarded, evse_id=connector_id, connector_id=connector_id, status=status, at=parse_ocpp_datetime(at), **kw)

    tickets = [
        write_buffer.buffer._queue(report(1, "Available", "2026-03-01T10:05:00Z")),
        write_buffer.buffer._queue(report(1, "Faulted", "2026-03-01T10:00:00Z", error_code="GroundFailure", error_info="RCD tripped", vendor_error_code="E42")),
        write_buffer.buffer._queue(report(2, "Faulted", "2026-03-01T10:00:00Z", error_code="GroundFailure", error_info="RCD tripped")),
        write_buffer.buffer._queue(report(2, "Charging", "2026-03-01T09:00:00Z")),
    ]
    assert len(set(tickets)) == 1  # one batch, one commit
    await write_buffer.buffer.wait(tickets[0])
    one = await connector_row(onboarded, 1)
    assert (one.status, one.error_code, one.error_info, one.vendor_error_code) == ("Available", "", "", "")
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
    assert await MeterSample.objects.filter(station=onboarded).acount() == 3  # answered, so stored

    await station.call(call16.StopTransaction(meter_stop=4000, timestamp="2026-03-01T11:00:00Z", transaction_id=transaction_id))
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


def test_what_is_still_queued_is_written_at_exit(station_a):
    onboarded = station_a
    from stations.services import StatusReport, parse_ocpp_datetime

    write_buffer.buffer._queue(
        StatusReport(station=onboarded, evse_id=1, connector_id=1, status="Finishing", at=parse_ocpp_datetime("2026-03-01T10:00:00Z"))
    )
    write_buffer._flush_at_exit()
    assert Connector.objects.get(evse__station=onboarded, connector_id=1).status == "Finishing"
