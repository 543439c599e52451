"""Faults are facts (issue 16): the history is recorded from the status batch, the last report is kept
when the station goes offline and shown as "offline (last: …)", the dashboard separates the two."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_gateway.write_buffer import write_reports
from stations.models import StationFault, StationState
from stations.services import StatusReport

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def report(station, minutes, status, error_code="NoError", connector=1, info=""):
    return StatusReport(station=station, evse_id=connector, connector_id=connector, status=status,
                        at=T0 + timedelta(minutes=minutes), error_code=error_code, error_info=info)


@pytest.fixture
def live_a(station_a):
    station_a.state = StationState.ONBOARDED
    station_a.connected = True
    station_a.ocpp_version = "1.6"
    station_a.save()
    return station_a


def test_a_fault_is_opened_once_changed_and_cleared(live_a):
    write_reports([report(live_a, 0, "Available"), report(live_a, 1, "Faulted", "GroundFailure")])
    write_reports([report(live_a, 2, "Faulted", "GroundFailure")])  # the same fault again: nothing new
    write_reports([report(live_a, 3, "Faulted", "OverCurrentFailure"), report(live_a, 3, "Available", connector=2)])
    write_reports([report(live_a, 10, "Available")])
    faults = list(StationFault.objects.order_by("started_at"))
    assert [(f.error_code, f.started_at, f.cleared_at, f.cleared_by) for f in faults] == [
        ("GroundFailure", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3), "Faulted"),
        ("OverCurrentFailure", T0 + timedelta(minutes=3), T0 + timedelta(minutes=10), "Available"),
    ]


def test_a_fault_raised_and_cleared_within_one_batch_is_kept(live_a):
    write_reports([report(live_a, 0, "Faulted", "GroundFailure"), report(live_a, 0.5, "Available")])
    (fault,) = StationFault.objects.all()
    assert fault.error_code == "GroundFailure" and fault.cleared_by == "Available"


def test_an_available_with_an_error_code_is_a_fault_too(live_a):
    write_reports([report(live_a, 0, "Available", "HighTemperature")])
    assert StationFault.objects.get().status == "Available"


def test_history_is_bounded_per_station(live_a, settings):
    settings.FAULT_HISTORY_PER_STATION = 3
    for minute in range(6):
        write_reports([report(live_a, minute * 2, "Faulted", "GroundFailure"), ])
        write_reports([report(live_a, minute * 2 + 1, "Available")])
    assert StationFault.objects.count() == 3
    assert min(StationFault.objects.values_list("started_at", flat=True)) == T0 + timedelta(minutes=6)


def test_offline_keeps_the_last_report_and_the_dashboard_separates_it(client, operator_a, operator_b, live_a):
    write_reports([report(live_a, 0, "Faulted", "GroundFailure")])
    client.force_login(operator_a)
    page = client.get("/console/").content.decode()
    assert "Faulted equipment" in page and "GroundFailure" in page
    live_a.connected = False
    live_a.save()
    page = client.get("/console/").content.decode()
    assert 'id="offline-faults"' in page
    assert "offline (last: Faulted GroundFailure)" in page
    assert "1 of the offline station last reported a fault." in page
    assert "No faults on connected stations." in page
    station_page = client.get("/console/stations/CP-A-1/").content.decode()
    assert "offline (last: Faulted GroundFailure)" in station_page
    listing = client.get("/console/stations/").content.decode()
    assert "1: offline (last: Faulted GroundFailure)" in listing
    history = client.get("/console/stations/CP-A-1/faults/")
    assert history.status_code == 200 and "GroundFailure" in history.content.decode()
    assert "(station offline)" in history.content.decode()
    client.force_login(operator_b)
    assert client.get("/console/stations/CP-A-1/faults/").status_code == 404
    assert "GroundFailure" not in client.get("/console/").content.decode()
