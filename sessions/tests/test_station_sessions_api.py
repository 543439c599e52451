"""/api/charging_stations/<identity>/sessions/: one station's sessions, JSON or CSV, network-scoped."""
from __future__ import annotations

import csv
import io

from sessions.exports import HEADER


def test_a_stations_sessions_as_json_and_csv(client, operator_a, sessions_ab):
    client.force_login(operator_a)
    response = client.get("/api/charging_stations/CP-A-1/sessions/")
    assert response.status_code == 200
    assert {r["id"] for r in response.json()["results"]} == {sessions_ab[k].pk for k in ("a_day1", "a_day2", "a_active")}
    filtered = client.get("/api/charging_stations/CP-A-1/sessions/", {"id_token": "BOB"}).json()["results"]
    assert [r["id"] for r in filtered] == [sessions_ab["a_day2"].pk]
    csv_response = client.get("/api/charging_stations/CP-A-1/sessions/?format=csv&status=completed")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode())))
    assert rows[0] == HEADER
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([sessions_ab["a_day1"].pk, sessions_ab["a_day2"].pk])
    # The FAQ's singular path too.
    assert client.get("/api/charging_station/CP-A-1/sessions/").status_code == 200


def test_another_networks_station_is_404(client, operator_b, sessions_ab):
    client.force_login(operator_b)
    assert client.get("/api/charging_stations/CP-A-1/sessions/").status_code == 404
    assert client.get("/api/charging_stations/CP-A-1/sessions/?format=csv").status_code == 404
    assert client.get("/api/charging_stations/CP-B-1/sessions/").status_code == 200
