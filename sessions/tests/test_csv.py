from __future__ import annotations

import csv
import io

import pytest
from django.test import AsyncClient

from sessions.exports import HEADER, escape_cell
from sessions.tests.conftest import make_session

DOCUMENTED_COLUMNS = [
    "session_id", "network", "location", "station", "evse_id", "connector_id", "ocpp_version", "transaction_id",
    "id_token", "status", "started_at", "ended_at", "duration_s", "energy_kwh", "peak_power_kw", "stop_reason",
    "total_cost", "currency",
]


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sessions-')
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == DOCUMENTED_COLUMNS
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_the_columns_are_the_documented_ones():
    assert HEADER == DOCUMENTED_COLUMNS
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for column in DOCUMENTED_COLUMNS:
        assert f"`{column}`" in readme, column


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_quoted(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    [" =1+1", "\n=cmd()", "\xa0=HYPERLINK(\"http://x\")", " \t\r\n+SUM(A1)", "\u2003-2+3", "  @cmd", "\nx"],
    ids=["space", "line-feed", "no-break-space", "mixed-whitespace", "em-space", "spaces-at", "line-feed-text"],
)
def test_leading_whitespace_before_a_formula_is_quoted_too(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["TAG-1", "04A1B2", "", None, "a=b", " TAG 1", "\xa0name"])
def test_other_cells_are_left_alone(value):
    assert escape_cell(value) == (value or "")


def test_whitespace_before_a_formula_reaches_the_file_quoted(client, operator_a, station_a):
    from locations.models import Location

    Location.objects.filter(pk=station_a.location_id).update(name=" =cmd|'/c calc'!A1")
    make_session(station_a, minutes=0, id_token="\xa0=HYPERLINK(\"http://evil\")", stop_reason="\n@SUM(1)", tx=" +1")
    client.force_login(operator_a)
    (row,) = read_csv(client.get("/api/sessions/?format=csv"))
    assert row["id_token"] == "'\xa0=HYPERLINK(\"http://evil\")"
    assert row["stop_reason"] == "'\n@SUM(1)"
    assert row["transaction_id"] == "' +1"
    assert row["location"] == "' =cmd|'/c calc'!A1"


def test_csv_format_times_energy_and_escaping(client, operator_a, station_a):
    make_session(
        station_a, minutes=0, id_token='=HYPERLINK("http://x")', stop_reason="@SUM(1)", energy_wh=12345.6,
        peak_power_w=7400.0, tx="-1+1",
    )
    make_session(station_a, minutes=60, status="active", ended_at=None, energy_wh=0.0, peak_power_w=None)
    client.force_login(operator_a)
    rows = read_csv(client.get("/api/sessions/?format=csv", HTTP_ACCEPT_LANGUAGE="de"))
    active, done = rows
    assert done["id_token"] == "'=HYPERLINK(\"http://x\")"
    assert done["stop_reason"] == "'@SUM(1)"
    assert done["transaction_id"] == "'-1+1"
    assert done["started_at"] == "2026-11-02T08:00:00Z"
    assert done["ended_at"] == "2026-11-02T08:30:00Z"
    assert done["duration_s"] == "1800"
    assert done["energy_kwh"] == "12.346"
    assert done["peak_power_kw"] == "7.400"
    assert (done["network"], done["location"], done["station"]) == ("Network A", "Depot A", "CP-A-1")
    assert (done["evse_id"], done["connector_id"], done["ocpp_version"], done["status"]) == ("1", "1", "1.6", "completed")
    assert (active["ended_at"], active["duration_s"], active["energy_kwh"], active["peak_power_kw"]) == ("", "", "0.000", "")


def test_csv_follows_the_filters_and_the_scope(client, operator_a, operator_b, account_admin, sessions_ab):
    client.force_login(operator_a)
    rows = read_csv(client.get("/api/sessions/?format=csv&id_token=alice"))
    assert {int(r["session_id"]) for r in rows} == {sessions_ab["a_day1"].pk, sessions_ab["a_active"].pk}
    client.force_login(operator_b)
    rows = read_csv(client.get("/api/sessions/?format=csv"))
    assert [int(r["session_id"]) for r in rows] == [sessions_ab["b_day1"].pk]
    client.force_login(account_admin)
    assert len(read_csv(client.get("/api/sessions/", HTTP_ACCEPT="text/csv"))) == 4


def test_a_bad_filter_in_a_csv_request_is_a_400(client, operator_a, sessions_ab):
    client.force_login(operator_a)
    response = client.get("/api/sessions/?format=csv&since=someday")
    assert response.status_code == 400
    assert b"since" in response.content


def test_the_admin_download_honours_the_current_filters_and_scope(client, operator_a, operator_b, sessions_ab):
    client.force_login(operator_a)
    rows = read_csv(client.get("/admin/charging_sessions/session/download.csv?status=completed&id_token=ALICE"))
    assert [int(r["session_id"]) for r in rows] == [sessions_ab["a_day1"].pk]
    rows = read_csv(client.get("/admin/charging_sessions/session/download.csv?q=BOB"))
    assert [int(r["session_id"]) for r in rows] == [sessions_ab["a_day2"].pk]
    client.force_login(operator_b)
    rows = read_csv(client.get("/admin/charging_sessions/session/download.csv"))
    assert [int(r["session_id"]) for r in rows] == [sessions_ab["b_day1"].pk]


def test_the_admin_download_honours_the_network_selector(client, account_admin, network_b, sessions_ab):
    client.force_login(account_admin)
    client.post("/networks/select/", {"network": network_b.pk})
    rows = read_csv(client.get("/admin/charging_sessions/session/download.csv"))
    assert [int(r["session_id"]) for r in rows] == [sessions_ab["b_day1"].pk]


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_file_streams_from_an_async_iterator(operator_a, sessions_ab):
    from asgiref.sync import sync_to_async

    client = AsyncClient()
    await sync_to_async(client.force_login)(operator_a)
    response = await client.get("/api/sessions/?format=csv")
    assert response.status_code == 200
    assert response.is_async  # Django would otherwise read a sync iterator whole before sending
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == DOCUMENTED_COLUMNS
    assert len(rows) == 4
    # The request's sync thread holds a database connection of its own; close it like a server would.
    from django.db import connections

    await sync_to_async(connections.close_all, thread_sensitive=True)()


def test_every_session_is_exported_once_newest_first_across_pages(client, account_admin, station_a, station_b, monkeypatch):
    from sessions import exports

    monkeypatch.setattr(exports, "ROWS_PER_FETCH", 3)
    # Ties on started_at straddle the page boundaries.
    made = [make_session(station, minutes=m, tx=f"T{i}") for i, (station, m) in enumerate(
        [(station_a, 0), (station_b, 0), (station_a, 5), (station_b, 5), (station_a, 5), (station_b, 5), (station_a, 9)]
    )]
    client.force_login(account_admin)
    rows = read_csv(client.get("/api/sessions/?format=csv"))
    expected = sorted(made, key=lambda s: (s.started_at, s.pk), reverse=True)
    assert [int(r["session_id"]) for r in rows] == [s.pk for s in expected]
