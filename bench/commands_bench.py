"""Benchmark: the round trip of remote actions, from the API request until the station's answer is recorded.

    .venv/bin/python bench/commands_bench.py [--stations 50] [--actions 100] [--in-flight 1 5] [--daphnes 1]
                                             [--pool prefork --concurrency 2]

Starts what a Redis deployment runs, on loopback: redis-server, daphne (`manage.py serve`) and one
Celery worker (by default like `make worker`: prefork, concurrency 2), on a migrated SQLite file.
Connects N simulated stations (half OCPP 1.6, half 2.0.1, the `ocpp` library over websockets,
spread over the daphnes), lets them boot and finish the configuration read the platform starts
after boot, then sends the actions (UnlockConnector, round-robin over the stations) through
POST /api/charging_stations/<identity>/actions/unlock_connector/ with 1 or more requests in flight.

Per action it measures
- recorded: from just before the POST until the command's `answered_at` (the moment the consumer
  recorded the station's answer, same machine clock), and
- seen: until an API client polling GET /api/commands/<id>/ every 20 ms sees it final.

Targets: p50 < 50 ms, p99 < 250 ms (recorded).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers import Api, Platform, RedisServer, station_password  # noqa: E402

TARGET_P50_MS, TARGET_P99_MS = 50.0, 250.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


POLL_SECONDS = 0.02


def act_and_wait(api: Api, identity: str, params: dict) -> tuple[float, float, str, tuple[float, float, float]]:
    started_wall = datetime.now(UTC)
    started = time.perf_counter()
    sent = api.post(f"/api/charging_stations/{identity}/actions/unlock_connector/", json_body=params, expect=(201, 202)).json()
    command = sent
    while not command["final"]:
        time.sleep(POLL_SECONDS)
        command = api.get(f"/api/commands/{sent['id']}/", expect=200).json()
    seen = time.perf_counter() - started
    at = {k: datetime.fromisoformat(command[k]) for k in ("created_at", "sent_at", "answered_at")}
    recorded = (at["answered_at"] - started_wall).total_seconds()
    # Where the time went: request → row created → consumer claimed it (sent) → answer recorded.
    stages = (
        (at["created_at"] - started_wall).total_seconds(),
        (at["sent_at"] - at["created_at"]).total_seconds(),
        (at["answered_at"] - at["sent_at"]).total_seconds(),
    )
    return recorded, seen, command["status"], stages


async def run(args: argparse.Namespace) -> int:
    from ocpp_gateway.simulator import make_station

    root = Path(tempfile.mkdtemp(prefix="commands-bench-"))
    redis = RedisServer(root / "redis").start()
    platform = Platform.create(root / "platform", redis_url=redis.url(0), env={"OCPP_AUTH_FAILURES_PER_MINUTE": "100000"})
    stations = []
    try:
        for _ in range(args.daphnes):
            platform.start_daphne()
        platform.start_worker(pool=args.pool, concurrency=args.concurrency)
        api = platform.api
        network = api.ensure_network("Bench")["name"]
        for n in range(args.stations):
            version = "1.6" if n % 2 == 0 else "2.0.1"
            identity, password = f"BENCH-{n:03d}", station_password()
            api.create_station(identity=identity, password=password, network=network)
            daphne = platform.daphnes[n % len(platform.daphnes)]
            stations.append(make_station(version, identity=identity, password=password, url=daphne.ocpp_url))
        t0 = time.perf_counter()
        for sim in stations:
            await sim.connect()
        await asyncio.gather(*(sim.boot() for sim in stations))
        await asyncio.gather(*(sim.send_all_status() for sim in stations))
        # The platform reads each station's configuration after boot (GetConfiguration / GetBaseReport):
        # let that finish so the measured calls do not queue behind it.
        await asyncio.gather(
            *(sim.wait_for_request("GetConfiguration" if sim.ocpp_version == "1.6" else "GetBaseReport", timeout=60) for sim in stations)
        )
        await asyncio.sleep(3)
        print(f"{len(stations)} stations connected and booted in {time.perf_counter() - t0:.1f} s "
              f"({args.daphnes} daphne, worker {args.pool} x{args.concurrency}, Redis)")

        def params_for(n: int) -> tuple[str, dict]:
            sim = stations[n % len(stations)]
            params = {"connector_id": 1} if sim.ocpp_version == "1.6" else {"evse_id": 1, "connector_id": 1}
            return sim.identity, params

        # Warm-up: first requests pay for imports, connections and the worker's first task.
        for n in range(5):
            await asyncio.to_thread(act_and_wait, api, *params_for(n))

        failures = 0
        for in_flight in args.in_flight:
            queue = list(range(args.actions))
            results: list[tuple[float, float, str, tuple[float, float, float]]] = []

            async def client() -> None:
                while queue:
                    n = queue.pop(0)
                    results.append(await asyncio.to_thread(act_and_wait, api, *params_for(n)))

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(in_flight)))
            elapsed = time.perf_counter() - started
            recorded = [r[0] * 1000 for r in results]
            seen = [r[1] * 1000 for r in results]
            statuses = {r[2] for r in results}
            stage = [statistics.median(r[3][i] for r in results) * 1000 for i in range(3)]
            p50, p99 = percentile(recorded, 50), percentile(recorded, 99)
            ok = p50 < TARGET_P50_MS and p99 < TARGET_P99_MS and statuses == {"accepted"}
            failures += not ok
            print(
                f"in flight {in_flight}: {len(results)} actions in {elapsed:.2f} s; statuses {sorted(statuses)}\n"
                f"  recorded: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(recorded):.1f} ms, mean {statistics.mean(recorded):.1f} ms\n"
                f"  medians: request to row {stage[0]:.1f} ms, row to sent (broker, worker, channel layer) {stage[1]:.1f} ms, "
                f"sent to answer recorded {stage[2]:.1f} ms\n"
                f"  seen by a client polling every {POLL_SECONDS * 1000:.0f} ms: p50 {percentile(seen, 50):.1f} ms, p99 {percentile(seen, 99):.1f} ms\n"
                f"  target p50 < {TARGET_P50_MS:.0f} ms, p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}"
            )
        return 1 if failures else 0
    finally:
        for sim in stations:
            try:
                await sim.disconnect()
            except Exception:  # noqa: BLE001 - tearing down
                pass
        platform.stop()
        redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--actions", type=int, default=100)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 5], help="concurrent API clients, one run each")
    parser.add_argument("--daphnes", type=int, default=1)
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=2)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
