"""Gateway benchmark: a swarm of simulated OCPP 1.6 stations against one daphne, and against a bare
`ocpp` library server on plain `websockets` (no database) as the ceiling.

    .venv/bin/python bench/gateway_bench.py                      # 5,000 stations (the target)
    .venv/bin/python bench/gateway_bench.py --stations 300       # a quick proof that it works

For each server it measures, with the swarm in `--workers` client processes:
1. connect: every station opens its websocket (Basic auth) and boots; connected count and time,
   and the server's resident memory per station;
2. steady: every station sends one message (Heartbeat, StatusNotification, MeterValues in turn)
   every `--interval` seconds for `--steady` seconds: p50/p99 of CALL → CALLRESULT;
3. flat out: `--flat-stations` stations send as fast as answers come back for `--flat` seconds:
   CALLs per second, and for the platform the message-log rows persisted per second (the rows
   of `ocpp_gateway_message`, counted in the SQLite file over the window).
The throughput ratio is platform / bare in the flat-out phase.

Targets: 5,000 connected with steady p99 < 250 ms, >= 1,500 persisted messages/s, ratio >= 0.5; issue 17:
ratio >= 0.6 (1,000 and 5,000 stations, SQLite and `--database postgres`), and at 10,000 stations every
station booted within 3x the bare server's connect time, steady p99 no worse than the bare server's,
<= 30 KB of server RSS per station. `--server uvicorn` runs the platform on uvicorn + uvloop.
By default every station connected and booted once before the measurement (a warm-up, not
measured): its credentials were verified (ocpp_gateway.auth's verified-credential cache) and its
connectors, configuration and connection security are rows already, as after a restart or a
deploy. `--first-connect` measures first connects instead (credentials still known unless `--cold`).
The station swarm uses raw frames (no client-side schema validation): the clients must not be the
bottleneck on a 2-core machine. The frames are schema-valid; any CALLERROR is counted and shown.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import itertools
import json
import multiprocessing as mp
import os
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

PASSWORD = "bench-password-0123456"


def raise_fd_limit() -> int:
    """Each station is a socket on both ends; the default soft limit of 1,024 is far too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: on a shared machine, what the server itself used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


# --- The swarm (runs in worker processes) ----------------------------------------------------------


def frame(kind: str, unique_id: str) -> str:
    if kind == "BootNotification":
        payload = {"chargePointVendor": "Bench", "chargePointModel": "Swarm", "firmwareVersion": "1.0"}
    elif kind == "Heartbeat":
        payload = {}
    elif kind == "StatusNotification":
        payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": now_iso()}
    else:
        payload = {
            "connectorId": 1,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": [{"value": str(random.randint(1, 10**6)), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}],
        }
    return json.dumps([2, unique_id, kind, payload])


CYCLE = ["Heartbeat", "StatusNotification", "MeterValues"]
CONFIGURATION = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}, {"key": "NumberOfConnectors", "readonly": True, "value": "1"}]}


@dataclass
class SwarmStation:
    identity: str
    websocket: object = None
    pending: dict = field(default_factory=dict)
    reader: asyncio.Task | None = None
    ids: itertools.count = field(default_factory=itertools.count)
    errors: int = 0

    async def connect(self, url: str) -> None:
        import websockets

        token = base64.b64encode(f"{self.identity}:{PASSWORD}".encode()).decode()
        self.websocket = await websockets.connect(
            url + self.identity, subprotocols=["ocpp1.6"], additional_headers={"Authorization": f"Basic {token}"},
            compression=None, ping_interval=None, open_timeout=180, close_timeout=2,
        )
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.websocket:
                msg = json.loads(raw)
                if msg[0] == 2:
                    # The platform's own requests (GetConfiguration after boot): answer like a station.
                    if msg[2] == "GetConfiguration":
                        await self.websocket.send(json.dumps([3, msg[1], CONFIGURATION]))
                    else:
                        await self.websocket.send(json.dumps([4, msg[1], "NotImplemented", "", {}]))
                    continue
                future = self.pending.pop(msg[1], None)
                if msg[0] == 4:
                    self.errors += 1
                if future is not None and not future.done():
                    future.set_result(msg[0])
        except Exception:
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("closed"))

    async def call(self, kind: str, timeout: float = 60) -> float:
        """Send one CALL; return the seconds until its answer."""
        unique_id = f"{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.pending[unique_id] = future
        started = time.perf_counter()
        await self.websocket.send(frame(kind, unique_id))
        await asyncio.wait_for(future, timeout)
        return time.perf_counter() - started


