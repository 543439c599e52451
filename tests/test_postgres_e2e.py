"""The platform on PostgreSQL (Debian's postgresql, a throwaway cluster): migrations, a 1.6 and a 2.0.1
station charging, their sessions, samples and CSV, the message log, and the newer apps' queries
(tariff cost, reservations, alerts) all run on the database operators outgrow SQLite for."""
from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator

import pytest

from tests.pg import PostgresServer
from tests.neighbours import neighbour_station
from tests.servers import ADMIN_USERNAME, Platform, RawStation, simulated_station, station_password, unique_identity, wait_for

pytestmark = pytest.mark.e2e


class PostgresPlatform(Platform):
    """A Platform whose DATABASE_URL is a PostgreSQL database, migrated here (no SQLite template)."""

    def install(self) -> None:
        self.manage("migrate", "--noinput")
        self.manage("ensure_account_admin")
        out = self.manage("drf_create_token", ADMIN_USERNAME).stdout
        self.token = re.search(r"\b([0-9a-f]{40})\b", out).group(1)


@pytest.fixture(scope="module")
def pg_platform(tmp_path_factory) -> Iterator[Platform]:
    with PostgresServer() as pg:
        url = pg.create_database("switch")
        platform = PostgresPlatform.create(tmp_path_factory.mktemp("pg-platform"), env={"DATABASE_URL": url, "ALERTS_EVALUATE_SECONDS": "2"})
        try:
            platform.start_daphne()
            yield platform
        finally:
            platform.stop()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_session_is_recorded_priced_and_exported_on_postgresql(pg_platform, version):
    api = pg_platform.api
    network = api.ensure_network("PG")["name"]
    location = api.create_location(network=network, name=unique_identity("PG depot"))
    if not api.get("/api/tariffs/", params={"network__name": network}, expect=200).json()["results"]:
        api.post("/api/tariffs/", json_body={"network": network, "name": "PG", "currency": "EUR", "start_fee": "1.00",
                                             "price_per_kwh": "0.50", "vat_percent": "0"}, expect=201)
    identity, password = unique_identity("PG"), station_password()
    api.create_station(identity=identity, password=password, network=network, location=location["id"])

    async with simulated_station(version, identity=identity, password=password, url=pg_platform.ocpp_url, meter_interval=0.2) as sim:
        await sim.charge(kwh=2.0, meter_values=4)

    def completed():
        rows = api.get("/api/sessions/", params={"station": identity, "status": "completed"}, expect=200).json()["results"]
        return rows[0] if rows else None

    session = await asyncio.to_thread(wait_for, completed, timeout=30, what="the completed session")
    assert session["energy_kwh"] == 2.0 and session["ocpp_version"] == version
    assert (session["total_cost"], session["cost_currency"]) == ("2.00", "EUR")  # 1.00 + 2 kWh × 0.50
    assert len(api.get(f"/api/sessions/{session['id']}/samples/", expect=200).json()) >= 4
    exported = api.get("/api/sessions/", params={"station": identity, "format": "csv"}, headers={"Accept": "application/json"}, expect=200)
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["energy_kwh"], row["total_cost"], row["status"]) == ("2.000", "2.00", "completed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["started_at"])  # the database's own formatting

    frames = api.get("/api/messages/", params={"station": identity}, expect=200).json()["results"]
    assert {"BootNotification", "StatusNotification"} <= {f["action"] for f in frames}


async def test_a_reservation_and_an_alert_rule_on_postgresql(pg_platform):
    api = pg_platform.api
    network = api.ensure_network("PG")["name"]
    rule = api.post("/api/alert_rules/", json_body={"network": network, "name": "PG faults", "kind": "station_faulted",
                                                    "email_to": "ops@example.com"}, expect=201).json()
    identity, password = unique_identity("PGR"), station_password()
    api.create_station(identity=identity, password=password, network=network)
    async with simulated_station("2.0.1", identity=identity, password=password, url=pg_platform.ocpp_url) as sim:
        reserved = api.post(f"/api/charging_stations/{identity}/actions/reserve_now/",
                            json_body={"id_token": "PG-DRIVER", "evse_id": 1, "expires_in_minutes": 5}, expect=(201, 202)).json()
        await sim.wait_for_request("ReserveNow")
        await sim.fault(1)

        def reservation():
            rows = api.get("/api/reservations/", params={"station__identity": identity}, expect=200).json()["results"]
            return rows[0] if rows and rows[0]["status"] == "reserved" else None

        row = await asyncio.to_thread(wait_for, reservation, timeout=20, what="the reservation")
        assert row["reservation_id"] == reserved["id"]
        alerts = await asyncio.to_thread(
            wait_for, lambda: api.get("/api/alerts/", params={"station__identity": identity}, expect=200).json()["results"],
            timeout=30, interval=1, what="the fault alert (embedded beat)",
        )
    assert alerts[0]["title"].startswith(f"{identity} EVSE 1") and alerts[0]["rule"] == rule["name"]


async def test_a_frame_postgresql_cannot_store_costs_no_other_row(pg_platform):
    """The message log's COPY on PostgreSQL: a text with NUL (\\u0000 is valid JSON, but not in jsonb)
    fails its batch; the frame is still answered, its row quarantined with a row in its place, and the
    neighbour's rows in the same moment are written."""
    api = pg_platform.api
    network = api.ensure_network("PG")["name"]
    identity, password = unique_identity("PGNUL"), station_password()
    api.create_station(identity=identity, password=password, network=network)
    async with neighbour_station(pg_platform, network=network) as neighbour:
        raw = await RawStation.open(pg_platform.ocpp_url, identity=identity, password=password, ocpp_version="1.6")
        try:
            booted = await raw.call("BootNotification", {"chargePointVendor": "RawCo", "chargePointModel": "Raw-1"})
            assert booted[2]["status"] == "Accepted"
            answers = await asyncio.gather(
                raw.call("DataTransfer", {"vendorId": "RawCo", "data": "a\u0000b"}, unique_id="nul-1"),
                neighbour.assert_served(),
            )
            assert answers[0][0] == 3  # answered: what it carried is stored (quarantined), not lost
            assert (await raw.call("Heartbeat", {}))[0] == 3
        finally:
            await raw.close()
        await neighbour.assert_served()

    def logged():
        rows = api.get("/api/messages/", params={"station": identity}, expect=200).json()["results"]
        return {(row["unique_id"], row["direction"]): row for row in rows} if len(rows) >= 6 else None

    rows = await asyncio.to_thread(wait_for, logged, timeout=20, what="the station's log")
    kept = rows[("nul-1", "in")]
    assert kept["payload"] is None and "quarantined row #" in kept["note"]
    assert rows[("nul-1", "out")]["action"] == "DataTransfer"


async def test_a_status_report_postgresql_cannot_store_costs_no_other_report(pg_platform):
    """The write buffer's statements on PostgreSQL run on psycopg's own cursor, parameters bound on the
    server and statements prepared (switchplatform.prepared.batch_cursor): a text with NUL (valid JSON,
    not storable in a text column) fails its batch; its station is still answered and its report
    quarantined, and the other stations are served: one reporting at the same moment (its reports
    written, answered and logged), one heartbeating (answered and logged)."""
    api = pg_platform.api
    network = api.ensure_network("PG")["name"]
    stations = {}
    for role in ("bad", "good"):
        identity, password = unique_identity(f"PG{role.upper()}"), station_password()
        api.create_station(identity=identity, password=password, network=network)
        raw = await RawStation.open(pg_platform.ocpp_url, identity=identity, password=password, ocpp_version="1.6")
        stations[role] = (identity, raw)
    bad, good = stations["bad"][1], stations["good"][1]
    async with neighbour_station(pg_platform, network=network) as neighbour:
        try:
            for raw in (bad, good):
                booted = await raw.call("BootNotification", {"chargePointVendor": "RawCo", "chargePointModel": "Raw-1"})
                assert booted[2]["status"] == "Accepted"
                # The connector's first report creates its row; the reports below update it (the batch path).
                assert (await raw.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}))[0] == 3
            for _round in range(3):  # executemany prepares its statement at once, execute() from its fifth run
                answers = await asyncio.gather(
                    bad.call("StatusNotification", {"connectorId": 1, "errorCode": "OtherError", "status": "Faulted", "info": "a\u0000b"}),
                    good.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}),
                    neighbour.assert_served(),
                )
                assert [answer[0] for answer in answers[:2]] == [3, 3]  # both answered: stored or quarantined, not lost
                answers = await asyncio.gather(
                    bad.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
                    good.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
                )
                assert [answer[0] for answer in answers] == [3, 3]
            assert (await good.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}))[0] == 3
        finally:
            for raw in (bad, good):
                await raw.close()
        await neighbour.assert_served()

    def connector(role: str) -> dict:
        [evse] = [e for e in api.station(stations[role][0])["evses"] if e["evse_id"] == 1]
        return evse["connectors"][0]

    assert connector("good")["status"] == "Preparing"
    assert connector("bad")["status"] == "Available" and not connector("bad")["faulted"]
    # The reporting neighbour's log: each of its 8 StatusNotifications and each answer.
    logged = api.results("/api/messages/", station=stations["good"][0], action="StatusNotification")
    assert sorted((row["direction"], row["message_type"]) for row in logged) == [("in", "CALL")] * 8 + [("out", "CALLRESULT")] * 8
    admin = pg_platform.admin()
    page = admin.page("/admin/ocpp_gateway/quarantinedrow/?kind__exact=status")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page.split("<tbody>", 1)[1].split("</tbody>", 1)[0], flags=re.S)
    assert len([row for row in rows if stations["bad"][0] in row]) == 3  # one per Faulted report
    assert stations["good"][0] not in admin.page("/admin/ocpp_gateway/quarantinedrow/")
