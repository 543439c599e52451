"""Fuzz (issue 12): station-initiated frames generated from the OCA JSON schemas the `ocpp` library
ships, with extreme values, sent over real websockets to the live platform while a neighbour heartbeats.

A 1.6 and a 2.0.1 station each send one generated CALL at a time (both at once), paced under
OCPP_RATE_LIMIT. The payloads follow the request schema of the action mostly, with values chosen to
hurt: integers of 2**31, 2**63, 20 digits; floats of 1e308, NaN, Infinity, 1e400; number-like strings
("NaN", "1e308", "١٢٣"); timestamps of year 1, 9999, Feb 30, leap seconds, odd offsets; strings at and
past their maxLength and lone surrogates; deep nesting in customData and DataTransfer; hundreds of
repeated elements; and one frame in ten broken off the schema (a wrong type, a missing field). Two frames
in three that carry a transaction id name one the platform took from this station before, so extreme
readings reach real sessions, their energy and their pages.

It fails on: an InternalError (or GenericError) CALLERROR, a CALLRESULT that fails its response schema,
no answer, a fuzzed station's socket closed, a traceback or ERROR line or a 5xx in the server's
output, a page of the fuzzed stations (console, admin, API) answering 5xx, or a neighbour whose heartbeat
round trip or message-log rows stall.

The run is bounded: FUZZ_SECONDS (default 40) of sending; set it higher to fuzz longer, e.g.
    FUZZ_SECONDS=600 .venv/bin/python -m pytest -q -p no:randomly tests/test_gateway_fuzz.py
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import ocpp
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from ocpp.messages import CallResult, validate_payload
from websockets.exceptions import ConnectionClosed

from tests.neighbours import neighbour_station
from tests.raw_station import RawStation

pytestmark = pytest.mark.e2e

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "40"))
# Examples per Hypothesis run; the server's log and the stations' pages are checked between runs.
EXAMPLES_PER_ROUND = 10
# Rounds between two looks at the fuzzed stations' pages (and at the end).
PAGES_EVERY = 5
# Each station stays under the platform's default rate (20 frames/s): being closed for flooding is
# the rate limiter's test, not this one's.
FRAMES_PER_SECOND = 12
# Frames over OCPP_MAX_FRAME_BYTES (64 KiB) are closed with 1009 on purpose (the transport tests).
MAX_FRAME_BYTES = 60_000
ANSWER_TIMEOUT = 20.0

SCHEMA_DIR = Path(ocpp.__file__).parent
STATION_ACTIONS: dict[str, list[str]] = {
    "1.6": [
        "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
        "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction",
        # 1.6 Security Whitepaper
        "SecurityEventNotification", "SignCertificate", "LogStatusNotification", "SignedFirmwareStatusNotification",
    ],
    "2.0.1": [
        "Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
        "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
        "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
        "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
        "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
    ],
}
# Where the platform computes and stores: sent three times as often.
HANDLED = {
    "MeterValues", "StatusNotification", "StartTransaction", "StopTransaction", "TransactionEvent", "Authorize",
    "BootNotification", "FirmwareStatusNotification", "NotifyReport", "NotifyEvent", "SecurityEventNotification",
    "SignCertificate", "DataTransfer",
}

EXTREME_INTS = [
    0, -1, 1, 255, 256, 65_536, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63),
    -(2**63) - 1, 2**64, 10**19 - 1, 10**19, -(10**19), 10**25,
]
EXTREME_FLOATS = [0.0, -0.0, 1e308, -1e308, 1.7976931348623157e308, 5e-324, 1e-300, 0.1, 123456789012345.67, 1e15]
# Numbers json.dumps cannot write: substituted into the text (RFC 8259 does not allow the first three;
# Python's json reads the rest as inf, a 401-digit int and 0.0).
RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400, "1e-400"]
NUMBER_LIKE = [
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e308", "-1e308", "1e309", "1e-400", "0x10", "1_000", " 5 ", "",
    "-0", "9" * 60, "1" + "0" * 400, "١٢٣", "½", "5e", "1e+", "--1", "+5", "0.000000001", "123456789012345678901234567890",
]
ODD_STRINGS = [
    "\ud800", "a\x00b", "\u202e", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Robert'); DROP TABLE stations;--", "<script>alert(1)</script>",
    "{{7*7}}", "%s%s%n", "../../etc/passwd", "\r\n\r\n", "null", "true", " ",
]
ODD_TIMESTAMPS = [
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999-14:00", "0001-01-01T00:00:00+14:00",
    "1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2016-12-31T23:59:60Z",
    "2026-13-01T00:00:00Z", "2026-06-01T24:00:00Z", "2026-06-01T12:00:00", "2026-06-01T12:00:00+25:00",
    "2026-06-01T12:00:00.123456789012Z", "2026-06-01", "12:00:00Z", "2026-06-01T12:00:00ZZ", "NaN", "", "now",
    "2026-06-01T12:00:00+00:00" + " " * 30, "+275760-09-13T00:00:00Z", "-000001-01-01T00:00:00Z",
]


def weighted(*choices: tuple[st.SearchStrategy, int]) -> st.SearchStrategy:
    return st.sampled_from([s for s, weight in choices for _ in range(weight)]).flatmap(lambda s: s)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def recent_timestamps() -> st.SearchStrategy[str]:
    """Around now: what a station with a good clock sends (inside every window the platform keeps)."""
    return st.integers(-3 * 86400, 600).map(lambda s: iso(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=s)))


def any_timestamps() -> st.SearchStrategy[str]:
    offsets = st.sampled_from([UTC] + [timezone(timedelta(hours=h, minutes=m)) for h, m in ((14, 0), (-12, 0), (5, 45), (-3, -30))])
    return st.builds(lambda at, tz: at.replace(tzinfo=tz).isoformat(), st.datetimes(), offsets)


# JSON of any shape, and nesting to either side of the platform's 32 levels.
def any_json() -> st.SearchStrategy:
    leaves = st.none() | st.booleans() | st.sampled_from(EXTREME_INTS) | st.sampled_from(EXTREME_FLOATS) | st.text(max_size=8)
    shapes = st.recursive(leaves, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=12)
    return weighted((shapes, 3), (st.integers(2, 60).flatmap(nested), 1))


def nested(depth: int) -> st.SearchStrategy:
    def build(as_object: bool) -> Any:
        node: Any = 1
        for _ in range(depth):
            node = {"a": node} if as_object else [node]
        return node

    return st.booleans().map(build)


@dataclass
class Raw:
    """A number json.dumps cannot write, substituted into the frame's text."""

    text: str


