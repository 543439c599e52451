from __future__ import annotations

import pytest


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", ["operator_a", "viewer_a"])
def test_members_see_their_networks_sessions_only(client, persona, request, sessions_ab):
    client.force_login(request.getfixturevalue(persona))
    expected = {sessions_ab[k].pk for k in ("a_day1", "a_day2", "a_active")}
    assert ids(client.get("/api/sessions/")) == expected
    assert client.get(f"/api/sessions/{sessions_ab['b_day1'].pk}/").status_code == 404
    assert client.get(f"/api/sessions/{sessions_ab['b_day1'].pk}/samples/").status_code == 404


def test_the_account_admin_sees_every_network(client, account_admin, sessions_ab):
    client.force_login(account_admin)
    assert ids(client.get("/api/sessions/")) == {s.pk for s in sessions_ab.values()}


def test_operator_b_sees_only_b(client, operator_b, sessions_ab):
    client.force_login(operator_b)
    assert ids(client.get("/api/sessions/")) == {sessions_ab["b_day1"].pk}
    assert client.get(f"/api/sessions/{sessions_ab['a_day1'].pk}/").status_code == 404


def test_a_session_reads_as_a_user_would_see_it(client, operator_a, sessions_ab):
    client.force_login(operator_a)
    row = client.get(f"/api/sessions/{sessions_ab['a_day2'].pk}/").json()
    assert row["network"] == "Network A"
    assert row["station"] == "CP-A-1"
    assert row["location_name"] == "Depot A"
    assert row["energy_kwh"] == 1.234
    assert row["duration_s"] == 1800
    assert row["peak_power_kw"] == 11.0
    assert row["started_at"] == "2026-11-03T08:00:00Z"
    assert row["status"] == "completed"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("since=2026-11-03", {"a_day2", "a_active"}),
        ("until=2026-11-03", {"a_day1", "a_day2", "b_day1"}),
        ("since=2026-11-03&until=2026-11-03", {"a_day2"}),
        ("since=2026-11-03T09:00:00Z", {"a_active"}),
        ("network=Network%20A", {"a_day1", "a_day2", "a_active"}),
        ("network=Network%20B", {"b_day1"}),
        ("station=CP-B-1", {"b_day1"}),
        ("status=active", {"a_active"}),
        ("id_token=alice", {"a_day1", "a_active", "b_day1"}),
        ("id_token=ALICE&network=Network%20A&status=completed", {"a_day1"}),
    ],
)
def test_filters(client, account_admin, sessions_ab, query, expected):
    client.force_login(account_admin)
    assert ids(client.get(f"/api/sessions/?{query}")) == {sessions_ab[k].pk for k in expected}


def test_location_filter(client, account_admin, sessions_ab, location_b):
    client.force_login(account_admin)
    assert ids(client.get(f"/api/sessions/?location={location_b.pk}")) == {sessions_ab["b_day1"].pk}


def test_a_bad_filter_value_is_a_400(client, account_admin, sessions_ab):
    client.force_login(account_admin)
    assert client.get("/api/sessions/?since=yesterday").status_code == 400
    assert client.get("/api/sessions/?status=running").status_code == 400


def test_sessions_are_read_only(client, operator_a, sessions_ab):
    client.force_login(operator_a)
    pk = sessions_ab["a_day1"].pk
    assert client.delete(f"/api/sessions/{pk}/").status_code == 405
    assert client.patch(f"/api/sessions/{pk}/", {"energy_wh": 0}, content_type="application/json").status_code == 405
    assert client.post("/api/sessions/", {}, content_type="application/json").status_code == 405


def test_without_credentials_it_is_401(client, sessions_ab):
    assert client.get("/api/sessions/").status_code == 401


def test_samples_chart_endpoint(client, operator_a, v16):
    transaction_id, _ = v16.start(meter_start=0)
    v16.meter(transaction_id=transaction_id, timestamp="2026-11-02T08:05:00Z", wh=900, w=11000, soc=30)
    from sessions.models import Session

    client.force_login(operator_a)
    rows = client.get(f"/api/sessions/{Session.objects.get().pk}/samples/").json()
    assert [(r["energy_wh"], r["power_w"], r["soc"]) for r in rows] == [(0, None, None), (900, 11000, 30)]


def test_the_admin_list_is_scoped_and_filtered(client, operator_a, operator_b, sessions_ab):
    client.force_login(operator_a)
    page = client.get("/admin/charging_sessions/session/?status=active")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [sessions_ab["a_active"]]
    page = client.get("/admin/charging_sessions/session/?since=2026-11-03&until=2026-11-03&id_token=bob")
    assert list(page.context["cl"].result_list) == [sessions_ab["a_day2"]]
    assert "Download CSV" in page.content.decode()
    assert client.get("/admin/charging_sessions/session/?_facets=True").status_code == 200
    assert client.get(f"/admin/charging_sessions/session/{sessions_ab['a_day1'].pk}/change/").status_code == 200

    client.force_login(operator_b)
    page = client.get("/admin/charging_sessions/session/")
    assert list(page.context["cl"].result_list) == [sessions_ab["b_day1"]]
    assert client.get(f"/admin/charging_sessions/session/{sessions_ab['a_day1'].pk}/change/").status_code == 404
