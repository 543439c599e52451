"""Authorization (OCPP 2.0.1 blocks C and D, OCTT 1.6 local list cases) against the live server.

Real stations (the simulator's, on the `ocpp` library's client, which validates every CALL it
receives and every CALLRESULT it gets against the OCA schemas) connect to the session's daphne.
Each test follows its test case's steps and asserts the CSMS's messages as they were on the wire.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201, call_result as result201

from simulator.v16 import Station16
from simulator.v201 import Station201
from tests.servers import wait_for
from tests.wire_station import WireMixin

pytestmark = pytest.mark.e2e


# --- Stations that keep the wire frames and answer the local list requests as told ---------------


class ListAnswers:
    """Answers the local list requests as told."""

    list_answer = "Accepted"
    version_answer = 0


class ListStation16(ListAnswers, WireMixin, Station16):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keep_wire()

    @on("SendLocalList")
    def on_send_local_list(self, list_version: int, update_type: str, local_authorization_list=None, **kwargs):
        self.record("SendLocalList", {"list_version": list_version})
        return result16.SendLocalList(status=self.list_answer)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kwargs):
        self.record("GetLocalListVersion", {})
        return result16.GetLocalListVersion(list_version=self.version_answer)


class ListStation201(ListAnswers, WireMixin, Station201):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keep_wire()

    @on("SendLocalList")
    def on_send_local_list(self, version_number: int, update_type: str, local_authorization_list=None, **kwargs):
        self.record("SendLocalList", {"version_number": version_number})
        return result201.SendLocalList(status=self.list_answer)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kwargs):
        self.record("GetLocalListVersion", {})
        return result201.GetLocalListVersion(version_number=self.version_answer)


STATIONS = {"1.6": ListStation16, "2.0.1": ListStation201}


@contextlib.asynccontextmanager
async def connected(version: str, station, configure=None, **kwargs):
    sim = STATIONS[version](identity=station.identity, password=station.password, url=station.url, **kwargs)
    if configure is not None:
        configure(sim)
    await sim.connect()
    try:
        await sim.boot()
        await sim.send_all_status()
        yield sim
    finally:
        await sim.disconnect()
    assert not sim.errors_sent, f"the station answered the CSMS with CALLERRORs: {sim.errors_sent}"


# --- The operator's side, through the API --------------------------------------------------------


class Allow:
    """One network of its own per test: its allow-list and groups, made through the API."""

    def __init__(self, api, new_station):
        self.api = api
        self.network = api.ensure_network(f"AUTH-{secrets.token_hex(3)}")["name"]
        self._new_station = new_station

    def station(self, prefix: str):
        return self._new_station(prefix, network=self.network)

    def group(self, token: str, *, master_pass: bool = False, token_type: str = "Central") -> dict:
        body = {"network": self.network, "token": token, "master_pass": master_pass, "token_type": token_type}
        return self.api.post("/api/id_token_groups/", json_body=body, expect=201).json()

    def token(self, token: str, **fields) -> dict:
        return self.api.post("/api/id_tokens/", json_body={"network": self.network, "token": token, **fields}, expect=201).json()

    async def act(self, identity: str, action: str, expect=(201, 202), **parameters) -> dict:
        response = await asyncio.to_thread(
            self.api.post, f"/api/charging_stations/{identity}/actions/{action}/", json_body=parameters, expect=expect
        )
        return response.json()

    async def finished(self, command: dict) -> dict:
        def final():
            row = self.api.get(f"/api/commands/{command['id']}/", expect=200).json()
            return row if row["final"] else None

        return await asyncio.to_thread(wait_for, final, timeout=15, what=f"command {command['id']} to finish")

    def held(self, identity: str) -> dict | None:
        rows = self.api.get("/api/local_lists/stations/", params={"network": self.network}, expect=200).json()
        return next((r for r in rows if r["station"] == identity), None)


@pytest.fixture
def allow(api, new_station) -> Allow:
    return Allow(api, new_station)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- 2.0.1 C: groups and the master pass ----------------------------------------------------------


async def authorize(sim, token: str) -> dict:
    await sim.request(call201.Authorize(id_token={"id_token": token, "type": "ISO14443"}))
    return sim.last_result()


async def transaction_event(sim, *, event_type: str, trigger: str, transaction_id: str, seq: int, token: str | None, evse: int = 1, stopped_reason: str | None = None) -> dict:
    info: dict[str, Any] = {"transaction_id": transaction_id}
    if stopped_reason:
        info["stopped_reason"] = stopped_reason
    await sim.request(
        call201.TransactionEvent(
            event_type=event_type, timestamp=now(), trigger_reason=trigger, seq_no=seq, transaction_info=info,
            evse={"id": evse, "connector_id": 1} if event_type == "Started" else None,
            id_token={"id_token": token, "type": "ISO14443"} if token else None,
        )
    )
    return sim.last_result()


GROUP = {"idToken": "FAMILY-7", "type": "Central"}


async def test_TC_C_39_authorization_by_group_id_success(allow):
    allow.group("FAMILY-7")
    allow.token("TOKEN-1", group="FAMILY-7")
    allow.token("TOKEN-2", group="FAMILY-7")
    async with connected("2.0.1", allow.station("C39")) as sim:
        # Steps 1-2: the second token is authorized and its group named.
        assert await authorize(sim, "TOKEN-2") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        # Steps 3-4: the transaction starts with the first token (EVConnectedPreSession: Started).
        started = await transaction_event(sim, event_type="Started", trigger="Authorized", transaction_id="TX-C39", seq=0, token="TOKEN-1")
        assert started == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        # Steps 6-9: the second token stops it: same group.
        assert await authorize(sim, "TOKEN-2") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        stopped = await transaction_event(sim, event_type="Updated", trigger="StopAuthorized", transaction_id="TX-C39", seq=1, token="TOKEN-2")
        assert stopped == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}


async def test_TC_C_40_authorization_by_group_id_with_local_authorization_list(allow):
    allow.group("FAMILY-7")
    allow.token("TOKEN-1", group="FAMILY-7")
    allow.token("TOKEN-2", group="FAMILY-7")
    station = allow.station("C40")
    async with connected("2.0.1", station) as sim:
        # The station's local list carries the group of both tokens (C09 with LA-0).
        done = await allow.finished(await allow.act(station.identity, "send_local_list", update_type="Full"))
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        (sent,) = sim.calls("SendLocalList")
        assert [e["idTokenInfo"]["groupIdToken"] for e in sent["localAuthorizationList"]] == [GROUP, GROUP]
        # The station authorized the first token locally: no Authorize, straight to the transaction.
        started = await transaction_event(sim, event_type="Started", trigger="Authorized", transaction_id="TX-C40", seq=0, token="TOKEN-1")
        assert started == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        stopped = await transaction_event(sim, event_type="Updated", trigger="StopAuthorized", transaction_id="TX-C40", seq=1, token="TOKEN-2")
        assert stopped == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}


async def test_TC_C_43_authorization_by_group_id_invalid_status_with_local_authorization_list(allow):
    allow.group("FAMILY-7")
    allow.token("TOKEN-1", group="FAMILY-7")
    allow.token("TOKEN-2", group="FAMILY-7")
    async with connected("2.0.1", allow.station("C43")) as sim:
        started = await transaction_event(sim, event_type="Started", trigger="Authorized", transaction_id="TX-C43", seq=0, token="TOKEN-1")
        assert started == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        # The second token is not in the station's list (its status there is Invalid): the station asks.
        assert await authorize(sim, "TOKEN-2") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        stopped = await transaction_event(sim, event_type="Updated", trigger="StopAuthorized", transaction_id="TX-C43", seq=1, token="TOKEN-2")
        assert stopped == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}


MASTER = {"idToken": "POLICE", "type": "Central"}


def master_pass_network(allow: Allow) -> None:
    allow.group("POLICE", master_pass=True)
    allow.group("FAMILY-7")
    allow.token("OFFICER-1", group="POLICE")
    allow.token("TOKEN-1", group="FAMILY-7")
    allow.token("TOKEN-2", group="FAMILY-7")


async def start_two(sim, prefix: str) -> None:
    for evse, token in [(1, "TOKEN-1"), (2, "TOKEN-2")]:
        started = await transaction_event(sim, event_type="Started", trigger="Authorized", transaction_id=f"{prefix}-{evse}", seq=0, token=token, evse=evse)
        assert started["idTokenInfo"]["status"] == "Accepted"


async def test_TC_C_47_stop_transaction_with_a_master_pass_with_ui_all_transactions(allow):
    master_pass_network(allow)
    async with connected("2.0.1", allow.station("C47"), connectors=2) as sim:
        await start_two(sim, "TX-C47")
        assert await authorize(sim, "OFFICER-1") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": MASTER}}
        for evse in (1, 2):
            ended = await transaction_event(
                sim, event_type="Ended", trigger="StopAuthorized", transaction_id=f"TX-C47-{evse}", seq=1, token="OFFICER-1", stopped_reason="MasterPass"
            )
            assert ended == {"idTokenInfo": {"status": "Accepted", "groupIdToken": MASTER}}
    sessions = allow.api.get("/api/sessions/", params={"station": sim.identity}, expect=200).json()["results"]
    assert sorted((s["transaction_id"], s["status"], s["stop_reason"]) for s in sessions) == [
        ("TX-C47-1", "completed", "MasterPass"), ("TX-C47-2", "completed", "MasterPass")
    ]


async def test_TC_C_48_stop_transaction_with_a_master_pass_with_ui_specific_transactions(allow):
    master_pass_network(allow)
    async with connected("2.0.1", allow.station("C48"), connectors=2) as sim:
        await start_two(sim, "TX-C48")
        # The document's step 1 names the valid token while its validation expects the master pass
        # group: the master pass token presented is what makes that group the answer.
        assert await authorize(sim, "OFFICER-1") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": MASTER}}
        ended = await transaction_event(
            sim, event_type="Ended", trigger="StopAuthorized", transaction_id="TX-C48-2", seq=1, token="OFFICER-1", stopped_reason="MasterPass"
        )
        assert ended == {"idTokenInfo": {"status": "Accepted", "groupIdToken": MASTER}}


async def test_TC_C_49_stop_transaction_with_a_master_pass_without_ui(allow):
    master_pass_network(allow)
    async with connected("2.0.1", allow.station("C49"), connectors=2) as sim:
        await start_two(sim, "TX-C49")
        assert await authorize(sim, "OFFICER-1") == {"idTokenInfo": {"status": "Accepted", "groupIdToken": MASTER}}
        # Without a UI the station ends every transaction, each with the token that started it.
        for evse, token in [(1, "TOKEN-1"), (2, "TOKEN-2")]:
            ended = await transaction_event(
                sim, event_type="Ended", trigger="StopAuthorized", transaction_id=f"TX-C49-{evse}", seq=1, token=token, stopped_reason="MasterPass"
            )
            assert ended == {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}


async def test_a_master_pass_never_starts_a_transaction_in_either_version(allow):
    master_pass_network(allow)
    async with connected("2.0.1", allow.station("MP2")) as sim:
        started = await transaction_event(sim, event_type="Started", trigger="Authorized", transaction_id="TX-MP", seq=0, token="OFFICER-1")
        assert started == {"idTokenInfo": {"status": "Invalid", "groupIdToken": MASTER}}
    async with connected("1.6", allow.station("MP1")) as sim:
        from ocpp.v16 import call as call16

        await sim.request(call16.Authorize(id_tag="OFFICER-1"))
        assert sim.last_result() == {"idTagInfo": {"status": "Accepted", "parentIdTag": "POLICE"}}
        started = await sim.request(call16.StartTransaction(connector_id=1, id_tag="OFFICER-1", meter_start=0, timestamp=now()))
        assert sim.last_result() == {"transactionId": started.transaction_id, "idTagInfo": {"status": "Invalid", "parentIdTag": "POLICE"}}
        await sim.request(call16.StopTransaction(meter_stop=10, timestamp=now(), transaction_id=started.transaction_id, id_tag="TOKEN-1"))
        assert sim.last_result() == {"idTagInfo": {"status": "Accepted", "parentIdTag": "FAMILY-7"}}


# --- 2.0.1 D: the local authorization list ----------------------------------------------------------


def entry201(token: str, status: str = "Accepted", group: dict | None = None) -> dict:
    info: dict[str, Any] = {"status": status}
    if group:
        info["groupIdToken"] = group
    return {"idToken": {"idToken": token, "type": "ISO14443"}, "idTokenInfo": info}


async def send(allow: Allow, identity: str, update_type: str) -> dict:
    return await allow.finished(await allow.act(identity, "send_local_list", update_type=update_type))


async def test_TC_D_01_send_local_authorization_list_full(allow):
    allow.group("FAMILY-7")
    allow.token("TOKEN-B", group="FAMILY-7")
    allow.token("token-a")
    allow.token("STOLEN", status="Blocked")
    station = allow.station("D01")
    async with connected("2.0.1", station) as sim:
        done = await send(allow, station.identity, "Full")
        assert (done["status"], done["result"], done["answer"]) == ("accepted", "Accepted", {"status": "Accepted"})
        (sent,) = sim.calls("SendLocalList")
        assert sent == {
            "versionNumber": 1,
            "updateType": "Full",
            "localAuthorizationList": [entry201("STOLEN", "Blocked"), entry201("token-a"), entry201("TOKEN-B", group=GROUP)],
        }
    assert allow.held(station.identity)["version"] == 1


async def test_TC_D_02_send_local_authorization_list_differential_update(allow):
    allow.token("TOKEN-A")
    station = allow.station("D02")
    async with connected("2.0.1", station) as sim:
        await send(allow, station.identity, "Full")
        allow.token("TOKEN-NEW")
        done = await send(allow, station.identity, "Differential")
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.calls("SendLocalList")[-1] == {
            "versionNumber": 2,
            "updateType": "Differential",
            "localAuthorizationList": [entry201("TOKEN-NEW")],
        }
    assert allow.held(station.identity)["version"] == 2


async def test_TC_D_03_send_local_authorization_list_differential_remove(allow):
    allow.token("TOKEN-A")
    gone = allow.token("TOKEN-GONE")
    station = allow.station("D03")
    async with connected("2.0.1", station) as sim:
        await send(allow, station.identity, "Full")
        allow.api.delete(f"/api/id_tokens/{gone['id']}/", expect=204)
        done = await send(allow, station.identity, "Differential")
        assert done["result"] == "Accepted"
        # D01.FR.17: a token to remove goes without idTokenInfo.
        assert sim.calls("SendLocalList")[-1] == {
            "versionNumber": 2,
            "updateType": "Differential",
            "localAuthorizationList": [{"idToken": {"idToken": "TOKEN-GONE", "type": "ISO14443"}}],
        }


async def test_TC_D_04_send_local_authorization_list_full_with_empty_list(allow):
    station = allow.station("D04")
    async with connected("2.0.1", station) as sim:
        done = await send(allow, station.identity, "Full")
        assert done["result"] == "Accepted"
        # An empty list clears the station's: the field is left out (the schema wants at least one item).
        assert sim.calls("SendLocalList") == [{"versionNumber": 1, "updateType": "Full"}]


@pytest.mark.parametrize(("case", "held", "shown"), [("TC_D_08", 1, "version 1"), ("TC_D_09", 0, "none installed")])
async def test_TC_D_08_and_TC_D_09_get_local_list_version(case, held, shown, allow, admin):
    station = allow.station(case.replace("_", ""))
    async with connected("2.0.1", station) as sim:
        sim.version_answer = held
        done = await allow.finished(await allow.act(station.identity, "get_local_list_version"))
        assert sim.calls("GetLocalListVersion") == [{}]
        assert (done["status"], done["result"], done["answer"]) == ("accepted", f"Version {held}", {"versionNumber": held})
    assert allow.held(station.identity)["version"] == held
    page = await asyncio.to_thread(admin.page, f"/console/stations/{station.identity}/")
    assert f'<dd id="local-list-version">{shown}</dd>' in page


# --- 1.6: OCTT local list cases ---------------------------------------------------------------------


async def test_TC_042_1_get_local_list_version_not_supported(allow, admin):
    station = allow.station("T0421")
    async with connected("1.6", station) as sim:
        sim.version_answer = -1
        done = await allow.finished(await allow.act(station.identity, "get_local_list_version"))
        assert sim.calls("GetLocalListVersion") == [{}]
        assert (done["status"], done["result"], done["answer"]) == ("rejected", "NotSupported", {"listVersion": -1})
        assert allow.held(station.identity)["supported"] is False
        page = await asyncio.to_thread(admin.page, f"/console/stations/{station.identity}/")
        assert '<dd id="local-list-version">not supported by the station</dd>' in page
        # Sending a list now is refused with the reason, nothing goes to the station.
        refused = await allow.act(station.identity, "send_local_list", expect=400, update_type="Full")
        assert "does not support a local authorization list" in json.dumps(refused)
        assert sim.calls("SendLocalList") == []


async def test_TC_042_2_get_local_list_version_empty(allow):
    station = allow.station("T0422")
    async with connected("1.6", station) as sim:
        done = await allow.finished(await allow.act(station.identity, "get_local_list_version"))
        assert sim.calls("GetLocalListVersion") == [{}]
        assert (done["status"], done["result"]) == ("accepted", "Version 0")
    assert (allow.held(station.identity)["version"], allow.held(station.identity)["supported"]) == (0, True)


@pytest.mark.parametrize(("case", "answer"), [("TC_043_1", "NotSupported"), ("TC_043_3", "Failed")])
async def test_TC_043_1_and_TC_043_3_send_local_authorization_list_refused(case, answer, allow):
    allow.token("TAG-1")
    station = allow.station(case.replace("_", ""))
    async with connected("1.6", station) as sim:
        sim.list_answer = answer
        done = await send(allow, station.identity, "Full")
        assert sim.calls("SendLocalList") == [
            {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "TAG-1", "idTagInfo": {"status": "Accepted"}}]}
        ]
        assert (done["status"], done["result"]) == ("rejected", answer)
    held = allow.held(station.identity)
    # The station holds no list the platform sent: a Differential next would be built on nothing.
    assert (held["version"], held["supported"], held["last_result"]) == (None, False if answer == "NotSupported" else None, answer)


async def test_TC_043_4_send_local_authorization_list_full(allow):
    allow.group("PARENT-1")
    allow.token("TAG-1", group="PARENT-1", expires_at="2030-01-01T00:00:00Z")
    allow.token("TAG-2", status="Blocked")
    station = allow.station("T0434")
    async with connected("1.6", station) as sim:
        done = await send(allow, station.identity, "Full")
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.calls("SendLocalList") == [
            {
                "listVersion": 1,
                "updateType": "Full",
                "localAuthorizationList": [
                    {"idTag": "TAG-1", "idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00Z", "parentIdTag": "PARENT-1"}},
                    {"idTag": "TAG-2", "idTagInfo": {"status": "Blocked"}},
                ],
            }
        ]
    assert allow.held(station.identity)["version"] == 1


async def test_TC_043_5_send_local_authorization_list_differential(allow):
    allow.token("TAG-1")
    gone = allow.token("TAG-2")
    station = allow.station("T0435")
    async with connected("1.6", station) as sim:
        await send(allow, station.identity, "Full")
        allow.api.patch(f"/api/id_tokens/{allow.token('TAG-3')['id']}/", json_body={"status": "Blocked"}, expect=200)
        allow.api.delete(f"/api/id_tokens/{gone['id']}/", expect=204)
        done = await send(allow, station.identity, "Differential")
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        assert sim.calls("SendLocalList")[-1] == {
            "listVersion": 2,
            "updateType": "Differential",
            "localAuthorizationList": [{"idTag": "TAG-2"}, {"idTag": "TAG-3", "idTagInfo": {"status": "Blocked"}}],
        }
    assert allow.held(station.identity)["version"] == 2


# --- A network at once, and lists longer than one message ----------------------------------------


async def test_a_network_send_reaches_every_station_each_with_its_own_update(allow):
    allow.token("TAG-1")
    first, second = allow.station("NET16"), allow.station("NET201")
    async with connected("1.6", first) as sim16, connected("2.0.1", second) as sim201:
        outcomes = allow.api.post(
            "/api/local_lists/send/", json_body={"network": allow.network, "update_type": "Full"}, expect=202
        ).json()
        assert sorted(o["station"] for o in outcomes) == sorted([first.identity, second.identity])
        assert all(o["command"] and not o["error"] for o in outcomes)
        for outcome in outcomes:
            await allow.finished({"id": outcome["command"]})
        assert sim16.calls("SendLocalList") == [
            {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "TAG-1", "idTagInfo": {"status": "Accepted"}}]}
        ]
        assert sim201.calls("SendLocalList") == [{"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [entry201("TAG-1")]}]
    assert {r["station"]: r["version"] for r in allow.api.get("/api/local_lists/stations/", params={"network": allow.network}).json()} == {
        first.identity: 1, second.identity: 1
    }


async def test_a_list_longer_than_send_local_list_max_length_goes_in_parts(allow, admin):
    for n in range(1, 6):
        allow.token(f"TAG-{n}")
    station = allow.station("CHUNK")
    async with connected("1.6", station, configure=lambda sim: setattr(sim.config["SendLocalListMaxLength"], "value", "2")) as sim:
        # The platform reads the configuration after boot: the limit is known once it is stored.
        await sim.wait_for_request("GetConfiguration")
        await asyncio.to_thread(
            wait_for,
            lambda: "SendLocalListMaxLength" in admin.page(f"/console/stations/{station.identity}/maintenance/"),
            timeout=10,
            what="the configuration read after boot",
        )
        done = await send(allow, station.identity, "Full")
        assert done["result"] == "Accepted"

        def all_parts():
            return len(sim.calls("SendLocalList")) == 3 and allow.held(station.identity)["version"] == 4

        await asyncio.to_thread(wait_for, all_parts, timeout=15, what="the three parts")
        # Each part has a version of its own above the one before (1.6 VersionMismatch otherwise);
        # version 1 is the whole list, frozen when the send was asked for.
        assert [(c["listVersion"], c["updateType"], [e["idTag"] for e in c["localAuthorizationList"]]) for c in sim.calls("SendLocalList")] == [
            (2, "Full", ["TAG-1", "TAG-2"]),
            (3, "Differential", ["TAG-3", "TAG-4"]),
            (4, "Differential", ["TAG-5"]),
        ]


async def test_a_2_0_1_list_longer_than_items_per_message_goes_in_parts(allow, admin):
    from simulator.v201 import Variable

    def limit(sim) -> None:
        variable = Variable("LocalAuthListCtrlr", "ItemsPerMessage", "2", mutability="ReadOnly", data_type="integer")
        sim.variables[variable.key] = variable

    for n in range(1, 4):
        allow.token(f"TOKEN-{n}")
    station = allow.station("CHUNK2")
    async with connected("2.0.1", station, configure=limit) as sim:
        # The base report read after boot carries LocalAuthListCtrlr.ItemsPerMessage.
        await asyncio.to_thread(
            wait_for,
            lambda: "LocalAuthListCtrlr" in admin.page(f"/console/stations/{station.identity}/maintenance/"),
            timeout=15,
            what="the device model read after boot",
        )
        done = await send(allow, station.identity, "Full")
        assert done["result"] == "Accepted"
        await asyncio.to_thread(
            wait_for, lambda: allow.held(station.identity)["version"] == 3, timeout=15, what="both parts accepted"
        )
        assert sim.calls("SendLocalList") == [
            {"versionNumber": 2, "updateType": "Full", "localAuthorizationList": [entry201("TOKEN-1"), entry201("TOKEN-2")]},
            {"versionNumber": 3, "updateType": "Differential", "localAuthorizationList": [entry201("TOKEN-3")]},
        ]
