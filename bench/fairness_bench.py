"""Fairness benchmark (issue 12): does a flooding station move the other stations' heartbeat p99?

    .venv/bin/python bench/fairness_bench.py                    # 50 stations, 2 flooders, 20 s per phase
    .venv/bin/python bench/fairness_bench.py --unlimited        # the same with OCPP_RATE_LIMIT=0, for comparison

Starts a platform (`manage.py serve`, SQLite) on loopback with the default rate limit settings
(OCPP_RATE_LIMIT / OCPP_RATE_BURST / OCPP_RATE_LIMIT_CLOSE_AFTER, overridable with --rate etc.) and:
1. quiet: `--stations` booted 1.6 stations each send a Heartbeat every `--interval` s for `--seconds`
   s: p50 / p99 / max of CALL -> CALLRESULT;
2. flood: the same, while `--flooders` stations (in another process, so the measuring loop is not
   the flooders' client) pipeline Heartbeats as fast as their socket takes them: the neighbours'
   p50 / p99 / max again, and the frames per second each flooder got answered.
Then the login refusal time (median of `--logins` attempts) for a known identity with a wrong
password and for an unknown identity: refusals must not tell identities apart.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

PASSWORD = "bench-password-0123456"


def basic(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def open_station(url: str, identity: str):
    import websockets

    ws = await websockets.connect(
        url + identity, subprotocols=["ocpp1.6"], additional_headers=basic(identity, PASSWORD),
        open_timeout=30, compression=None, ping_interval=None, max_size=2**20,
    )
    await ws.send(json.dumps([2, "boot", "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Fair-1"}]))
    while True:
        frame = json.loads(await ws.recv())
        if frame[0] == 3 and frame[1] == "boot":
            return ws


async def heartbeats(ws, *, interval: float, until: float, rtts: list[float], offset: float) -> None:
    """One Heartbeat every `interval` s; the platform's own requests (GetConfiguration) are answered."""
    await asyncio.sleep(offset)
    n = 0
    while time.monotonic() < until:
        n += 1
        unique_id = f"hb{n}"
        started = time.monotonic()
        await ws.send(json.dumps([2, unique_id, "Heartbeat", {}]))
        while True:
            frame = json.loads(await ws.recv())
            if frame[0] == 2:  # a request from the platform: answer it empty-handed
                await ws.send(json.dumps([3, frame[1], {"configurationKey": [], "unknownKey": []} if frame[2] == "GetConfiguration" else {}]))
                continue
            if frame[1] == unique_id:
                rtts.append((time.monotonic() - started) * 1000)
                break
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


def flood_process(url: str, identity: str, seconds: float, result: mp.Queue) -> None:
    async def run() -> None:
        import websockets

        ws = await open_station(url, identity)
        answered = 0
        stop = time.monotonic() + seconds
        closed = None

        async def send() -> None:
            n = 0
            while time.monotonic() < stop:
                n += 1
                await ws.send(json.dumps([2, f"f{n}", "Heartbeat", {}]))

        async def read() -> None:
            nonlocal answered
            while True:
                frame = json.loads(await ws.recv())
                if frame[0] == 3:
                    answered += 1

        tasks = [asyncio.create_task(send()), asyncio.create_task(read())]
        try:
            await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
        except websockets.ConnectionClosed:
            pass
        for task in tasks:
            task.cancel()
        closed = ws.close_code
        result.put((identity, answered / seconds, closed))
        await ws.close()

    asyncio.run(run())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def show(label: str, rtts: list[float]) -> None:
    print(f"  {label:<28} n={len(rtts):5d}  p50 {percentile(rtts, 0.5):7.1f} ms  p99 {percentile(rtts, 0.99):7.1f} ms  max {max(rtts):7.1f} ms")


