"""The physical bounds of station numbers (stations/bounds.py) and the meter-value edge that applies them."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessions.readings import meter_report, readings_from_meter_values, transaction_event_report
from stations import bounds

NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def energy(value, *, unit="Wh", multiplier=None, at=NOW) -> list[dict]:
    uom = {"unit": unit, **({"multiplier": multiplier} if multiplier is not None else {})}
    return [{"timestamp": at.isoformat(), "sampledValue": [{"value": value, "unitOfMeasure": uom}]}]


@pytest.mark.parametrize("value", [True, 1.0, "1", -1, bounds.MAX_EVSE_ID + 1, 2**63, 10**400])
def test_an_evse_id_outside_its_range_or_not_an_integer_is_refused(value):
    with pytest.raises(bounds.OutOfBounds) as refused:
        bounds.evse_id(value)
    assert refused.value.code == "PropertyConstraintViolation"


def test_ids_inside_the_range_pass():
    assert bounds.evse_id(0) == 0 and bounds.evse_id(bounds.MAX_EVSE_ID) == bounds.MAX_EVSE_ID
    assert bounds.transaction_id_v16(-(2**31)) == -(2**31)
    with pytest.raises(bounds.OutOfBounds):
        bounds.transaction_id_v16(2**31)


@pytest.mark.parametrize("value", [-1, 2**31, 2**63, 1.5, "7", None])
def test_a_request_id_the_platform_cannot_have_issued_is_refused(value):
    with pytest.raises(bounds.OutOfBounds) as refused:
        bounds.request_id(value)
    assert refused.value.field == "requestId"
    assert bounds.request_id(0) == 0 and bounds.request_id(2**31 - 1) == 2**31 - 1


@pytest.mark.parametrize("value", [float("inf"), float("nan"), -1, 10**400, 1e13])
def test_an_energy_register_outside_its_range_is_refused(value):
    with pytest.raises(bounds.OutOfBounds):
        bounds.energy_wh(value, field="meterStart")


def test_a_huge_multiplier_is_refused_before_any_power_is_computed():
    # 10 ** 20_000_000 would hold the GIL for over a minute; the bound answers at once.
    with pytest.raises(bounds.OutOfBounds, match="multiplier"):
        readings_from_meter_values(energy(5, multiplier=20_000_000), ocpp_version="2.0.1", now=NOW)


def test_kilo_multipliers_and_units_scale_as_before():
    readings, ignored = readings_from_meter_values(energy(2.5, unit="Wh", multiplier=3), ocpp_version="2.0.1", now=NOW)
    assert [r.energy_wh for r in readings] == [2500.0] and ignored == []


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "9" * 41])
def test_a_16_value_string_that_is_not_a_finite_physical_number_is_refused(value):
    meter_value = [{"timestamp": NOW.isoformat(), "sampledValue": [{"value": value, "unit": "kWh"}]}]
    with pytest.raises(bounds.OutOfBounds):
        readings_from_meter_values(meter_value, ocpp_version="1.6", now=NOW)


def test_power_soc_and_current_have_their_own_ranges():
    def one(measurand, value, unit):
        return [{"timestamp": NOW.isoformat(), "sampledValue": [{"value": value, "measurand": measurand, "unit": unit}]}]

    readings, _ = readings_from_meter_values(one("Power.Active.Import", "-3000", "W"), ocpp_version="1.6", now=NOW)
    assert readings[0].power_w == -3000  # export (V2G) is physical
    for measurand, value, unit in [("Power.Active.Import", "20000", "kW"), ("SoC", "101", "Percent"), ("Current.Import", "20000", "A")]:
        with pytest.raises(bounds.OutOfBounds):
            readings_from_meter_values(one(measurand, value, unit), ocpp_version="1.6", now=NOW)


def test_readings_outside_the_clock_window_are_ignored_with_a_note():
    meter_value = [
        *energy(1000, at=NOW - timedelta(days=3650)),
        *energy(2000, at=NOW + timedelta(days=2)),
        {"timestamp": "not a time", "sampledValue": [{"value": 1}]},
        *energy(3000, at=NOW - timedelta(minutes=5)),
    ]
    readings, ignored = readings_from_meter_values(meter_value, ocpp_version="2.0.1", now=NOW)
    assert [r.energy_wh for r in readings] == [3000]
    assert len(ignored) == 3 and "outside the clock window" in ignored[0]


def test_too_many_sampled_values_is_an_occurrence_violation_spelled_per_version():
    element = {"timestamp": NOW.isoformat(), "sampledValue": [{"value": "1"}] * (bounds.MAX_SAMPLED_VALUES + 1)}
    with pytest.raises(bounds.TooMany) as v16:
        readings_from_meter_values([element], ocpp_version="1.6", now=NOW)
    assert v16.value.code == "OccurenceConstraintViolation"
    with pytest.raises(bounds.TooMany) as v201:
        readings_from_meter_values([element], ocpp_version="2.0.1", now=NOW)
    assert v201.value.code == "OccurrenceConstraintViolation"


def test_meter_report_bounds_its_ids():
    with pytest.raises(bounds.OutOfBounds, match="connectorId"):
        meter_report(station=None, ocpp_version="1.6", evse_id=2**63, transaction_id=None, meter_value=[], now=NOW)
    with pytest.raises(bounds.OutOfBounds, match="transactionId"):
        meter_report(station=None, ocpp_version="1.6", evse_id=1, transaction_id=2**63, meter_value=[], now=NOW)


def test_a_transaction_event_dated_by_a_wrong_clock_takes_the_receive_time():
    report = transaction_event_report(
        payload={
            "eventType": "Started", "timestamp": "1970-01-01T00:00:00Z", "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "T"},
        },
        now=NOW,
    )
    assert report.at == NOW and "1970-01-01" in report.ignored[0]


def test_the_one_datetime_parser():
    assert bounds.ocpp_datetime("2026-11-02T08:00:00Z") == NOW
    assert bounds.ocpp_datetime("2026-11-02T09:00:00+01:00") == NOW
    assert bounds.ocpp_datetime("2026-11-02T08:00:00") == NOW  # no offset: UTC (OCPP timestamps are UTC)
    for bad in ["yesterday", "2026-11-02T08:00:00Z" + "0" * 40, 12]:
        with pytest.raises(ValueError):
            bounds.ocpp_datetime(bad)


def test_the_transaction_window_allows_slack_either_side():
    start, end = NOW, NOW + timedelta(hours=1)
    inside = [start - bounds.TRANSACTION_SLACK, end + bounds.TRANSACTION_SLACK]
    for at in inside:
        assert bounds.in_transaction_window(at, started_at=start, ended_at=end)
    assert not bounds.in_transaction_window(start - timedelta(hours=1), started_at=start, ended_at=end)
    assert not bounds.in_transaction_window(end + timedelta(hours=1), started_at=start, ended_at=end)
    assert bounds.in_transaction_window(end + timedelta(days=1), started_at=start, ended_at=None)


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59.999999-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_timestamp_that_leaves_the_calendar_in_utc_is_unreadable_not_a_crash(text):
    # Found by the fuzz test: astimezone() raised OverflowError, a StopTransaction got InternalError.
    with pytest.raises(ValueError):
        bounds.ocpp_datetime(text)
    readings, ignored = readings_from_meter_values(
        [{"timestamp": text, "sampledValue": [{"value": "5"}]}], ocpp_version="1.6", now=NOW
    )
    assert readings == [] and "unreadable timestamp" in ignored[0]
