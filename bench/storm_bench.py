"""Reconnect storm: the gateway node is killed (SIGKILL) and every station reconnects at once.

    .venv/bin/python bench/storm_bench.py                       # 5,000 stations (the target)
    .venv/bin/python bench/storm_bench.py --stations 500        # a quick check; --help

Starts its own platform (`manage.py serve`, SQLite file or `--database postgres`), connects N simulated
OCPP 1.6 stations (raw frames, Basic auth) that boot and report a status, then kills the server
with SIGKILL and starts it again on the same port. Each station notices its socket drop and
reconnects like real firmware does: at once, then after a randomised back-off, with a
`--client-timeout` (10 s) on the opening handshake and on the BootNotification answer. The storm
is over when every station got BootNotification Accepted again.

Printed: the seconds from the kill until every station was Accepted (and from the restarted
server's first answer), the attempts per station, and every outcome of a failed attempt:
refused (HTTP 401/403: a correct password refused, which must never happen), shed (HTTP 503: the
node's admission control asked the station to come back later), handshake or boot timeouts,
connection refused (the node was down). Then every station sends `--after` CALLs and each must be
answered (frames lost = CALLs without an answer), and the message log must hold every one of them.

Targets (issue 17): 5,000 stations all Accepted within 60 s of the kill, none refused.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.gateway_bench import CONFIGURATION, PASSWORD, frame, percentile, raise_fd_limit  # noqa: E402

TARGET_SECONDS = 60.0


# --- One station (in a swarm worker process) ---------------------------------------------------------


@dataclass
class StormStation:
    identity: str
    url: str
    client_timeout: float
    websocket: object = None
    pending: dict = field(default_factory=dict)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    ids: int = 0
    attempts: int = 0
    outcomes: Counter = field(default_factory=Counter)
    accepted_at: float = 0.0  # wall clock (time.time()): compared with the kill in the parent
    errors: int = 0

    async def open(self, timeout: float) -> None:
        import websockets

        token = base64.b64encode(f"{self.identity}:{PASSWORD}".encode()).decode()
        self.dropped = asyncio.Event()
        self.websocket = await websockets.connect(
            self.url + self.identity, subprotocols=["ocpp1.6"], additional_headers={"Authorization": f"Basic {token}"},
            compression=None, ping_interval=None, open_timeout=timeout, close_timeout=1,
        )
        asyncio.get_running_loop().create_task(self.read(self.websocket))

    async def read(self, websocket) -> None:
        try:
            async for raw in websocket:
                msg = json.loads(raw)
                if msg[0] == 2:
                    if msg[2] == "GetConfiguration":
                        await websocket.send(json.dumps([3, msg[1], CONFIGURATION]))
                    else:
                        await websocket.send(json.dumps([4, msg[1], "NotImplemented", "", {}]))
                    continue
                if msg[0] == 4:
                    self.errors += 1
                future = self.pending.pop(msg[1], None)
                if future is not None and not future.done():
                    future.set_result(msg)
        except Exception:
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("closed"))
            self.pending.clear()
            if websocket is self.websocket:
                self.dropped.set()

    async def call(self, kind: str, timeout: float, unique_id: str | None = None) -> list:
        self.ids += 1
        unique_id = unique_id or f"s{self.ids}"
        future = asyncio.get_running_loop().create_future()
        self.pending[unique_id] = future
        await self.websocket.send(frame(kind, unique_id))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        if self.websocket is not None:
            with contextlib.suppress(Exception):
                await self.websocket.close()

    async def login_and_boot(self, timeout: float) -> bool:
        """One attempt: handshake, BootNotification; True when Accepted. The failure is counted."""
        import websockets

        self.attempts += 1
        try:
            await self.open(timeout)
        except websockets.exceptions.InvalidStatus as exc:
            code = exc.response.status_code
            self.outcomes["refused" if code in (401, 403) else "shed" if code == 503 else f"http {code}"] += 1
            return False
        except (TimeoutError, asyncio.TimeoutError):
            self.outcomes["handshake timeout"] += 1
            return False
        except OSError:
            self.outcomes["connection refused"] += 1
            return False
        except Exception as exc:  # noqa: BLE001 - counted by kind
            self.outcomes[type(exc).__name__] += 1
            return False
        try:
            answer = await self.call("BootNotification", timeout)
        except (TimeoutError, asyncio.TimeoutError):
            self.outcomes["boot timeout"] += 1
            await self.close()
            return False
        except Exception:  # noqa: BLE001
            self.outcomes["dropped during boot"] += 1
            await self.close()
            return False
        if answer[0] != 3 or answer[2].get("status") != "Accepted":
            self.outcomes[f"boot answered {answer[2]!r:.60}"] += 1
            await self.close()
            return False
        self.accepted_at = time.time()
        with contextlib.suppress(Exception):
            await self.call("StatusNotification", timeout)
        return True

    async def reconnect(self, timeout: float, give_up_at: float) -> None:
        """Real firmware: try at once, then back off (randomised, growing, capped) until Accepted."""
        await asyncio.sleep(random.uniform(0, 1.0))  # the sockets drop within a second of each other
        backoff = 2.0
        while time.time() < give_up_at:
            if await self.login_and_boot(timeout):
                return
            await asyncio.sleep(random.uniform(0.5, 1.0) * backoff)
            backoff = min(backoff * 2, 16.0)


async def storm_worker_main(identities: list[str], url: str, conn, client_timeout: float, concurrency: int) -> None:
    raise_fd_limit()
    stations = [StormStation(identity, url, client_timeout) for identity in identities]
    gate = asyncio.Semaphore(concurrency)

    give_up = time.monotonic() + 600

    async def first_connect(station: StormStation) -> None:
        # Patient: the first connect only sets the scene (a shed or timed-out attempt is retried).
        while time.monotonic() < give_up:
            async with gate:
                if await station.login_and_boot(60):
                    return
            await asyncio.sleep(random.uniform(1, 3))

    started = time.perf_counter()
    await asyncio.gather(*(first_connect(s) for s in stations))
    up = [s for s in stations if s.accepted_at]
    conn.send({"connected": len(up), "seconds": time.perf_counter() - started, "outcomes": sum((s.outcomes for s in stations), Counter())})
    for s in stations:
        s.attempts, s.outcomes, s.accepted_at = 0, Counter(), 0.0

    while True:
        command = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        if command[0] == "storm":
            give_up_at = command[1]

            async def live(station: StormStation) -> None:
                await station.dropped.wait()
                await station.reconnect(client_timeout, give_up_at)

            await asyncio.gather(*(live(s) for s in up))
            conn.send({
                "accepted": [s.accepted_at for s in up if s.accepted_at],
                "missing": [s.identity for s in up if not s.accepted_at][:5],
                "attempts": [s.attempts for s in up],
                "outcomes": sum((s.outcomes for s in up), Counter()),
            })
        elif command[0] == "calls":
            _, count, prefix = command
            answered = errors = 0

            async def talk(station: StormStation, index: int) -> None:
                nonlocal answered, errors
                for n in range(count):
                    kind = ("Heartbeat", "StatusNotification", "MeterValues")[n % 3]
                    try:
                        answer = await station.call(kind, 60, unique_id=f"{prefix}-{index}-{n}")
                    except Exception:  # noqa: BLE001 - a CALL without an answer is a lost frame
                        continue
                    if answer[0] == 3:
                        answered += 1
                    else:
                        errors += 1

            await asyncio.gather(*(talk(s, i) for i, s in enumerate(up) if s.accepted_at))
            conn.send({"sent": count * sum(1 for s in up if s.accepted_at), "answered": answered, "callerrors": errors})
        else:
            break
    await asyncio.gather(*(s.close() for s in stations))
    conn.send({"closed": True})


def storm_worker(identities, url, conn, client_timeout, concurrency) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(storm_worker_main(identities, url, conn, client_timeout, concurrency))


class StormSwarm:
    def __init__(self, identities: list[str], url: str, *, workers: int, client_timeout: float, concurrency: int = 50):
        ctx = mp.get_context("spawn")
        self.conns, self.procs = [], []
        for index in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=storm_worker, args=(identities[index::workers], url, child, client_timeout, concurrency), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def gather(self, timeout: float) -> list[dict]:
        results = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise TimeoutError("a swarm worker did not report")
            results.append(conn.recv())
        return results

    def command(self, *command, timeout: float = 600) -> list[dict]:
        for conn in self.conns:
            conn.send(command)
        return self.gather(timeout)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            for conn in self.conns:
                conn.send(("close",))
            self.gather(30)
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# --- Orchestration -------------------------------------------------------------------------------------


@dataclass
class StormResult:
    stations: int
    connected: int = 0
    first_connect_s: float = 0.0
    first_outcomes: dict = field(default_factory=dict)
    restart_s: float = 0.0  # kill until the new server answered HTTP
    accepted: int = 0
    all_accepted_s: float = float("nan")  # kill until the last station was Accepted
    p50_accepted_s: float = float("nan")
    p99_accepted_s: float = float("nan")
    attempts_mean: float = 0.0
    attempts_max: int = 0
    outcomes: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)
    calls_sent: int = 0
    calls_answered: int = 0
    callerrors: int = 0
    logged: int | None = None  # the after-storm CALLs found in the message log

    @property
    def refused(self) -> int:
        return self.outcomes.get("refused", 0)

    def lines(self) -> list[str]:
        out = [
            f"first connect: {self.connected}/{self.stations} booted in {self.first_connect_s:.1f} s"
            + (" (failed attempts: " + ", ".join(f"{k} {v}" for k, v in sorted(self.first_outcomes.items())) + ")" if self.first_outcomes else ""),
            f"restart: the new server answered {self.restart_s:.1f} s after the kill",
            f"storm: {self.accepted}/{self.connected} Accepted again; the last {self.all_accepted_s:.1f} s after the kill "
            f"(p50 {self.p50_accepted_s:.1f} s, p99 {self.p99_accepted_s:.1f} s); attempts per station mean {self.attempts_mean:.2f}, max {self.attempts_max}",
            "failed attempts: " + (", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"),
            f"after the storm: {self.calls_answered}/{self.calls_sent} CALLs answered, {self.callerrors} CALLERRORs"
            + (f", {self.logged} of them in the message log" if self.logged is not None else ""),
        ]
        if self.missing:
            out.append(f"not Accepted (first few): {', '.join(self.missing)}")
        return out


def run_storm(
    *, start_server, kill_server, identities: list[str], url: str, workers: int, client_timeout: float,
    give_up_after: float, after_calls: int, count_logged=None, concurrency: int = 50, log=print,
) -> StormResult:
    """Drive one storm. `start_server()` starts the node and returns once it answers; `kill_server()`
    SIGKILLs it; `count_logged(prefix)` counts the message-log rows of the after-storm CALLs."""
    result = StormResult(stations=len(identities))
    swarm = StormSwarm(identities, url, workers=workers, client_timeout=client_timeout, concurrency=concurrency)
    try:
        reports = swarm.gather(900)
        result.connected = sum(r["connected"] for r in reports)
        result.first_connect_s = max(r["seconds"] for r in reports)
        result.first_outcomes = dict(sum((Counter(r["outcomes"]) for r in reports), Counter()))
        log(f"[storm] {result.connected} stations booted in {result.first_connect_s:.1f} s; killing the server (SIGKILL)")
        time.sleep(2)  # boot-time requests (GetConfiguration) settle
        killed_at = time.time()
        for conn in swarm.conns:
            conn.send(("storm", killed_at + give_up_after))
        kill_server()
        start_server()
        result.restart_s = time.time() - killed_at
        log(f"[storm] server restarted in {result.restart_s:.1f} s; waiting for every station to be Accepted ...")
        reports = swarm.gather(give_up_after + 120)
        accepted = sorted(t - killed_at for r in reports for t in r["accepted"])
        result.accepted = len(accepted)
        if accepted:
            result.all_accepted_s = accepted[-1] if len(accepted) == result.connected else float("inf")
            result.p50_accepted_s = percentile(accepted, 50)
            result.p99_accepted_s = percentile(accepted, 99)
        attempts = [a for r in reports for a in r["attempts"]]
        result.attempts_mean = sum(attempts) / max(1, len(attempts))
        result.attempts_max = max(attempts, default=0)
        result.outcomes = dict(sum((Counter(r["outcomes"]) for r in reports), Counter()))
        result.missing = [m for r in reports for m in r["missing"]][:5]
        if after_calls:
            prefix = f"after{int(killed_at)}"
            reports = swarm.command("calls", after_calls, prefix)
            result.calls_sent = sum(r["sent"] for r in reports)
            result.calls_answered = sum(r["answered"] for r in reports)
            result.callerrors = sum(r["callerrors"] for r in reports)
            if count_logged is not None:
                result.logged = count_logged(prefix)
    finally:
        swarm.close()
    return result


def prepare_stations(platform, count: int, *, known: bool) -> list[str]:
    """Bulk-create the stations; with `known`, their credentials are remembered as verified (as they
    are after they connected once), which is what a storm after a restart meets."""
    from bench.gateway_bench import create_stations

    identities = create_stations(platform, count)
    if known:
        script = """
