"""Smart charging end to end: a location's power limit shared among real simulated stations.

Ten stations (five OCPP 1.6, five 2.0.1, 11 kW each, one meter value per second) charge at one
location limited to 50 kW; one 1.6 station refuses charging profiles and is counted at its maximum.
The sum of the power they report (each station's latest report, as the platform sees it) may go
over the limit only while a change is being applied: never for longer than one meter interval.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from tests.servers import unique_identity

pytestmark = pytest.mark.e2e

METER_INTERVAL = 1.0
LIMIT_KW = 50.0
STATION_KW = 11.0
REFUSING_MAX_A = 16  # 16 A on three phases: 11.04 kW, what the refusing station really draws
MIN_W = 6 * 3 * 230  # the default minimum current, 6 A on three phases


class PowerTimeline:
    """Every power report the stations sent: (monotonic time, identity, W); a stop reports 0."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, float]] = []

    def watch(self, station) -> None:
        send = station.request

        async def request(payload):
            action = type(payload).__name__
            if action in ("StopTransaction",) or (action == "TransactionEvent" and payload.event_type == "Ended"):
                answer = await send(payload)
                self.events.append((time.monotonic(), station.identity, 0.0))
                return answer
            answer = await send(payload)
            for value in _power_values(payload):
                self.events.append((time.monotonic(), station.identity, value))
            return answer

        station.request = request

    def sums(self) -> list[tuple[float, float]]:
        latest: dict[str, float] = {}
        points = []
        for at, identity, watts in sorted(self.events):
            latest[identity] = watts
            points.append((at, sum(latest.values())))
        return points

    def over_limit_spans(self, limit_w: float) -> list[float]:
        spans, since = [], None
        for at, total in self.sums():
            if total > limit_w and since is None:
                since = at
            elif total <= limit_w and since is not None:
                spans.append(at - since)
                since = None
        if since is not None:
            spans.append(float("inf"))
        return spans

    def latest(self, identity: str) -> float | None:
        values = [w for _, i, w in self.events if i == identity]
        return values[-1] if values else None


def _power_values(payload) -> list[float]:
    meter_values = getattr(payload, "meter_value", None) or []
    found = []
    for meter_value in meter_values:
        for sampled in meter_value.get("sampled_value", []):
            if sampled.get("measurand") == "Power.Active.Import":
                found.append(float(sampled["value"]))
    return found


async def test_ten_stations_share_a_site_limit_and_stay_under_it(platform, api, admin, e2e_network, new_station):
    location = api.create_location(network=e2e_network, name=unique_identity("Depot"))
    site = (await asyncio.to_thread(
        api.post, "/api/site_limits/", json_body={"location": location["id"], "max_power_kw": LIMIT_KW}, expect=201
    )).json()
    assert site["limit_w"] == LIMIT_KW * 1000 and site["active_sessions"] == 0

    versions = ["1.6", "2.0.1"] * 5
    created = [new_station("SC", location=location["id"]) for _ in versions]
    refusing = created[4]  # a 1.6 station
    await asyncio.to_thread(
        api.post, "/api/station_charging_settings/",
        json_body={"station": refusing.identity, "max_current_a": REFUSING_MAX_A}, expect=201,
    )
    timeline = PowerTimeline()
    async with _stations(versions, created) as stations:
        for station in stations:
            timeline.watch(station)
        # Connected stations at a limited location get the balancer's default profile first: a
        # session starts at the minimum current until its own share arrives.
        for index, station in enumerate(stations):
            default = await station.wait_for_request("SetChargingProfile", timeout=15)
            _assert_admission_profile(station, default)
        sessions = []
        for station in stations:
            sessions.append(station.spawn(station.charge(kwh=None)))
            await asyncio.sleep(0.4)
        await asyncio.sleep(6)

        # Steady state: the refusing station at its full 11 kW, the nine others share the rest equally.
        fair_w = (LIMIT_KW * 1000 - REFUSING_MAX_A * 3 * 230) / 9
        for index, station in enumerate(stations):
            expected = STATION_KW * 1000 if index == 4 else fair_w
            assert timeline.latest(station.identity) == pytest.approx(expected, rel=0.01), station.identity
        limited = [s for i, s in enumerate(stations) if i != 4]
        for station in limited:
            profile = [p for a, p in station.received if a == "SetChargingProfile"][-1]
            _assert_balancer_profile(station, profile, fair_w)
        settings = (await asyncio.to_thread(
            api.get, "/api/station_charging_settings/", params={"station__identity": refusing.identity}, expect=200
        )).json()["results"]
        assert settings[0]["accepts_profiles"] is False
        shown = (await asyncio.to_thread(api.get, f"/api/site_limits/{site['id']}/", expect=200)).json()
        assert shown["active_sessions"] == 10
        assert shown["live_power_w"] <= LIMIT_KW * 1000 + 1
        # The location page shows the limit and the live sum the platform measured.
        page = await asyncio.to_thread(admin.page, f"/console/locations/{location['id']}/")
        assert '<dd id="site-limit-value">50.0 kW</dd>' in page
        live = page.split('id="site-live-sum"')[1].split("</dd>")[0]
        assert "10 sessions charging" in live
        assert 45.0 <= float(live.split(">")[1].split(" kW")[0]) <= LIMIT_KW

        # Three sessions end: the others get their power, still under the limit.
        for station in limited[:3]:
            station.connectors[1].stop_reason = "Local"
            station.connectors[1].stop_requested.set()
        await asyncio.sleep(5)
        # Three idle stations now: room is kept for one arrival at its minimum (6 A on three phases).
        raised_w = (LIMIT_KW * 1000 - REFUSING_MAX_A * 3 * 230 - MIN_W) / 6
        for station in limited[3:]:
            assert timeline.latest(station.identity) == pytest.approx(raised_w, rel=0.01), station.identity

        for station in stations:
            station.connectors[1].stop_reason = "Local"
            station.connectors[1].stop_requested.set()
        await asyncio.gather(*sessions)

    spans = timeline.over_limit_spans(LIMIT_KW * 1000)
    assert all(span <= METER_INTERVAL for span in spans), f"over the limit for {max(spans):.2f} s: {spans}"
    assert max(total for _, total in timeline.sums()) > 0


