"""Remote actions in the deployment CI shows: Redis, two daphne processes and one Celery worker.

An operator's action enters through the API of either daphne, travels through the Celery worker and
the channel layer to the daphne that holds the station's socket, and the station's answer comes back
to the command, as the operator sees it through the API and the admin.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections.abc import Iterator

import pytest

from tests.conftest import RedisPlatform
from tests.scripted_station import act
from tests.servers import Api, Daphne, RawStation, simulated_station, station_password, unique_identity, wait_for

pytestmark = pytest.mark.e2e

VERSIONS = ["1.6", "2.0.1"]
CALL_TIMEOUT = 3
USERS_SCRIPT = """
from networks.models import Membership, Network, User
from rest_framework.authtoken.models import Token
home, _ = Network.objects.get_or_create(name="Remote")
other, _ = Network.objects.get_or_create(name="Elsewhere")
for name, network, role in [("rita", home, "operator"), ("vic", home, "viewer"), ("olga", other, "operator")]:
    user, _ = User.objects.get_or_create(username=name)
    Membership.objects.get_or_create(user=user, network=network, defaults={"role": role})
    print("TOKEN", name, Token.objects.get_or_create(user=user)[0].key)
"""


class Cluster:
    def __init__(self, platform: RedisPlatform, tokens: dict[str, str]):
        self.platform = platform
        self.a: Daphne = platform.daphnes[0]
        self.b: Daphne = platform.daphnes[1]
        self.tokens = tokens

    def api(self, daphne: Daphne, user: str | None = None) -> Api:
        return Api(daphne.http_url, token=self.tokens[user] if user else self.platform.token)

    def new_station(self, prefix: str, *, network: str = "Remote", **fields) -> tuple[str, str]:
        identity, password = unique_identity(prefix), station_password()
        self.platform.api.create_station(identity=identity, password=password, network=network, **fields)
        return identity, password


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server) -> Iterator[Cluster]:
    platform = RedisPlatform.create(
        tmp_path_factory.mktemp("remote-actions"),
        redis_url=redis_server.url(),
        env={"OCPP_CALL_TIMEOUT": str(CALL_TIMEOUT), "OCPP_AUTH_FAILURES_PER_MINUTE": "10000"},
    )
    try:
        platform.start_daphne()
        platform.start_daphne()
        platform.start_worker()
        out = platform.manage("shell", "-c", USERS_SCRIPT).stdout
        tokens = {m.group(1): m.group(2) for m in re.finditer(r"^TOKEN (\w+) (\w+)$", out, re.M)}
        yield Cluster(platform, tokens)
    finally:
        platform.stop()


async def outcome(api: Api, command_id: int, *, timeout: float = 15, held: bool = True) -> dict:
    """Poll the command the way an API client does until it is final (or, with `held`, held for later)."""

    def final() -> dict | None:
        command = api.get(f"/api/commands/{command_id}/", expect=200).json()
        return command if command["final"] or (held and command["waiting_for_idle"]) else None

    return await asyncio.to_thread(wait_for, final, timeout=timeout, what=f"command {command_id} to finish")


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_action_through_either_daphne_reaches_a_station_on_the_other(version, cluster):
    identity, password = cluster.new_station("RA")
    async with simulated_station(version, identity=identity, password=password, url=cluster.b.ocpp_url, connectors=2) as sim:
        api_a = cluster.api(cluster.a, "rita")
        params = {"evse_id": 2, "connector_id": 1} if version == "2.0.1" else {"connector_id": 2}
        sent = await act(api_a, identity, "unlock_connector", **params)
        assert sent["status"] in ("queued", "sent", "accepted")
        done = await outcome(api_a, sent["id"])
        assert (done["status"], done["result"]) == ("accepted", "Unlocked")
        assert done["answer"] == {"status": "Unlocked"}
        assert done["requested_by"] == "rita" and done["sent_at"] and done["answered_at"]
        await sim.wait_for_request("UnlockConnector")

    # The other way round: the station on daphne A, the operator on daphne B.
    async with simulated_station(version, identity=identity, password=password, url=cluster.a.ocpp_url) as sim:
        api_b = cluster.api(cluster.b, "rita")
        await asyncio.to_thread(
            wait_for, lambda: api_b.station(identity)["connected"], timeout=10, what="station online on daphne A"
        )
        sent = await act(api_b, identity, "trigger_message", requested_message="Heartbeat")
        done = await outcome(api_b, sent["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        await sim.wait_for_request("TriggerMessage")

    listed = (await asyncio.to_thread(api_a.get, f"/api/charging_stations/{identity}/commands/", expect=200)).json()
    assert [c["action"] for c in listed["results"]] == ["trigger_message", "unlock_connector"]


async def test_an_offline_station_fails_at_once(cluster):
    identity, _ = cluster.new_station("OFF")
    api = cluster.api(cluster.a, "rita")
    started = time.monotonic()
    sent = await act(api, identity, "reset", expect=201)
    assert time.monotonic() - started < 2
    assert sent["status"] == "station_offline" and sent["final"] is True
    assert sent["error"] == "station offline"


@contextlib.asynccontextmanager
async def raw_station(cluster: Cluster, prefix: str):
    """A station on daphne B that answers only what the test makes it answer."""
    identity, password = cluster.new_station(prefix)
    raw = await RawStation.open(cluster.b.ocpp_url, identity=identity, password=password)
    try:
        await asyncio.to_thread(wait_for, lambda: cluster.platform.api.station(identity)["connected"], timeout=10, what="online")
        yield identity, raw
    finally:
        await raw.close()


async def test_a_station_that_does_not_answer_times_out(cluster):
    async with raw_station(cluster, "MUTE") as (identity, raw):
        api = cluster.api(cluster.a, "rita")
        sent = await act(api, identity, "clear_cache")
        frame = await raw.recv(timeout=10)
        assert frame[0] == 2 and frame[2] == "ClearCache"  # received, and ignored
        done = await outcome(api, sent["id"], timeout=CALL_TIMEOUT + 15)
        assert done["status"] == "timed_out"
        assert f"within {CALL_TIMEOUT} s" in done["error"]


async def test_a_callerror_fails_the_command_with_the_stations_error(cluster):
    async with raw_station(cluster, "ERR") as (identity, raw):
        api = cluster.api(cluster.a, "rita")
        sent = await act(api, identity, "reset", type="Hard")
        frame = await raw.recv(timeout=10)
        assert frame[2] == "Reset" and frame[3] == {"type": "Hard"}
        await raw.send([4, frame[1], "NotSupported", "Reset is not available on this model", {}])
        done = await outcome(api, sent["id"])
        assert done["status"] == "failed"
        assert done["error"] == "NotSupported: Reset is not available on this model"
        assert done["answer"]["errorCode"] == "NotSupported"


async def test_a_viewer_is_refused_and_another_network_sees_nothing(cluster):
    identity, password = cluster.new_station("ROLE")
    async with simulated_station("1.6", identity=identity, password=password, url=cluster.a.ocpp_url):
        viewer = await act(cluster.api(cluster.a, "vic"), identity, "clear_cache", expect=403)
        assert "role" in viewer["detail"]
        await act(cluster.api(cluster.b, "olga"), identity, "clear_cache", expect=404)
        sent = await act(cluster.api(cluster.a, "rita"), identity, "clear_cache")
        # The viewer reads the command; the other network's operator gets 404 for it.
        await asyncio.to_thread(cluster.api(cluster.a, "vic").get, f"/api/commands/{sent['id']}/", expect=200)
        await asyncio.to_thread(cluster.api(cluster.b, "olga").get, f"/api/commands/{sent['id']}/", expect=404)
        await asyncio.to_thread(
            cluster.api(cluster.b, "olga").get, f"/api/charging_stations/{identity}/commands/", expect=404
        )
        await outcome(cluster.api(cluster.a, "rita"), sent["id"])


async def test_invalid_parameters_come_back_as_field_errors(cluster):
    identity, password = cluster.new_station("BAD")
    async with simulated_station("2.0.1", identity=identity, password=password, url=cluster.a.ocpp_url):
        api = cluster.api(cluster.a, "rita")
        await asyncio.to_thread(
            wait_for, lambda: api.station(identity)["ocpp_version"] == "2.0.1", timeout=10, what="booted"
        )
        errors = await act(api, identity, "unlock_connector", expect=400, connector_id=0, colour="red")
        assert "evse_id" in errors and "connector_id" in errors and "colour" in errors
        await act(api, identity, "self_destruct", expect=404)


def _station_pk(admin, identity: str) -> int:
    page = admin.page(f"/admin/stations/station/?q={identity}")
    return int(re.search(r"/admin/stations/station/(\d+)/change/", page).group(1))


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_configuration_change_updates_the_stored_value_once_accepted(version, cluster):
    identity, password = cluster.new_station("CFG")
    admin = cluster.platform.admin()
    async with simulated_station(version, identity=identity, password=password, url=cluster.b.ocpp_url) as sim:
        pk = await asyncio.to_thread(_station_pk, admin, identity)
        config_url = f"/admin/commands/command/station/{pk}/configuration/"

        def reported() -> str | None:
            page = admin.page(config_url)
            return page if "HeartbeatInterval" in page else None

        page = await asyncio.to_thread(wait_for, reported, timeout=15, what="the configuration read after boot")
        # A read-only entry has no edit link; a writable one does.
        readonly = "NumberOfConnectors" if version == "1.6" else "SecurityProfile"
        row = re.search(rf"<tr class=\"configuration-entry readonly\">\s*<td><code>[^<]*{readonly}", page)
        assert row, page
        if version == "1.6":
            params = {"key": "HeartbeatInterval", "value": "120"}
        else:
            params = {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "120"}
        api = cluster.api(cluster.a, "rita")
        done = await outcome(api, (await act(api, identity, "change_configuration", **params))["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.heartbeat_interval == 120
        page = await asyncio.to_thread(admin.page, config_url)
        assert re.search(r"HeartbeatInterval</code></td>\s*<td><code>120</code>", page), page

        # A read-only entry cannot be edited: the platform refuses it before anything is sent.
        refused_key = {"key": readonly, "value": "9"} if version == "1.6" else {
            "component": "SecurityCtrlr", "variable": readonly, "value": "9"}
        errors = await act(api, identity, "change_configuration", expect=400, **refused_key)
        assert "read-only" in str(errors)


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_embedded_setup_carries_actions_without_redis_or_a_worker(version, platform, api, new_station):
    """`make run`: in-memory channel layer, Celery eager inside daphne. The POST answers at once."""
    station = new_station("EMB")
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url) as sim:
        started = time.monotonic()
        sent = await act(api, station.identity, "trigger_message", requested_message="StatusNotification")
        assert time.monotonic() - started < 2
        assert sent["status"] in ("queued", "sent", "accepted")
        done = await outcome(api, sent["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        await sim.wait_for_request("TriggerMessage")


async def test_the_station_action_command_prints_the_stations_answer(cluster):
    identity, password = cluster.new_station("CLI")
    async with simulated_station("1.6", identity=identity, password=password, url=cluster.b.ocpp_url) as sim:
        result = await asyncio.to_thread(
            cluster.platform.manage, "station_action", identity, "change_availability",
            "--param", "operational_status=Inoperative", "--param", "connector_id=1",
        )
        assert "Accepted" in result.stdout, result.stdout
        assert "Answer: {'status': 'Accepted'}" in result.stdout
        await sim.wait_for_request("ChangeAvailability")
        refused = await asyncio.to_thread(
            cluster.platform.manage, "station_action", identity, "unlock_connector", "--param", "connector_id=0", check=False,
        )
        assert refused.returncode == 1
        assert "connector_id: Ensure this value is greater than or equal to 1." in refused.stderr


async def test_a_worker_that_dies_mid_task_loses_nothing_and_sends_nothing_twice(tmp_path_factory, redis_server):
    # The broker hands an unacknowledged task to another worker after CELERY_VISIBILITY_TIMEOUT seconds.
    platform = RedisPlatform.create(
        tmp_path_factory.mktemp("worker-death"),
        redis_url=redis_server.url(),
        env={"OCPP_CALL_TIMEOUT": "30", "CELERY_VISIBILITY_TIMEOUT": "2"},
    )
    raw = None
    try:
        platform.start_daphne()
        worker = platform.start_worker()
        identity, password = unique_identity("DIE"), station_password()
        platform.api.create_station(identity=identity, password=password, network=platform.api.ensure_network("E2E")["name"])
        raw = await RawStation.open(platform.ocpp_url, identity=identity, password=password)
        await asyncio.to_thread(wait_for, lambda: platform.api.station(identity)["connected"], timeout=10, what="online")
        sent = await act(platform.api, identity, "clear_cache")
        frame = await raw.recv(timeout=10)
        assert frame[2] == "ClearCache"
        # The task now waits for the station's answer: kill its worker outright.
        worker.signal(signal.SIGKILL)
        await asyncio.to_thread(wait_for, lambda: not worker.is_running(), timeout=10, what="the worker gone")
        await asyncio.sleep(2.5)
        replacement = await asyncio.to_thread(platform.start_worker)
        await asyncio.to_thread(replacement.wait_for_output, r"command_execute\[[^\]]+\] received", timeout=30)
        with pytest.raises(asyncio.TimeoutError):
            await raw.recv(timeout=1.5)  # the redelivered task does not send the command again
        await raw.send([3, frame[1], {"status": "Accepted"}])
        done = await outcome(platform.api, sent["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        # ... and it ends once the answer is recorded.
        await asyncio.to_thread(replacement.wait_for_output, r"command_execute\[[^\]]+\] succeeded", timeout=15)
    finally:
        if raw is not None:
            await raw.close()
        platform.stop()


async def test_an_action_sent_from_the_admin_shows_the_stations_answer(cluster):
    identity, password = cluster.new_station("ADM")
    admin = cluster.platform.admin()  # logged in on daphne A
    async with simulated_station("2.0.1", identity=identity, password=password, url=cluster.b.ocpp_url) as sim:
        pk = await asyncio.to_thread(_station_pk, admin, identity)
        station_page = await asyncio.to_thread(admin.page, f"/admin/stations/station/{pk}/change/")
        assert f'href="/admin/commands/command/station/{pk}/actions/"' in station_page
        response = await asyncio.to_thread(
            admin.submit, f"/admin/commands/command/station/{pk}/actions/trigger_message/",
            {"requested_message": "Heartbeat"}, expect=200,
        )
        assert re.search(r"/admin/commands/command/\d+/change/$", response.url), response.url

        def status_shown() -> str | None:
            page = admin.page(response.url)
            status = re.search(r'field-status.*?<div class="readonly">([^<]*)</div>', page, re.S).group(1)
            return status if status not in ("Queued", "Sent") else None

        assert await asyncio.to_thread(wait_for, status_shown, timeout=15, what="the answer on the command page") == "Accepted"
        await sim.wait_for_request("TriggerMessage")
        station_page = await asyncio.to_thread(admin.page, f"/admin/stations/station/{pk}/change/")
        assert "Trigger message" in station_page and "requested_message=Heartbeat" in station_page


async def test_a_1_6_reset_on_idle_waits_until_the_session_has_ended(cluster):
    identity, password = cluster.new_station("IDLE")
    api = cluster.api(cluster.a, "rita")
    async with simulated_station("1.6", identity=identity, password=password, url=cluster.b.ocpp_url, meter_interval=0.5) as sim:
        charging = asyncio.create_task(sim.charge(kwh=2, meter_values=8))
        await asyncio.to_thread(
            wait_for,
            lambda: api.get("/api/sessions/", params={"station": identity, "status": "active"}, expect=200).json()["results"],
            timeout=10,
            what="the session to show as active",
        )
        sent = await act(api, identity, "reset", when="on_idle", type="Soft")
        held = await outcome(api, sent["id"])
        assert (held["status"], held["waiting_for_idle"]) == ("queued", True)
        assert not charging.done() and "Reset" not in [action for action, _ in sim.received]
        await charging  # StopTransaction: the session ends, the reset goes out
        done = await outcome(api, sent["id"], held=False)
        assert (done["status"], done["result"], done["waiting_for_idle"]) == ("accepted", "Accepted", False)
        assert await sim.wait_for_request("Reset") == {"type": "Soft"}


async def test_the_embedded_setup_does_not_leave_an_untaken_command_queued(make_platform):
    """A stale channel_name (daphne died without clearing it): nobody takes the command; it ends as offline."""
    platform = make_platform(env={"OCPP_CALL_TIMEOUT": "1"})
    identity, password = unique_identity("STALE"), station_password()
    platform.api.create_station(identity=identity, password=password, network=platform.api.ensure_network("E2E")["name"])
    platform.manage("shell", "-c", f"from stations.models import Station; Station.objects.filter(identity='{identity}').update(channel_name='specific.gone!nobody', connected=True)")
    sent = await act(platform.api, identity, "clear_cache")
    assert sent["status"] == "queued"
    done = await outcome(platform.api, sent["id"], timeout=20)
    assert done["status"] == "station_offline"
    assert "no gateway took the command" in done["error"]