async def swarm_main(identities: list[str], url: str, conn, connect_concurrency: int) -> None:
    stations = [SwarmStation(identity) for identity in identities]
    gate = asyncio.Semaphore(connect_concurrency)
    failures: list[str] = []

    retries = 0

    async def bring_up(station: SwarmStation) -> None:
        nonlocal retries
        # Like a real station after an outage: a refused or timed-out connect is retried after a
        # randomised back-off, a few times.
        for attempt in range(6):
            async with gate:
                try:
                    await station.connect(url)
                    await station.call("BootNotification", timeout=180)
                    await station.call("StatusNotification", timeout=180)
                    return
                except Exception as exc:  # noqa: BLE001 - reported as a count
                    error = repr(exc)[:200]
                    if station.websocket is not None:
                        with contextlib.suppress(Exception):
                            await station.websocket.close()
                    station.websocket = None
            if attempt < 5:
                retries += 1
                await asyncio.sleep(random.uniform(1, 5))
        failures.append(error)

    started = time.perf_counter()
    await asyncio.gather(*(bring_up(s) for s in stations))
    up = [s for s in stations if s.websocket is not None]
    conn.send({"connected": len(up), "seconds": time.perf_counter() - started, "failures": failures[:5], "failed": len(failures), "retries": retries})

    while True:
        command = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        if command[0] == "steady":
            _, duration, interval = command
            conn.send(await steady(up, duration, interval))
        elif command[0] == "flat":
            _, duration, count = command
            conn.send(await flat_out(up[:count], duration))
        else:
            break
    for station in up:
        try:
            await station.websocket.close()
        except Exception:
            pass
    conn.send({"closed": True})


async def steady(stations: list[SwarmStation], duration: float, interval: float) -> dict:
    latencies: list[float] = []
    timeouts = 0
    errors_before = sum(s.errors for s in stations)
    deadline = time.perf_counter() + duration

    async def run(station: SwarmStation, offset: float) -> None:
        nonlocal timeouts
        await asyncio.sleep(offset)
        for n in itertools.count():
            next_at = time.perf_counter() + interval
            if next_at - interval > deadline:
                return
            try:
                latencies.append(await station.call(CYCLE[n % len(CYCLE)], timeout=30))
            except Exception:
                timeouts += 1
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    await asyncio.gather(*(run(s, random.uniform(0, interval)) for s in stations))
    return {"latencies": latencies, "timeouts": timeouts, "errors": sum(s.errors for s in stations) - errors_before}


async def flat_out(stations: list[SwarmStation], duration: float) -> dict:
    done = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + duration

    async def run(station: SwarmStation) -> None:
        nonlocal done
        n = 0
        while time.perf_counter() < deadline:
            try:
                latencies.append(await station.call(CYCLE[n % len(CYCLE)], timeout=30))
                done += 1
            except Exception:
                return
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(run(s) for s in stations))
    return {"calls": done, "seconds": time.perf_counter() - started, "latencies": latencies}


def swarm_process(identities: list[str], url: str, conn, connect_concurrency: int, cycle: list[str]) -> None:
    raise_fd_limit()
    CYCLE[:] = cycle
    # The swarm is the measuring instrument: a pause of its own collector delays the answers it
    # reads and bunches the frames it sends, and was counted as the server's latency (gen-2 pauses
    # of 280-340 ms with 4,900 stations per process, the steady phase's worst 250 ms windows).
    # The run is minutes long; what only the collector frees stays until the process exits.
    gc.disable()
    try:
        import uvloop  # noqa: F401 - faster clients when available, not required

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(swarm_main(identities, url, conn, connect_concurrency))