class SchemaStrategies:
    """Hypothesis strategies for one request schema: mostly valid, with extreme values throughout."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema

    def resolve(self, ref: str) -> dict:
        node: Any = self.schema
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def build(self, node: dict) -> st.SearchStrategy:
        if "$ref" in node:
            return self.build(self.resolve(node["$ref"]))
        if "enum" in node:
            return weighted((st.sampled_from(node["enum"]), 9), (st.sampled_from(ODD_STRINGS + ["", "x" * 300]), 1))
        kind = node.get("type")
        if kind == "integer":
            low, high = node.get("minimum", -(2**31)), node.get("maximum", 2**31 - 1)
            # What stations send (connector 1, a meter start of a few kWh) lets frames reach the services.
            usual = st.integers(max(low, 0), min(high, 10_000)) if max(low, 0) <= min(high, 10_000) else st.integers(low, high)
            return weighted(
                (usual, 4), (st.integers(low, high), 1), (st.sampled_from(EXTREME_INTS), 2), (st.sampled_from(RAW_NUMBERS).map(Raw), 1)
            )
        if kind == "number":
            low, high = node.get("minimum"), node.get("maximum")
            valid = st.floats(low, high, allow_nan=False, allow_infinity=False) | st.integers(
                int(low) if low is not None else -(10**6), int(high) if high is not None else 10**6
            )
            extreme = st.sampled_from(EXTREME_FLOATS) | st.sampled_from(EXTREME_INTS) | st.sampled_from(RAW_NUMBERS).map(Raw)
            return weighted((valid, 3), (extreme, 2))
        if kind == "string":
            return self.string(node)
        if kind == "boolean":
            return weighted((st.booleans(), 9), (st.sampled_from(["true", 1, None]), 1))
        if kind == "array":
            return self.array(node)
        if kind == "object" or "properties" in node:
            return self.object(node)
        return any_json()  # 2.0.1 DataTransfer.data: anyType

    def string(self, node: dict) -> st.SearchStrategy:
        if node.get("format") == "date-time":
            return weighted((recent_timestamps(), 4), (st.sampled_from(ODD_TIMESTAMPS), 2), (any_timestamps(), 1))
        limit = node.get("maxLength")
        room = min(limit or 64, 64)
        # A meter value (1.6 sampledValue.value) or any text: numbers in disguise hurt the most.
        at_limit = st.sampled_from(["A", "9", "é", "\U0001f50c"]).map(lambda c: c * (limit or 20_000))
        past_limit = st.sampled_from(["A", "9"]).map(lambda c: c * ((limit or 20_000) + 1))
        return weighted(
            (st.text(max_size=room), 3), (st.sampled_from(NUMBER_LIKE), 3), (st.sampled_from(ODD_STRINGS), 1),
            (at_limit, 1), (past_limit, 1),
        )

    def array(self, node: dict) -> st.SearchStrategy:
        items = self.build(node["items"])
        low, high = node.get("minItems", 0), node.get("maxItems")
        few = st.lists(items, min_size=low, max_size=min(high, low + 3) if high else low + 3)
        # Many elements: one generated element repeated (a station replaying its queue).
        many = st.tuples(items, st.sampled_from([50, 300, 2_000])).map(lambda pair: [pair[0]] * pair[1])
        return weighted((few, 8), (many, 1), (st.just([]), 1))

    def object(self, node: dict) -> st.SearchStrategy:
        properties = node.get("properties", {})
        required = [key for key in node.get("required", []) if key in properties]
        optional = {key: self.build(value) for key, value in properties.items() if key not in required}
        base = st.fixed_dictionaries({key: self.build(properties[key]) for key in required}, optional=optional)
        if node.get("additionalProperties", True) is False:
            return base
        # CustomDataType and friends take any extra property: deep nesting goes here.
        extra = st.dictionaries(st.sampled_from(["x", "vendorData", "deep"]), any_json(), max_size=2)
        return weighted((base, 3), (st.tuples(base, extra).map(lambda pair: {**pair[1], **pair[0]}), 1))


def request_schema(version: str, action: str) -> dict:
    name = f"v16/schemas/{action}.json" if version == "1.6" else f"v201/schemas/{action}Request.json"
    return json.loads((SCHEMA_DIR / name).read_text())


def broken(payload: dict) -> st.SearchStrategy[dict]:
    """The payload off its schema: one field of the wrong shape, or a required field missing."""
    if not payload:
        return any_json().map(lambda value: {"unexpected": value})
    keys = sorted(payload)
    wrong_type = st.tuples(st.sampled_from(keys), any_json()).map(lambda kv: {**payload, kv[0]: kv[1]})
    missing = st.sampled_from(keys).map(lambda key: {k: v for k, v in payload.items() if k != key})
    return wrong_type | missing


def payloads(version: str, action: str) -> st.SearchStrategy[dict]:
    valid = SchemaStrategies(request_schema(version, action)).build(request_schema(version, action))
    return weighted((valid, 9), (valid.flatmap(broken), 1))


class Frame:
    """One generated CALL (not a dataclass: Hypothesis prints a failing one through this short repr)."""

    def __init__(self, version: str, action: str, payload: dict, reuse: int | None = None) -> None:
        self.version, self.action, self.payload = version, action, payload
        # Which of the station's open transactions this frame names instead of its generated id (None:
        # keep it): extreme readings then reach real sessions, their energy sums and their pages.
        self.reuse = reuse

    def name_transaction(self, known: list) -> None:
        if self.reuse is None or not known:
            return
        transaction_id = known[self.reuse % len(known)]
        if self.version == "1.6" and "transactionId" in self.payload:
            self.payload = {**self.payload, "transactionId": transaction_id}
        elif self.version == "2.0.1" and isinstance(self.payload.get("transactionInfo"), dict):
            self.payload = {**self.payload, "transactionInfo": {**self.payload["transactionInfo"], "transactionId": transaction_id}}

    def size(self) -> int:
        """About the frame's JSON size, without writing it: "many" elements are one object repeated,
        and nested repeats multiply (2,000 x 2,000 x ... would take the test minutes to write)."""
        seen: dict[int, int] = {}

        def measure(value: Any) -> int:
            if isinstance(value, (dict, list)):
                if id(value) not in seen:
                    items = value.items() if isinstance(value, dict) else enumerate(value)
                    seen[id(value)] = 2 + sum(len(str(key)) + 4 + measure(item) for key, item in items)
                return seen[id(value)]
            return len(value.text) if isinstance(value, Raw) else len(str(value)) + 2

        return measure(self.payload)

    def text(self, unique_id: str) -> str:
        raws: list[str] = []

        def encode(value: Any) -> Any:
            if isinstance(value, Raw):
                raws.append(value.text)
                return f"__RAW_{len(raws) - 1}__"
            if isinstance(value, dict):
                return {k: encode(v) for k, v in value.items()}
            if isinstance(value, list):
                return [encode(v) for v in value]
            return value

        # json.dumps writes float('nan') as NaN: a NaN drawn from EXTREME_FLOATS needs no Raw.
        text = json.dumps([2, unique_id, self.action, encode(self.payload)])
        for n, raw in enumerate(raws):
            text = text.replace(f'"__RAW_{n}__"', raw)
        return text

    def __repr__(self) -> str:
        shown = repr(self.payload)
        return f"Frame({self.version} {self.action} {shown[:1500]}{'...' if len(shown) > 1500 else ''})"


def frames(version: str) -> st.SearchStrategy[Frame]:
    actions = [a for a in STATION_ACTIONS[version] for _ in range(3 if a in HANDLED else 1)]
    reuse = weighted((st.none(), 1), (st.integers(0, 50), 2))
    return st.sampled_from(actions).flatmap(
        lambda action: st.builds(Frame, st.just(version), st.just(action), payloads(version, action), reuse)
    )


# --- the live side ---------------------------------------------------------------------------------


class LoopThread:
    """An event loop in a thread: the stations live there while Hypothesis drives from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class FuzzStation:
    raw: RawStation
    version: str
    identity: str
    sent: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    next_at: float = 0.0
    # Transactions the platform took: 1.6 ids it handed out, 2.0.1 ids whose Started it answered.
    transactions: list = field(default_factory=list)
    # The last frames and answers, printed when the test fails (the platform's files do not outlive it).
    history: collections.deque = field(default_factory=lambda: collections.deque(maxlen=30))

    async def send(self, frame: Frame, text: str, unique_id: str) -> None:
        delay = self.next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = time.monotonic() + 1 / FRAMES_PER_SECOND
        self.sent += 1
        self.history.append(text[:600])
        try:
            await self.raw.send_text(text)
            reply = await self.raw.answer(unique_id, timeout=ANSWER_TIMEOUT)
            self.history.append(f"  -> {json.dumps(reply)[:300]}")
        except ConnectionClosed as closed:
            raise AssertionError(f"{self.identity}: socket closed ({closed.rcvd}) after {frame!r}") from None
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.identity}: no answer within {ANSWER_TIMEOUT} s to {frame!r}") from None
        assert reply[0] in (3, 4), reply
        if reply[0] == 4:
            code = reply[2]
            assert code not in ("InternalError", "GenericError"), f"{self.identity}: {reply} to {frame!r}"
            self.answers[code] = self.answers.get(code, 0) + 1
            if code == "SecurityError":
                # A fuzzed BootNotification left the station Pending or Rejected: boot it again.
                await self.raw.boot()
            return
        self.answers["CALLRESULT"] = self.answers.get("CALLRESULT", 0) + 1
        # Every frame the platform sends validates against the OCA schema.
        await validate_payload(CallResult(unique_id, reply[2], action=frame.action), frame.version)
        if frame.action == "StartTransaction" and isinstance(reply[2].get("transactionId"), int):
            self.transactions.append(reply[2]["transactionId"])
        elif frame.action == "TransactionEvent" and frame.payload.get("eventType") == "Started":
            self.transactions.append(frame.payload["transactionInfo"]["transactionId"])