async def refusal_times(url: str, known: str, count: int) -> tuple[float, float]:
    import websockets

    async def attempt(identity: str, n: int) -> float:
        started = time.monotonic()
        try:
            ws = await websockets.connect(url + identity, subprotocols=["ocpp1.6"], additional_headers=basic(identity, f"wrong-password-{n:06d}"), open_timeout=30)
            await ws.close()
            raise SystemExit("a wrong password was accepted")
        except websockets.InvalidStatus as refused:
            assert refused.response.status_code == 401, refused.response.status_code
        return (time.monotonic() - started) * 1000

    known_ms, unknown_ms = [], []
    for n in range(count):
        known_ms.append(await attempt(known, n))
        unknown_ms.append(await attempt(f"NOBODY-{n:05d}", n))
    return statistics.median(known_ms), statistics.median(unknown_ms)


async def measure(url: str, identities: list[str], flooders: list[str], args) -> None:
    stations = [await open_station(url, identity) for identity in identities]
    quiet: list[float] = []
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(
        heartbeats(ws, interval=args.interval, until=until, rtts=quiet, offset=i * args.interval / len(stations))
        for i, ws in enumerate(stations)
    ))
    ctx = mp.get_context("spawn")
    results: mp.Queue = ctx.Queue()
    processes = [ctx.Process(target=flood_process, args=(url, identity, args.seconds + 3, results)) for identity in flooders]
    for process in processes:
        process.start()
    await asyncio.sleep(3)  # the flooders connect, boot and spend their burst
    flooded: list[float] = []
    until = time.monotonic() + args.seconds
    await asyncio.gather(*(
        heartbeats(ws, interval=args.interval, until=until, rtts=flooded, offset=i * args.interval / len(stations))
        for i, ws in enumerate(stations)
    ))
    flood_results = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
    print(f"neighbours' Heartbeat round trip, {len(stations)} stations, one every {args.interval:g} s, {args.seconds:g} s per phase:")
    show("quiet", quiet)
    show(f"with {len(flooders)} flooder(s)", flooded)
    print(f"  p99 ratio flooded / quiet: {percentile(flooded, 0.99) / percentile(quiet, 0.99):.2f}")
    for identity, rate, closed in flood_results:
        print(f"  flooder {identity}: {rate:.1f} frames/s answered, close code {closed}")
    for ws in stations:
        await ws.close()
    known_ms, unknown_ms = await refusal_times(url, identities[0], args.logins)
    print(f"login refusal median over {args.logins}: known identity, wrong password {known_ms:.1f} ms; unknown identity {unknown_ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--flooders", type=int, default=2)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--logins", type=int, default=15)
    parser.add_argument("--rate", type=int, help="OCPP_RATE_LIMIT (default: the platform's)")
    parser.add_argument("--burst", type=int, help="OCPP_RATE_BURST")
    parser.add_argument("--close-after", type=int, help="OCPP_RATE_LIMIT_CLOSE_AFTER")
    parser.add_argument("--unlimited", action="store_true", help="OCPP_RATE_LIMIT=0: no per-station limit")
    args = parser.parse_args()

    from tests.servers import Platform

    env = {"OCPP_AUTH_FAILURES_PER_MINUTE": "10000"}
    for name, value in (("OCPP_RATE_LIMIT", 0 if args.unlimited else args.rate), ("OCPP_RATE_BURST", args.burst),
                        ("OCPP_RATE_LIMIT_CLOSE_AFTER", args.close_after)):
        if value is not None:
            env[name] = str(value)
    with tempfile.TemporaryDirectory(prefix="fairness-bench-") as tmp:
        platform = Platform.create(Path(tmp), env=env)
        try:
            platform.start_daphne()
            platform.api.create_network("Bench")
            identities = [f"FAIR-{n:04d}" for n in range(args.stations)]
            flooders = [f"FLOOD-{n:02d}" for n in range(args.flooders)]
            for identity in identities + flooders:
                platform.api.create_station(identity=identity, password=PASSWORD, network="Bench")
            limits = ", ".join(f"{k}={v}" for k, v in env.items() if k.startswith("OCPP_RATE")) or "defaults"
            print(f"platform on {platform.ocpp_url} (rate limit: {limits})", flush=True)
            asyncio.run(measure(platform.ocpp_url, identities, flooders, args))
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