class Swarm:
    def __init__(self, identities: list[str], url: str, workers: int, connect_concurrency: int, cycle: list[str]):
        ctx = mp.get_context("spawn")
        self.conns = []
        self.procs = []
        for index in range(workers):
            parent, child = ctx.Pipe()
            share = identities[index::workers]
            proc = ctx.Process(target=swarm_process, args=(share, url, child, connect_concurrency, cycle), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def gather(self, timeout: float = 600) -> list[dict]:
        results = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise TimeoutError("a swarm worker did not report")
            results.append(conn.recv())
        return results

    def command(self, *command) -> list[dict]:
        for conn in self.conns:
            conn.send(command)
        return self.gather()

    def close(self) -> None:
        try:
            for conn in self.conns:
                conn.send(("close",))
            self.gather(30)
        except Exception:
            pass
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# --- The bare server (runs in its own process) ------------------------------------------------------


def bare_server_process(port: int, ready, pause_log: str) -> None:
    raise_fd_limit()
    import logging

    log_collector_pauses(pause_log)

    import websockets
    from ocpp import messages
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result

    logging.getLogger("ocpp").setLevel(logging.WARNING)
    # Like the gateway: validate in the event loop, not in a thread pool (faster for small frames).
    messages.ASYNC_VALIDATION = False

    class BareChargePoint(ChargePoint):
        @on("BootNotification")
        def on_boot(self, **kwargs):
            return call_result.BootNotification(current_time=now_iso(), interval=300, status="Accepted")

        @on("Heartbeat")
        def on_heartbeat(self, **kwargs):
            return call_result.Heartbeat(current_time=now_iso())

        @on("StatusNotification")
        def on_status(self, **kwargs):
            return call_result.StatusNotification()

        @on("MeterValues")
        def on_meter_values(self, **kwargs):
            return call_result.MeterValues()

    async def handler(websocket) -> None:
        identity = websocket.request.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            await BareChargePoint(identity, websocket).start()
        except websockets.ConnectionClosed:
            pass

    async def main() -> None:
        async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], compression=None, ping_interval=None, backlog=4096):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


# --- Collector pauses ------------------------------------------------------------------------------

# A pause of the server's garbage collector stalls every station's frames at once: one of a few
# hundred ms in the steady phase is that phase's p99. Both servers log them in the same words (the
# platform's node: ocpp_gateway.gc_tuning), so a run shows whose collector made whose tail.
SLOW_PAUSE = 0.05
PAUSE_LINE = re.compile(r"gc: generation (\d) pause (\d+) ms")


def log_collector_pauses(path: str) -> None:
    """In the bare server's process: append each collector pause over SLOW_PAUSE to `path`."""
    started: list[float] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started[:] = [time.thread_time()]
        elif started and (pause := time.thread_time() - started[0]) > SLOW_PAUSE:
            with open(path, "a") as out:
                out.write(f"gc: generation {info['generation']} pause {pause * 1000:.0f} ms\n")

    gc.callbacks.append(watch)


def log_size(path: Path | None) -> int:
    return path.stat().st_size if path and path.exists() else 0


def pauses_since(path: Path | None, offset: int) -> list[float]:
    """The collector pauses (ms) logged to `path` after `offset`."""
    if not path or not path.exists():
        return []
    with open(path, "rb") as log:
        log.seek(offset)
        return [float(match.group(2)) for match in PAUSE_LINE.finditer(log.read().decode(errors="replace"))]


# --- Orchestration -------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    connected: int = 0
    connect_seconds: float = 0.0
    connect_failures: list = field(default_factory=list)
    connect_retries: int = 0
    connect_server_cpu_s: float = 0.0
    steady_p50_ms: float = 0.0
    steady_p99_ms: float = 0.0
    steady_max_ms: float = 0.0
    steady_calls: int = 0
    steady_timeouts: int = 0
    callerrors: int = 0
    flat_calls_per_s: float = 0.0
    flat_p50_ms: float = 0.0
    flat_p99_ms: float = 0.0
    flat_server_cpu: float = 0.0  # the server's CPU use during flat out, in cores
    persisted_per_s: float | None = None
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    steady_gc_pauses_ms: list = field(default_factory=list)

    @property
    def rss_per_station_kb(self) -> float:
        return (self.rss_after_mb - self.rss_before_mb) * 1024 / max(self.connected, 1)


def message_high_water(database: str | Path) -> int:
    """The newest message-log row id: rows are only ever appended, so its growth is rows persisted.
    `database`: the SQLite file, or a postgres:// URL."""
    sql = "SELECT COALESCE(MAX(id), 0) FROM ocpp_gateway_message"
    if str(database).startswith("postgres"):
        import psycopg

        with psycopg.connect(str(database)) as db:
            return db.execute(sql).fetchone()[0]
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql).fetchone()[0]


