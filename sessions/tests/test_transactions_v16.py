from __future__ import annotations

from datetime import timedelta

from sessions.models import IdToken, MeterSample, Session, SessionStatus
from sessions.tests.conftest import T0, at, only_session, record_meter_values, sampled_v16


def test_a_transaction_becomes_a_completed_session_with_energy_duration_and_peak_power(v16, station_a):
    transaction_id, status = v16.start(meter_start=1000, id_tag="TAG-1", connector_id=2)
    assert status == "Accepted"
    assert isinstance(transaction_id, int)
    v16.meter(transaction_id=transaction_id, timestamp=at(10), connector_id=2, wh=3500, w=11000, a=16, soc=40)
    v16.meter(transaction_id=transaction_id, timestamp=at(20), connector_id=2, wh=6000, w=7400, a=10, soc=55)
    assert v16.stop(transaction_id=transaction_id, meter_stop=8500, timestamp=at(30), reason="EVDisconnected") is None

    session = only_session()
    assert session.transaction_id == str(transaction_id)
    assert (session.network, session.location, session.station) == (station_a.network, station_a.location, station_a)
    assert (session.evse_id, session.connector_id, session.id_token) == (2, 2, "TAG-1")
    assert session.status == SessionStatus.COMPLETED
    assert session.started_at == T0 and session.ended_at == T0 + timedelta(minutes=30)
    assert session.duration == timedelta(minutes=30)
    assert session.energy_kwh == 7.5
    assert session.peak_power_w == 11000
    assert session.stop_reason == "EVDisconnected"
    samples = list(session.samples.values_list("energy_wh", "power_w", "current_a", "soc"))
    assert samples == [(1000, None, None, None), (3500, 11000, 16, 40), (6000, 7400, 10, 55), (8500, None, None, None)]


def test_a_stop_without_reason_is_local(v16):
    transaction_id, _ = v16.start()
    v16.stop(transaction_id=transaction_id, meter_stop=2000, timestamp=at(5))
    assert only_session().stop_reason == "Local"


def test_a_repeated_start_transaction_gets_the_same_transaction_id(v16):
    first = v16.start(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=at(0))
    again = v16.start(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=at(0))
    assert again == first
    assert Session.objects.count() == 1
    other = v16.start(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=at(60))
    assert other[0] != first[0]
    assert Session.objects.count() == 2


def test_an_invalid_id_tag_still_gets_a_transaction_id_and_a_session(v16, network_a):
    IdToken.objects.create(network=network_a, token="KNOWN")
    transaction_id, status = v16.start(id_tag="STRANGER")
    assert status == "Invalid"
    assert transaction_id > 0
    session = only_session()
    assert (session.transaction_id, session.authorization_status) == (str(transaction_id), "Invalid")
    # The station stops it at once (1.6 §5.18): the session completes with the DeAuthorized reason.
    v16.stop(transaction_id=transaction_id, meter_stop=1000, timestamp=at(0.1), reason="DeAuthorized")
    session.refresh_from_db()
    assert (session.status, session.energy_wh, session.stop_reason) == ("completed", 0, "DeAuthorized")


def test_stop_transaction_with_an_id_tag_answers_its_status(v16, network_a):
    IdToken.objects.create(network=network_a, token="TAG-1")
    transaction_id, _ = v16.start(id_tag="TAG-1")
    assert v16.stop(transaction_id=transaction_id, meter_stop=1500, timestamp=at(5), id_tag="tag-1") == "Accepted"


def test_replayed_and_late_messages_change_nothing(v16):
    transaction_id, _ = v16.start(meter_start=1000)
    v16.meter(transaction_id=transaction_id, timestamp=at(10), wh=4000, w=9000)
    v16.stop(transaction_id=transaction_id, meter_stop=9000, timestamp=at(30), reason="Local")
    before = Session.objects.values().get()
    samples_before = MeterSample.objects.count()

    # After a reconnect the station replays its queue: the same start, meter values and stop.
    assert v16.start(meter_start=1000)[0] == transaction_id
    v16.meter(transaction_id=transaction_id, timestamp=at(10), wh=4000, w=9000)
    v16.stop(transaction_id=transaction_id, meter_stop=9000, timestamp=at(30), reason="Local")
    # And a meter value from the middle of the session arrives last.
    v16.meter(transaction_id=transaction_id, timestamp=at(20), wh=6000, w=8000)

    after = Session.objects.values().get()
    assert Session.objects.count() == 1
    for field in ("energy_wh", "peak_power_w", "ended_at", "status", "stop_reason", "started_at"):
        assert after[field] == before[field], field
    assert after["energy_wh"] == 8000
    assert MeterSample.objects.count() == samples_before + 1  # only the genuinely new 20-minute point