async def open_transaction(raw: RawStation, version: str) -> int | str:
    now = iso(datetime.now(UTC).replace(microsecond=0))
    if version == "1.6":
        reply = await raw.call("StartTransaction", {"connectorId": 1, "idTag": "FUZZ", "meterStart": 1000, "timestamp": now})
        assert reply[0] == 3, reply
        return reply[2]["transactionId"]
    transaction_id = f"FUZZ-{raw.identity[-4:]}"
    reply = await raw.call("TransactionEvent", {
        "eventType": "Started", "timestamp": now, "triggerReason": "Authorized", "seqNo": 0,
        "transactionInfo": {"transactionId": transaction_id}, "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": "FUZZ", "type": "ISO14443"},
    })
    assert reply[0] == 3, reply
    return transaction_id


SERVER_FAULT = re.compile(r"^(ERROR|CRITICAL)\b|Traceback|Exception inside application|\" 5\d\d \d", re.M)


def server_faults(output: str) -> list[str]:
    return [line for line in output.splitlines() if SERVER_FAULT.search(line)]


def station_pages(api, admin, identity: str) -> None:
    """What an operator opens after such a station: none of it may answer 5xx."""
    pk = admin.station_pk(identity)
    for client, path in [
        (api, f"/api/charging_stations/{identity}/"),
        (api, "/api/sessions/"),
        (api, f"/api/messages/?station={identity}"),
        (admin, f"/console/stations/{identity}/"),
        (admin, f"/console/stations/{identity}/messages/"),
        (admin, f"/console/stations/{identity}/sessions/"),
        (admin, f"/console/stations/{identity}/firmware/"),
        (admin, "/console/sessions/"),
        (admin, "/console/"),
        (admin, f"/admin/stations/station/{pk}/change/"),
        (admin, f"/admin/ocpp_gateway/message/?station={pk}"),
        (admin, "/admin/charging_sessions/session/"),
    ]:
        status = client.get(path).status
        assert status < 500, f"GET {path} answered {status}"
    # Whatever the station sent, a session shows an energy a meter can hold (stations.bounds: 10^12 Wh).
    for session in api.get("/api/sessions/", params={"station": identity}, expect=200).json()["results"]:
        assert session["energy_kwh"] is None or 0 <= session["energy_kwh"] <= 1e9, f"session {session}"