def _assert_admission_profile(station, profile: dict) -> None:
    """The balancer's TxDefaultProfile for the whole station: sessions start at the minimum."""
    if station.ocpp_version == "1.6":
        assert profile["connector_id"] == 0
        cs = profile["cs_charging_profiles"]
        assert cs["charging_profile_id"] == 900_000
        assert "transaction_id" not in cs
        schedule = cs["charging_schedule"]
    else:
        assert profile["evse_id"] == 0
        cs = profile["charging_profile"]
        assert cs["id"] == 900_000
        assert "transaction_id" not in cs
        (schedule,) = cs["charging_schedule"]
    assert cs["stack_level"] == 1
    assert cs["charging_profile_purpose"] == "TxDefaultProfile"
    assert cs["charging_profile_kind"] == "Relative"
    assert schedule["charging_rate_unit"] == "W"
    (period,) = schedule["charging_schedule_period"]
    assert (period["start_period"], float(period["limit"]), period["number_phases"]) == (0, MIN_W, 3)


def _assert_balancer_profile(station, profile: dict, fair_w: float) -> None:
    """The TxProfile the balancer sent, field by field (the library already checked the schema)."""
    running = station.connectors[1].transaction_id
    if station.ocpp_version == "1.6":
        assert profile["connector_id"] == 1
        cs = profile["cs_charging_profiles"]
        assert cs["charging_profile_id"] == 900_001
        assert cs["transaction_id"] == running
        assert cs["stack_level"] == 1
        assert cs["charging_profile_purpose"] == "TxProfile"
        assert cs["charging_profile_kind"] == "Relative"
        schedule = cs["charging_schedule"]
    else:
        assert profile["evse_id"] == 1
        cs = profile["charging_profile"]
        assert cs["id"] == 900_001
        assert cs["transaction_id"] == running
        assert cs["stack_level"] == 1
        assert cs["charging_profile_purpose"] == "TxProfile"
        assert cs["charging_profile_kind"] == "Relative"
        (schedule,) = cs["charging_schedule"]
        assert schedule["id"] == 900_001
    assert schedule["charging_rate_unit"] == "W"
    assert "start_schedule" not in schedule  # Relative: from the transaction's start
    (period,) = schedule["charging_schedule_period"]
    assert period["start_period"] == 0
    assert period["number_phases"] == 3
    assert float(period["limit"]) == pytest.approx(fair_w, abs=0.1)


class _stations:
    def __init__(self, versions, created, refusing: int | None = 4):
        self.versions, self.created, self.refusing = versions, created, refusing
        self.contexts = []

    async def __aenter__(self):
        from simulator import make_station

        self.stations = []
        for index, (version, new) in enumerate(zip(self.versions, self.created)):
            station = make_station(
                version, identity=new.identity, password=new.password, url=new.url,
                power_kw=STATION_KW, meter_interval=METER_INTERVAL,
            )
            station.accept_profiles = index != self.refusing  # this one answers Rejected to every profile
            await station.connect()
            self.stations.append(station)
            await station.boot()
            await station.send_all_status()
        return self.stations

    async def __aexit__(self, *exc):
        for station in self.stations:
            await station.disconnect()
        for station in self.stations:
            # Every request the platform sent passed the OCA schema and was one a station takes.
            assert not station.errors_sent, f"{station.identity} answered with CALLERRORs: {station.errors_sent}"


async def test_the_balancer_sends_through_the_celery_worker_with_redis(redis_platform, new_station):
    """The deployment CI shows: channels-redis and a Celery worker carry the balancer's profiles."""
    redis_platform.ensure_worker()
    api = redis_platform.api
    network = api.ensure_network("E2E")["name"]
    location = api.create_location(network=network, name=unique_identity("Yard"))
    await asyncio.to_thread(api.post, "/api/site_limits/", json_body={"location": location["id"], "max_power_kw": 10}, expect=201)
    created = [new_station("SCR", target=redis_platform, location=location["id"]) for _ in range(2)]
    timeline = PowerTimeline()
    async with _stations(["1.6", "2.0.1"], created, refusing=None) as stations:
        for station in stations:
            timeline.watch(station)
            await station.wait_for_request("SetChargingProfile", timeout=20)  # the default profile
        for station in stations:
            station.spawn(station.charge(kwh=None))
            await asyncio.sleep(0.3)

        def shared() -> bool:
            return all(timeline.latest(s.identity) == pytest.approx(5000, rel=0.01) for s in stations)

        for _ in range(100):
            if shared():
                break
            await asyncio.sleep(0.2)
        assert shared(), [timeline.latest(s.identity) for s in stations]
        for station in stations:
            station.connectors[1].stop_requested.set()
        await asyncio.sleep(1)
