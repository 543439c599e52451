from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from sessions.models import IdToken, MeterSample, Session, SessionStatus
from sessions.tests.conftest import T0, at, meter_value_v201, only_session, record_meter_values, transaction_event


def run_transaction(v201, order=None, *, offline=None):
    events = {
        "started": lambda: v201.event(
            "Started", seq_no=0, minutes=0, trigger="Authorized", id_token="RFID-7", offline=offline,
            charging_state="Charging", meter_value=[meter_value_v201(at(0), wh=20_000, context="Transaction.Begin")],
        ),
        "updated": lambda: v201.event(
            "Updated", seq_no=1, minutes=15, offline=offline,
            meter_value=[meter_value_v201(at(15), wh=25_000, kw=22, soc=60)],
        ),
        "ended": lambda: v201.event(
            "Ended", seq_no=2, minutes=45, trigger="EVCommunicationLost", stopped_reason="EVDisconnected",
            offline=offline, evse=False,
            meter_value=[meter_value_v201(at(45), wh=32_500, kw=7, context="Transaction.End")],
        ),
    }
    answers = {}
    for name in order or ["started", "updated", "ended"]:
        answers[name] = events[name]()
    return answers


def test_started_updated_ended_make_one_completed_session(v201, station_a):
    answers = run_transaction(v201)
    assert answers == {"started": "Accepted", "updated": None, "ended": None}
    session = only_session()
    assert (session.ocpp_version, session.transaction_id, session.station) == ("2.0.1", "TX-1", station_a)
    assert (session.evse_id, session.connector_id) == (1, 1)
    assert (session.id_token, session.id_token_type, session.authorization_status) == ("RFID-7", "ISO14443", "Accepted")
    assert session.status == SessionStatus.COMPLETED
    assert session.started_at == T0
    assert session.ended_at == T0 + timedelta(minutes=45)
    assert session.energy_kwh == 12.5
    assert session.peak_power_w == 22_000
    assert session.stop_reason == "EVDisconnected"
    assert (session.seq_no, session.trigger_reason) == (2, "EVCommunicationLost")
    assert list(session.samples.values_list("soc", flat=True)) == [None, 60, None]


@pytest.mark.parametrize("order", list(itertools.permutations(["started", "updated", "ended"])))
def test_any_order_and_duplicates_give_the_same_session(v201, order):
    # The offline queue (2.0.1 E04/E05) delivers late, out of order, and after a reconnect again.
    run_transaction(v201, list(order) + list(order), offline=True)
    session = only_session()
    assert session.status == SessionStatus.COMPLETED
    assert session.started_at == T0
    assert session.ended_at == T0 + timedelta(minutes=45)
    assert session.energy_wh == 12_500
    assert session.peak_power_w == 22_000
    assert session.offline is True
    assert session.id_token == "RFID-7"
    assert session.evse_id == 1
    assert MeterSample.objects.count() == 3


def test_an_ended_event_without_a_reason_is_local(v201):
    v201.event("Started", seq_no=0, minutes=0, meter_value=[meter_value_v201(at(0), wh=100)])
    v201.event("Ended", seq_no=1, minutes=5, meter_value=[meter_value_v201(at(5), wh=600)])
    session = only_session()
    assert (session.stop_reason, session.energy_wh, session.status) == ("Local", 500, "completed")


def test_an_active_session_shows_energy_so_far(v201):
    v201.event("Started", seq_no=0, minutes=0, meter_value=[meter_value_v201(at(0), wh=100)])
    v201.event("Updated", seq_no=1, minutes=5, meter_value=[meter_value_v201(at(5), wh=1100, kw=11)])
    session = only_session()
    assert (session.status, session.energy_wh, session.ended_at) == ("active", 1000, None)


def test_transactions_of_two_stations_may_share_an_id(v201, station_b):
    from sessions.tests.conftest import StationV201

    v201.event("Started", tx="SAME", seq_no=0, minutes=0)
    StationV201(station_b).event("Started", tx="SAME", seq_no=0, minutes=0)
    assert Session.objects.filter(transaction_id="SAME").count() == 2


def test_the_id_token_is_checked_against_the_allow_list(v201, network_a):
    IdToken.objects.create(network=network_a, token="RFID-OK")
    assert v201.event("Started", tx="A", seq_no=0, minutes=0, id_token="RFID-NOPE") == "Invalid"
    assert v201.event("Started", tx="B", seq_no=0, minutes=0, id_token="rfid-ok") == "Accepted"
    assert Session.objects.get(transaction_id="A").authorization_status == "Invalid"


def test_meter_values_outside_transaction_events_count_for_the_running_session(v201, station_a):
    v201.event("Started", seq_no=0, minutes=0, meter_value=[meter_value_v201(at(0), wh=1000)])
    record_meter_values(station_a, evse_id=1, meter_value=[meter_value_v201(at(10), wh=4000, kw=18)], version="2.0.1")
    session = only_session()
    assert (session.energy_wh, session.peak_power_w) == (3000, 18_000)
    record_meter_values(station_a, evse_id=2, meter_value=[meter_value_v201(at(10), wh=7)], version="2.0.1")
    assert MeterSample.objects.filter(session=None, evse_id=2).count() == 1


def test_a_snake_case_payload_is_read_the_same(station_a):
    # The ocpp library hands handlers snake_case keyword arguments; either spelling works.
    payload = {
        "event_type": "Ended",
        "timestamp": at(30),
        "trigger_reason": "StopAuthorized",
        "seq_no": 3,
        "transaction_info": {"transaction_id": "SNAKE", "stopped_reason": "Remote"},
        "id_token": {"id_token": "CARD", "type": "ISO14443"},
        "evse": {"id": 2, "connector_id": 1},
        "meter_value": [
            {"timestamp": at(0), "sampled_value": [{"value": 1000, "measurand": "Energy.Active.Import.Register"}]},
            {"timestamp": at(30), "sampled_value": [{"value": 4, "unit_of_measure": {"unit": "kWh"}}]},
        ],
    }
    assert transaction_event(station_a, payload) == "Accepted"
    session = only_session()
    assert (session.transaction_id, session.evse_id, session.energy_wh, session.stop_reason) == ("SNAKE", 2, 3000, "Remote")