def test_fuzzed_station_frames_hurt_nobody(platform, api, admin, new_station):
    daphne = platform.daphne.process
    log_start = len(daphne.output())
    stations = {version: new_station(f"FZ{version.replace('.', '')}") for version in ("1.6", "2.0.1")}
    runner = LoopThread()
    neighbour_failures: list[BaseException] = []
    neighbour_started: concurrent.futures.Future = concurrent.futures.Future()
    stop = asyncio.Event()
    frame_ids = itertools.count(1)

    async def open_stations() -> dict[str, FuzzStation]:
        opened = {}
        for version, station in stations.items():
            raw = await RawStation.open(station.url, station.identity, station.password, version)
            await raw.boot()
            opened[version] = FuzzStation(raw, version, station.identity)
            # One transaction open from the start, for the fuzzed frames to name (a generated Start rarely
            # passes every bound, a 2.0.1 one hardly ever).
            opened[version].transactions.append(await open_transaction(raw, version))
        return opened

    async def neighbour_heartbeats() -> None:
        # A heartbeat every second, each answered within 5 s and found in the message log.
        try:
            async with neighbour_station(platform, admin=admin) as neighbour:
                neighbour_started.set_result(neighbour)
                while not stop.is_set():
                    await neighbour.assert_served(within=5)
                    await asyncio.sleep(1)
        except BaseException as failure:  # reported by the test's thread
            neighbour_failures.append(failure)
            if not neighbour_started.done():
                neighbour_started.set_exception(failure)

    fuzzers = runner.run(open_stations(), timeout=60)
    heartbeats = asyncio.run_coroutine_threadsafe(neighbour_heartbeats(), runner.loop)
    neighbour = neighbour_started.result(60)

    @settings(
        max_examples=EXAMPLES_PER_ROUND, deadline=None, database=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
    )
    @given(frame16=frames("1.6"), frame201=frames("2.0.1"))
    def one_round(frame16: Frame, frame201: Frame) -> None:
        assert not neighbour_failures, f"the neighbour stalled: {neighbour_failures[0]!r}"
        sends = []
        for frame in (frame16, frame201):
            fuzzer = fuzzers[frame.version]
            unique_id = f"fz{next(frame_ids)}"
            frame.name_transaction(fuzzer.transactions)
            # Over OCPP_MAX_FRAME_BYTES a frame is closed with 1009 on purpose (the transport tests).
            if frame.size() < MAX_FRAME_BYTES:
                text = frame.text(unique_id)
                if len(text.encode("utf-8", "surrogatepass")) < MAX_FRAME_BYTES:
                    sends.append(fuzzer.send(frame, text, unique_id))

        async def both() -> None:
            await asyncio.gather(*sends)

        runner.run(both(), timeout=2 * ANSWER_TIMEOUT + 10)

    rounds = 0
    try:
        deadline = time.monotonic() + FUZZ_SECONDS
        while time.monotonic() < deadline:
            one_round()
            rounds += 1
            faults = server_faults(daphne.output()[log_start:])
            assert not faults, "the server logged:\n" + "\n".join(faults[:20])
            if rounds % PAGES_EVERY == 0:
                for fuzzer in fuzzers.values():
                    station_pages(api, admin, fuzzer.identity)
        for fuzzer in fuzzers.values():
            station_pages(api, admin, fuzzer.identity)
            # The fuzzed station is still connected and served.
            assert runner.run(fuzzer.raw.call("Heartbeat", {}), timeout=30)[0] == 3
        runner.loop.call_soon_threadsafe(stop.set)
        heartbeats.result(30)
        assert not neighbour_failures, f"the neighbour stalled: {neighbour_failures[0]!r}"
        faults = server_faults(daphne.output()[log_start:])
        assert not faults, "the server logged:\n" + "\n".join(faults[:20])
        sent = {version: fuzzer.sent for version, fuzzer in fuzzers.items()}
        print(f"{rounds} rounds, frames sent {sent}, answers {[f.answers for f in fuzzers.values()]}")
        print(f"transactions taken: {[len(f.transactions) for f in fuzzers.values()]}")
        print(f"neighbour: {len(neighbour.round_trips)} heartbeats, slowest {max(neighbour.round_trips):.3f} s")
        assert all(count >= min(50, FUZZ_SECONDS) for count in sent.values()), sent
    except BaseException:
        for fuzzer in fuzzers.values():
            print(f"--- the last frames of {fuzzer.identity} ({fuzzer.version}) and their answers:")
            print("\n".join(fuzzer.history))
        raise
    finally:
        runner.loop.call_soon_threadsafe(stop.set)
        for fuzzer in fuzzers.values():
            with contextlib.suppress(Exception):
                runner.run(fuzzer.raw.close(), timeout=10)
        with contextlib.suppress(Exception):
            heartbeats.result(30)
        runner.stop()