def test_meter_values_without_transaction_id_count_for_the_session_on_that_connector(v16, station_a):
    transaction_id, _ = v16.start(connector_id=1, meter_start=500, timestamp=at(0))
    v16.meter(transaction_id=None, connector_id=1, timestamp=at(15), wh=2500, w=22000)
    # Connector 0 is the station's main meter; before the start belongs to no session.
    v16.meter(transaction_id=None, connector_id=0, timestamp=at(15), wh=999999, w=99999)
    v16.meter(transaction_id=None, connector_id=1, timestamp=at(-5), wh=100, w=50000)

    session = only_session()
    assert session.energy_wh == 2000
    assert session.peak_power_w == 22000
    assert session.samples.count() == 2
    assert MeterSample.objects.filter(session=None, station=station_a).count() == 2


def test_stop_transaction_data_is_counted_and_charted(v16):
    transaction_id, _ = v16.start(meter_start=0)
    data = [
        {"timestamp": at(10), "sampledValue": sampled_v16(wh=3000, w=18000, context="Sample.Clock")},
        {"timestamp": at(20), "sampledValue": sampled_v16(wh=6000, w=17000, context="Sample.Clock")},
    ]
    v16.stop(transaction_id=transaction_id, meter_stop=7000, timestamp=at(25), transaction_data=data)
    session = only_session()
    assert (session.energy_wh, session.peak_power_w) == (7000, 18000)
    assert session.samples.count() == 4


def test_a_stop_for_a_transaction_never_started_here_is_kept_as_incomplete(v16):
    data = [{"timestamp": at(1), "sampledValue": sampled_v16(wh=10_000, context="Transaction.Begin")}]
    v16.stop(transaction_id=987654, meter_stop=14_000, timestamp=at(40), reason="PowerLoss", transaction_data=data)
    session = only_session()
    assert session.status == SessionStatus.INCOMPLETE
    assert (session.transaction_id, session.energy_wh, session.stop_reason) == ("987654", 4000, "PowerLoss")
    assert session.started_at == T0 + timedelta(minutes=1)


def test_new_transaction_ids_skip_numbers_a_station_reported_itself(v16, station_a):
    next_pk = (Session.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    v16.stop(transaction_id=next_pk, meter_stop=100, timestamp=at(1))
    transaction_id, _ = v16.start()
    assert transaction_id != next_pk
    assert Session.objects.filter(station=station_a).count() == 2


def test_units_and_phases_are_normalised(v16):
    transaction_id, _ = v16.start(meter_start=2000)
    meter_value = [
        {
            "timestamp": at(10),
            "sampledValue": [
                {"value": "5.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"value": "3.7", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L1"},
                {"value": "3.6", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L2"},
                {"value": "3.5", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L3"},
                {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                {"value": "15", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
                {"value": "not-a-number", "measurand": "Voltage", "unit": "V"},
            ],
        }
    ]
    record_meter_values(v16.station, evse_id=1, transaction_id=transaction_id, meter_value=meter_value)
    session = only_session()
    assert session.energy_wh == 3500
    assert round(session.peak_power_w) == 10800
    assert session.samples.get(timestamp=T0 + timedelta(minutes=10)).current_a == 16


def test_a_register_that_runs_backwards_gives_no_energy_never_a_negative_one(v16):
    # Found by the fuzz test: a MeterValues below the start register showed -1.679 kWh.
    transaction_id, _ = v16.start(meter_start=5000)
    v16.meter(transaction_id=transaction_id, timestamp=at(10), connector_id=1, wh=3321)
    session = only_session()
    assert session.energy_wh == 0 and session.energy_kwh == 0
    v16.stop(transaction_id=transaction_id, meter_stop=2000, timestamp=at(20))
    session.refresh_from_db()
    assert session.energy_wh == 0
