"""Every number a station sends is bounded before arithmetic (issue 12, stations/bounds.py).

Each offender talks to a live daphne over a real websocket; each case asserts its answer (the
CALLERROR OCPP-J defines, or an answer plus a station event saying what was ignored), that it was
answered at once (no computation on the value), and the neighbours' service: another station's
heartbeat round trip and its message-log rows, and /api/sessions/ answering 200.
"""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.neighbours import neighbour_station
from tests.servers import RawStation, until

pytestmark = pytest.mark.e2e

BOOT = {
    "1.6": {"chargePointVendor": "BoundCo", "chargePointModel": "B-1"},
    "2.0.1": {"chargingStation": {"vendorName": "BoundCo", "model": "B-1"}, "reason": "PowerUp"},
}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now(**delta) -> str:
    return iso(datetime.now(UTC) + timedelta(**delta))


def energy_201(value, *, multiplier=None, at: str | None = None) -> list[dict]:
    unit = {"unit": "Wh", **({"multiplier": multiplier} if multiplier is not None else {})}
    return [
        {
            "timestamp": at or now(),
            "sampledValue": [{"value": value, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": unit}],
        }
    ]


def energy_16(value: str, *, at: str | None = None, unit: str = "Wh") -> list[dict]:
    return [
        {
            "timestamp": at or now(),
            "sampledValue": [{"value": value, "measurand": "Energy.Active.Import.Register", "unit": unit}],
        }
    ]


def tx_event(event_type: str, *, tx: str, seq_no: int, meter_value=None, id_token=None, at: str | None = None) -> dict:
    body = {
        "eventType": event_type,
        "timestamp": at or now(),
        "triggerReason": "Authorized" if event_type == "Started" else "MeterValuePeriodic",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": tx},
        "evse": {"id": 1, "connectorId": 1},
    }
    if meter_value is not None:
        body["meterValue"] = meter_value
    if id_token is not None:
        body["idToken"] = id_token
    return body


HUGE = 2**63
# (version, action, payload, errorCode): each a schema-valid frame with a number outside its physical range.
REFUSED = {
    "2.0.1 MeterValues multiplier 20000000": (
        "2.0.1", "MeterValues", {"evseId": 1, "meterValue": energy_201(5, multiplier=20_000_000)}, "PropertyConstraintViolation",
    ),
    "2.0.1 TransactionEvent multiplier 20000000": (
        "2.0.1", "TransactionEvent", tx_event("Updated", tx="BOMB", seq_no=1, meter_value=energy_201(5, multiplier=20_000_000)),
        "PropertyConstraintViolation",
    ),
    "2.0.1 MeterValues 1e300 Wh x 10**9": (
        "2.0.1", "MeterValues", {"evseId": 1, "meterValue": energy_201(1e300, multiplier=9)}, "PropertyConstraintViolation",
    ),
    "1.6 MeterValues 1e308 kWh": (
        "1.6", "MeterValues", {"connectorId": 1, "meterValue": energy_16("1e308", unit="kWh")}, "PropertyConstraintViolation",
    ),
    "1.6 MeterValues negative register": (
        "1.6", "MeterValues", {"connectorId": 1, "meterValue": energy_16("-5")}, "PropertyConstraintViolation",
    ),
    "1.6 MeterValues transactionId 2**63": (
        "1.6", "MeterValues", {"connectorId": 1, "transactionId": HUGE, "meterValue": energy_16("100")},
        "PropertyConstraintViolation",
    ),
    "1.6 StatusNotification connectorId 2**63": (
        "1.6", "StatusNotification", {"connectorId": HUGE, "errorCode": "NoError", "status": "Available"},
        "PropertyConstraintViolation",
    ),
    "2.0.1 StatusNotification evseId 2**63": (
        "2.0.1", "StatusNotification", {"timestamp": now(), "connectorStatus": "Available", "evseId": HUGE, "connectorId": 1},
        "PropertyConstraintViolation",
    ),
    "1.6 StartTransaction meterStart 2**63": (
        "1.6", "StartTransaction", {"connectorId": 1, "idTag": "T1", "meterStart": HUGE, "timestamp": now()},
        "PropertyConstraintViolation",
    ),
    "2.0.1 FirmwareStatusNotification requestId 2**63": (
        "2.0.1", "FirmwareStatusNotification", {"status": "Downloading", "requestId": HUGE}, "PropertyConstraintViolation",
    ),
    "2.0.1 FirmwareStatusNotification requestId -1": (
        "2.0.1", "FirmwareStatusNotification", {"status": "Downloading", "requestId": -1}, "PropertyConstraintViolation",
    ),
    "1.6 StopTransaction transactionId 2**63": (
        "1.6", "StopTransaction", {"transactionId": HUGE, "meterStop": 10, "timestamp": now()}, "PropertyConstraintViolation",
    ),
}


async def booted(station, version: str) -> RawStation:
    raw = await RawStation.open(station.url, identity=station.identity, password=station.password, ocpp_version=version)
    reply = await raw.call("BootNotification", BOOT[version])
    assert reply[0] == 3 and reply[2]["status"] == "Accepted", reply
    return raw


def sessions_page_ok(api) -> None:
    response = api.get("/api/sessions/", expect=200)
    for row in response.json()["results"]:
        assert row["energy_kwh"] is None or abs(row["energy_kwh"]) < 1e9, row


async def assert_neighbours_served(neighbour, api) -> None:
    await neighbour.assert_served()
    await asyncio.to_thread(sessions_page_ok, api)


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_number_outside_its_physical_range_gets_a_callerror_and_hurts_nobody(case, platform, api, new_station):
    version, action, payload, code = REFUSED[case]
    station = new_station("BND")
    async with neighbour_station(platform) as neighbour:
        raw = await booted(station, version)
        try:
            started = time.monotonic()
            reply = await raw.call(action, payload, timeout=10)
            elapsed = time.monotonic() - started
            assert reply[0] == 4, f"{case}: expected a CALLERROR, got {reply}"
            assert reply[2] == code, reply
            assert elapsed < 3, f"{case}: answered after {elapsed:.1f} s"
            # The offender's socket lives on.
            assert (await raw.call("Heartbeat", {}))[0] == 3
            await assert_neighbours_served(neighbour, api)
        finally:
            await raw.close()
    # Nothing of the refused frame was stored.
    rows = await asyncio.to_thread(api.get, "/api/sessions/", params={"station": station.identity}, expect=200)
    assert rows.json()["results"] == []


async def session_of(api, identity: str, predicate, what: str) -> dict:
    def check():
        rows = api.get("/api/sessions/", params={"station": identity}, expect=200).json()["results"]
        return rows[0] if rows and predicate(rows[0]) else None

    return await until(check, timeout=15, what=what, interval=0.3)


def station_events_text(admin, identity: str) -> str:
    return admin.page(f"/console/stations/{identity}/maintenance/")


async def test_a_reading_dated_years_back_is_answered_not_counted_and_reported(platform, api, admin, new_station):
    station = new_station("OLD")
    async with neighbour_station(platform) as neighbour:
        raw = await booted(station, "1.6")
        try:
            start = await raw.call("StartTransaction", {"connectorId": 1, "idTag": "T1", "meterStart": 1000, "timestamp": now(minutes=-10)})
            transaction_id = start[2]["transactionId"]
            good = await raw.call(
                "MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": energy_16("3000")}
            )
            assert good[0] == 3
            # Ten years back, with a register that would make the energy −999,995 kWh.
            old = await raw.call(
                "MeterValues",
                {"connectorId": 1, "transactionId": transaction_id, "meterValue": energy_16("1000000000", at=now(days=-3650))},
            )
            assert old[0] == 3, old  # answered: the clock is wrong, the frame is not
            # Inside the clock window but an hour before the transaction started: not this session's.
            before = await raw.call(
                "MeterValues",
                {"connectorId": 1, "transactionId": transaction_id, "meterValue": energy_16("999999", at=now(minutes=-70))},
            )
            assert before[0] == 3, before
            await assert_neighbours_served(neighbour, api)
        finally:
            await raw.close()
    session = await session_of(api, station.identity, lambda s: s["energy_kwh"] == 2.0, "the session counting 2 kWh")
    assert session["energy_kwh"] == 2.0

    def reported():
        page = station_events_text(admin, station.identity)
        return page if "outside the clock window" in page and "dated outside it" in page else None

    page = await until(reported, timeout=15, what="the ignored readings on the station's page", interval=0.3)
    assert "InputIgnored" in page


async def test_a_transaction_dated_by_a_wrong_clock_uses_the_receive_time(platform, api, admin, new_station):
    station = new_station("CLK")
    raw = await booted(station, "1.6")
    try:
        start = await raw.call("StartTransaction", {"connectorId": 1, "idTag": "T1", "meterStart": 0, "timestamp": "1970-01-01T00:00:00Z"})
        assert start[0] == 3 and start[2]["idTagInfo"]["status"] == "Accepted"
        stop = await raw.call("StopTransaction", {"transactionId": start[2]["transactionId"], "meterStop": 500, "timestamp": now()})
        assert stop[0] == 3
    finally:
        await raw.close()
    session = await session_of(api, station.identity, lambda s: s["status"] == "completed", "the completed session")
    assert session["started_at"] > "2020"
    assert session["energy_kwh"] == 0.5
    assert "1970-01-01" in station_events_text(admin, station.identity)


async def test_central_tokens_follow_the_allow_list(platform, api, new_station):
    station = new_station("CTR")
    network = station.network
    blocked = f"BLK-{station.identity[-4:]}"
    api.post("/api/id_tokens/", json_body={"network": network, "token": blocked, "status": "Blocked"}, expect=201)
    raw = await booted(station, "2.0.1")
    try:
        central = {"idToken": blocked, "type": "Central"}
        authorize = await raw.call("Authorize", {"idToken": central})
        assert authorize[0] == 3 and authorize[2]["idTokenInfo"]["status"] == "Blocked", authorize
        event = await raw.call("TransactionEvent", tx_event("Started", tx=f"C-{blocked}", seq_no=0, id_token=central))
        assert event[0] == 3 and event[2]["idTokenInfo"]["status"] == "Blocked", event
        free = await raw.call("Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
        assert free[2]["idTokenInfo"]["status"] == "Accepted"
    finally:
        await raw.close()


async def test_a_large_meter_frame_does_not_stall_the_neighbours(platform, api, new_station):
    """A station replaying its queue: a frame of hundreds of sampled values (under the 64 KiB frame
    limit) is parsed off the event loop."""
    station = new_station("BIG")
    async with neighbour_station(platform) as neighbour:
        raw = await booted(station, "1.6")
        try:
            base = datetime.now(UTC) - timedelta(hours=3)
            meter_value = [
                {"timestamp": iso(base + timedelta(seconds=i)), "sampledValue": [
                    {"value": str(1000 + i), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "7000", "measurand": "Power.Active.Import", "unit": "W"},
                ]}
                for i in range(250)
            ]
            sent = asyncio.create_task(raw.call("MeterValues", {"connectorId": 2, "meterValue": meter_value}, timeout=30))
            await neighbour.assert_served(within=3)
            reply = await sent
            assert reply[0] == 3, reply
        finally:
            await raw.close()
        await assert_neighbours_served(neighbour, api)


def test_sessions_stored_before_the_bounds_do_not_break_the_api(platform, api, new_station):
    station = new_station("INF")
    platform.manage(
        "shell", "-c",
        "from sessions.models import Session; from stations.models import Station; "
        f"s = Station.objects.get(identity='{station.identity}'); "
        "Session.objects.create(network_id=s.network_id, station=s, ocpp_version='1.6', transaction_id='1', "
        "started_at='2026-01-01T00:00:00Z', energy_wh=float('inf'), meter_stop_wh=float('inf'), meter_start_wh=0.0, "
        "peak_power_w=float('inf'))",
    )
    rows = api.get("/api/sessions/", params={"station": station.identity}, expect=200).json()["results"]
    assert [(r["energy_kwh"], r["peak_power_kw"]) for r in rows] == [(None, None)]
    sessions_page_ok(api)