@contextlib.contextmanager
def platform_env(args, root: Path):
    """The platform's environment for `--database` and `--server`: with postgres, a throwaway cluster
    (bench/pg.py) that lives as long as the context."""
    env = {"LOG_LEVEL": "WARNING", "OCPP_AUTH_FAILURES_PER_MINUTE": "1000000", "SERVE_SERVER": args.server, **dict(args.env)}
    if args.database != "postgres":
        yield env
        return
    from tests.pg import PostgresServer

    with PostgresServer() as pg:
        env["DATABASE_URL"] = pg.create_database("switch")
        yield env


def platform_database(platform) -> str | Path:
    url = platform.env.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else platform.db_path


def install_platform(root: Path, env: dict):
    """Platform.create, migrated on PostgreSQL too when DATABASE_URL names it."""
    from tests.servers import Platform

    platform = Platform.create(root, env=env)
    if env.get("DATABASE_URL", "").startswith("postgres"):
        platform.manage("migrate", "--noinput")
    return platform


def run_swarm(result: Result, url: str, identities: list[str], args, server_pid: int, db_path: Path | None, rss_before: float | None = None, pause_log: Path | None = None) -> Result:
    result.rss_before_mb = rss_mb(server_pid) if rss_before is None else rss_before
    print(f"[{result.name}] connecting {len(identities)} stations with {args.workers} client processes ...", flush=True)
    cpu0 = cpu_seconds(server_pid)
    swarm = Swarm(identities, url, args.workers, args.connect_concurrency, args.messages.split(","))
    try:
        reports = swarm.gather()
        result.connect_server_cpu_s = cpu_seconds(server_pid) - cpu0
        result.connected = sum(r["connected"] for r in reports)
        result.connect_seconds = max(r["seconds"] for r in reports)
        result.connect_failures = [f for r in reports for f in r["failures"]]
        result.connect_retries = sum(r["retries"] for r in reports)
        time.sleep(2)  # let the boot-time requests and the message log settle
        result.rss_after_mb = rss_mb(server_pid)
        print(f"[{result.name}] {result.connected} connected in {result.connect_seconds:.1f}s using {result.connect_server_cpu_s:.1f} CPU-s of the server; RSS {result.rss_before_mb:.0f} -> {result.rss_after_mb:.0f} MB", flush=True)

        print(f"[{result.name}] steady: one message per station every {args.interval}s for {args.steady}s ...", flush=True)
        offset = log_size(pause_log)
        reports = swarm.command("steady", args.steady, args.interval)
        result.steady_gc_pauses_ms = pauses_since(pause_log, offset)
        latencies = [x for r in reports for x in r["latencies"]]
        result.steady_calls = len(latencies)
        result.steady_timeouts = sum(r["timeouts"] for r in reports)
        result.callerrors += sum(r["errors"] for r in reports)
        result.steady_p50_ms = percentile(latencies, 50) * 1000
        result.steady_p99_ms = percentile(latencies, 99) * 1000
        result.steady_max_ms = max(latencies, default=0) * 1000

        per_worker = max(1, args.flat_stations // args.workers)
        print(f"[{result.name}] flat out: {per_worker * args.workers} stations for {args.flat}s ...", flush=True)
        before = message_high_water(db_path) if db_path else 0
        t0 = time.perf_counter()
        cpu0 = cpu_seconds(server_pid)
        reports = swarm.command("flat", args.flat, per_worker)
        result.flat_server_cpu = (cpu_seconds(server_pid) - cpu0) / (time.perf_counter() - t0)
        if db_path:
            time.sleep(1.0)  # the last buffered batch (flushed every 0.5 s)
            result.persisted_per_s = (message_high_water(db_path) - before) / (time.perf_counter() - t0)
        calls = sum(r["calls"] for r in reports)
        seconds = max(r["seconds"] for r in reports)
        latencies = [x for r in reports for x in r["latencies"]]
        result.flat_calls_per_s = calls / seconds
        result.flat_p50_ms = percentile(latencies, 50) * 1000
        result.flat_p99_ms = percentile(latencies, 99) * 1000
    finally:
        swarm.close()
    return result


def warm_up(url: str, identities: list[str], args) -> None:
    """Every station connects, boots and leaves once before the measurement: a node's stations
    have been seen before (their connectors, configuration and connection security are rows
    already), as after a deploy or a restart. `--first-connect` measures first connects instead."""
    started = time.perf_counter()
    swarm = Swarm(identities, url, args.workers, args.connect_concurrency, args.messages.split(","))
    try:
        reports = swarm.gather()
    finally:
        swarm.close()
    connected = sum(r["connected"] for r in reports)
    print(f"[platform] warm-up: {connected} stations connected and booted once in {time.perf_counter() - started:.1f}s (not measured)", flush=True)
    # Their disconnects written. Closed connections are freed by reference counting; a full
    # collection in the measured phases (gc_tuning: only when closed connections are still held
    # 30 s after they closed) shows in the node's log as a "generation 2 pause".
    time.sleep(12)


def create_stations(platform, count: int) -> list[str]:
    """Bulk-create the stations in one `manage.py shell` (5,000 API calls would hash 5,000 passwords
    for nothing: they all share one here)."""
    identities = [f"BENCH-{n:05d}" for n in range(count)]
    script = f"""
from django.contrib.auth.hashers import make_password
from networks.models import Network
from stations.models import STATION_PASSWORD_HASHER, Station
network, _ = Network.objects.get_or_create(name="Bench")
password_hash = make_password({PASSWORD!r}, hasher=STATION_PASSWORD_HASHER)
created = Station.objects.bulk_create(
    [Station(network=network, identity=f"BENCH-{{n:05d}}", name=f"BENCH-{{n:05d}}", password_hash=password_hash) for n in range({count})],
    batch_size=500,
)
print(len(created))
"""
    out = platform.manage("shell", "-c", script).stdout.strip().splitlines()[-1]
    assert int(out) == count, out
    return identities


def bench_platform(args) -> Result:
    from bench.storm_bench import prepare_stations

    root = Path(tempfile.mkdtemp(prefix="switch-bench-"))
    with platform_env(args, root) as env:
        platform = install_platform(root, env)
        try:
            identities = prepare_stations(platform, args.stations, known=not args.cold)
            daphne = platform.start_daphne()
            print(f"[platform] {args.server} pid {daphne.process.pid} on {daphne.ocpp_url}, {args.database} (logs: {daphne.process.log_path})", flush=True)
            # RSS per station counts from before the warm-up: what the node holds for its stations,
            # including anything the warm-up's closed connections left behind.
            rss_before = rss_mb(daphne.process.pid)
            if not (args.first_connect or args.cold):  # a warm-up would verify the credentials
                warm_up(daphne.ocpp_url, identities, args)
            return run_swarm(Result("platform"), daphne.ocpp_url, identities, args, daphne.process.pid, platform_database(platform), rss_before=rss_before, pause_log=daphne.process.log_path)
        finally:
            platform.stop()


def bench_bare(args) -> Result:
    from tests.servers import free_port

    port = free_port()
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    pause_log = Path(tempfile.mkdtemp(prefix="switch-bench-bare-")) / "gc-pauses.log"
    server = ctx.Process(target=bare_server_process, args=(port, ready, str(pause_log)), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the bare server did not start")
        identities = [f"BARE-{n:05d}" for n in range(args.stations)]
        return run_swarm(Result("bare"), f"ws://127.0.0.1:{port}/ocpp/", identities, args, server.pid, None, pause_log=pause_log)
    finally:
        server.kill()
        server.join(5)


def report(results: list[Result], args) -> None:
    print()
    print(f"Gateway benchmark: {args.stations} stations, platform on {args.server} + {args.database} "
          f"({'cold' if args.cold else 'known'} credentials, {'first connects' if args.first_connect else 'seen before'}), {args.workers} client processes, {os.cpu_count()} cores, {datetime.now():%Y-%m-%d %H:%M}")
    header = f"{'':10} {'connected':>9} {'retries':>7} {'connect s':>9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'timeouts':>8} {'CALLERR':>7} {'flat/s':>7} {'flat p99':>8} {'rows/s':>7} {'cores':>5} {'RSS MB':>7} {'KB/stn':>7}"
    print(header)
    for r in results:
        rows = f"{r.persisted_per_s:7.0f}" if r.persisted_per_s is not None else f"{'-':>7}"
        print(
            f"{r.name:10} {r.connected:9d} {r.connect_retries:7d} {r.connect_seconds:9.1f} {r.steady_p50_ms:7.1f} {r.steady_p99_ms:7.1f} {r.steady_max_ms:7.0f} "
            f"{r.steady_timeouts:8d} {r.callerrors:7d} {r.flat_calls_per_s:7.0f} {r.flat_p99_ms:8.1f} {rows} {r.flat_server_cpu:5.2f} {r.rss_after_mb:7.0f} {r.rss_per_station_kb:7.1f}"
        )
        for failure in r.connect_failures[:3]:
            print(f"           connect failure: {failure}")
    print("collector pauses over 50 ms in the steady phase: " + "; ".join(
        f"{r.name} {', '.join(f'{ms:.0f} ms' for ms in r.steady_gc_pauses_ms) or 'none'}" for r in results
    ))
    by_name = {r.name: r for r in results}
    if "platform" in by_name and "bare" in by_name and by_name["bare"].flat_calls_per_s:
        ratio = by_name["platform"].flat_calls_per_s / by_name["bare"].flat_calls_per_s
        print(f"throughput ratio platform / bare ocpp server: {ratio:.2f}")
        # On a shared machine both servers may get less than a core: CPU per CALL is the steadier
        # comparison (the ratio they would reach with the same CPU).
        p, b = by_name["platform"], by_name["bare"]
        p_cpu = p.flat_server_cpu / max(p.flat_calls_per_s, 1e-9) * 1000
        b_cpu = b.flat_server_cpu / max(b.flat_calls_per_s, 1e-9) * 1000
        print(f"server CPU per CALL: platform {p_cpu:.2f} ms, bare {b_cpu:.2f} ms (CPU ratio {b_cpu / max(p_cpu, 1e-9):.2f}); "
              f"connect CPU per station: platform {p.connect_server_cpu_s / max(p.connected, 1) * 1000:.1f} ms, bare {b.connect_server_cpu_s / max(b.connected, 1) * 1000:.1f} ms")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} (the machine is shared: other work skews every figure)")
    if "platform" in by_name:
        p = by_name["platform"]
        checks = [
            (f"{args.stations} connected", p.connected == args.stations),
            ("steady p99 < 250 ms", p.steady_p99_ms < 250),
            (">= 1,500 persisted messages/s", (p.persisted_per_s or 0) >= 1500),
        ]
        if "bare" in by_name and by_name["bare"].flat_calls_per_s:
            b = by_name["bare"]
            checks.append(("ratio >= 0.5", p.flat_calls_per_s / b.flat_calls_per_s >= 0.5))
            # issue 17: the same run's bare server is the yardstick.
            checks.append(("ratio >= 0.6", p.flat_calls_per_s / b.flat_calls_per_s >= 0.6))
            checks.append((f"booted within 3x bare ({p.connect_seconds / max(b.connect_seconds, 1e-9):.1f}x)", p.connect_seconds <= 3 * b.connect_seconds))
            # The bare server's p99 is either its own collector's pause (hundreds of ms) or, with none
            # in the window, a few ms that a platform which answers after its commit cannot match.
            bare_paused = "bare's collector paused in the window" if b.steady_gc_pauses_ms else "no pause of bare's collector in the window"
            checks.append((f"steady p99 <= bare ({bare_paused})", p.steady_p99_ms <= b.steady_p99_ms))
        checks.append(("<= 30 KB RSS per station", p.rss_per_station_kb <= 30))
        print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps([{**r.__dict__, "rss_per_station_kb": r.rss_per_station_kb} for r in results], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2, help="client processes running the swarm")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between one station's messages (steady)")
    parser.add_argument("--steady", type=float, default=20.0, help="seconds of steady load")
    parser.add_argument("--flat", type=float, default=10.0, help="seconds of flat-out load")
    parser.add_argument("--flat-stations", type=int, default=200)
    parser.add_argument("--connect-concurrency", type=int, default=25, help="connects in flight per client process")
    parser.add_argument("--messages", default=",".join(CYCLE), help="the CALLs each station sends in turn")
    parser.add_argument("--only", choices=["platform", "bare"], default=None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite", help="postgres: a throwaway cluster (bench/pg.py)")
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne", help="manage.py serve --server")
    parser.add_argument("--first-connect", action="store_true", help="measure every station's first connect (its connectors, configuration and connection security created); default: each connected once before, as after a restart")
    parser.add_argument("--cold", action="store_true", help="every station logs in for the first time (PBKDF2 per station); default: their credentials were verified before, as after a restart")
    parser.add_argument("--env", action="append", default=[], type=lambda s: tuple(s.split("=", 1)), help="NAME=VALUE for the platform")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    limit = raise_fd_limit()
    if limit < 2 * args.stations + 200:
        parser.error(f"the open-file limit is {limit}: too low for {args.stations} stations")
    results = []
    if args.only in (None, "platform"):
        results.append(bench_platform(args))
    if args.only in (None, "bare"):
        results.append(bench_bare(args))
    report(results, args)


if __name__ == "__main__":
    main()