from django.utils import timezone
from ocpp_gateway.auth import _credential_digest
from ocpp_gateway.models import VerifiedCredential
from stations.models import Station
now = timezone.now()
rows = [VerifiedCredential(station=s, digest=_credential_digest(s, PASSWORD), verified_at=now) for s in Station.objects.filter(identity__startswith="BENCH-")]
VerifiedCredential.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
print(len(rows))
""".replace("PASSWORD", repr(PASSWORD))
        platform.manage("shell", "-c", script)
    return identities


def message_log_counter(platform):
    def count(prefix: str) -> int:
        script = f"""
from ocpp_gateway.models import Message
print(Message.objects.filter(direction="in", message_type=2, unique_id__startswith={prefix + '-'!r}).count())
"""
        return int(platform.manage("shell", "-c", script).stdout.strip().splitlines()[-1])

    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="client processes running the swarm")
    parser.add_argument("--client-timeout", type=float, default=10.0, help="the stations' handshake and boot timeout, s")
    parser.add_argument("--give-up", type=float, default=180.0, help="stop the storm after this many seconds")
    parser.add_argument("--after", type=int, default=3, help="CALLs per station after the storm (lost-frame check)")
    parser.add_argument("--cold", action="store_true", help="the first connect verifies every password (PBKDF2); default: the credentials are known, as after earlier connects")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    parser.add_argument("--env", action="append", default=[], type=lambda s: tuple(s.split("=", 1)), help="NAME=VALUE for the platform")
    args = parser.parse_args()
    limit = raise_fd_limit()
    if limit < 2 * args.stations + 200:
        parser.error(f"the open-file limit is {limit}: too low for {args.stations} stations")

    from bench.gateway_bench import platform_env
    from tests.servers import Daphne, Platform

    root = Path(tempfile.mkdtemp(prefix="switch-storm-"))
    with platform_env(args, root) as env:
        platform = Platform.create(root, env=env)
        if args.database == "postgres":
            platform.manage("migrate", "--noinput")
        identities = prepare_stations(platform, args.stations, known=not args.cold)
        server: list[Daphne] = [platform.start_daphne()]

        def kill() -> None:
            server[0].process.signal(signal.SIGKILL)
            server[0].process.popen.wait(10)

        def start() -> None:
            platform.daphnes.clear()
            server[0] = platform.start_daphne(port=platform.port, timeout=60, listening_only=True)

        try:
            result = run_storm(
                start_server=start, kill_server=kill, identities=identities, url=server[0].ocpp_url,
                workers=args.workers, client_timeout=args.client_timeout, give_up_after=args.give_up,
                after_calls=args.after, count_logged=message_log_counter(platform),
            )
        finally:
            platform.stop()

    print()
    print(f"Reconnect storm: {args.stations} stations, {args.server} on {args.database}, client timeout {args.client_timeout:.0f} s, "
          f"{'cold' if args.cold else 'known'} credentials, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for line in result.lines():
        print("  " + line)
    checks = [
        (f"all Accepted within {TARGET_SECONDS:.0f} s", result.accepted == result.connected == args.stations and result.all_accepted_s <= TARGET_SECONDS),
        ("no station refused", result.refused == 0),
        ("no frame lost", result.calls_answered == result.calls_sent and result.logged in (None, result.calls_sent)),
    ]
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))


if __name__ == "__main__":
    main()
