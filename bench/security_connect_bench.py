"""What each security profile costs a connecting station: handshake and admission through nginx.

    .venv/bin/python bench/security_connect_bench.py               # 200 stations per profile
    .venv/bin/python bench/security_connect_bench.py --stations 50

Starts a platform (daphne, SQLite) and nginx with deploy/nginx-switch.conf on free loopback ports,
creates the stations, then for profile 1 (ws + Basic), 2 (wss + Basic) and 3 (wss + client
certificate) opens each station's websocket `--concurrency` at a time and measures the time from
TCP connect to the 101 answer (TLS handshake, nginx, daphne, the platform's admission). Reports
p50/p99 and connections per second. Each connection closes again at once: this is the cost of a
reconnect storm, not of holding sockets.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets  # noqa: E402

from certificates import pki  # noqa: E402
from simulator import basic_auth_header  # noqa: E402
from tests.servers import Platform, free_port, station_password  # noqa: E402
from tests.tls_servers import Nginx, client_context  # noqa: E402


async def connect_all(jobs: list[tuple[str, dict, object]], concurrency: int) -> tuple[list[float], float, int]:
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []
    failures = 0

    async def one(url: str, headers: dict, context) -> None:
        nonlocal failures
        async with gate:
            started = time.perf_counter()
            try:
                async with websockets.connect(url, ssl=context, subprotocols=["ocpp1.6"], additional_headers=headers, open_timeout=30):
                    times.append(time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - counted
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(*job) for job in jobs))
    return times, time.perf_counter() - started, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    nginx_port = free_port()
    platform = Platform.create(env={"OCPP_TRUSTED_PROXIES": "127.0.0.1", "OCPP_AUTH_FAILURES_PER_MINUTE": "100000"})
    nginx = None
    try:
        platform.manage("init_pki", "--hostname", "127.0.0.1")
        platform.start_daphne()
        nginx = Nginx.start(pki_dir=platform.var_dir / "pki", upstream_port=platform.port, port=nginx_port)
        paths = pki.PkiPaths(platform.var_dir / "pki")
        ca_pem = paths.ca_cert.read_bytes()
        ca_cert, ca_key = pki.load_certificate(ca_pem), pki.load_private_key(paths.ca_key.read_bytes())
        network = platform.api.ensure_network("Bench")["name"]
        stations = []
        for n in range(args.stations):
            identity, password = f"SEC-{n:05d}", station_password()
            platform.api.create_station(identity=identity, password=password, network=network)
            key = pki.generate_key()
            cert = pki.sign_csr(csr_pem=pki.build_csr(key=key, common_name=identity), ca_cert=ca_cert, ca_key=ca_key, identity=identity)
            stations.append((identity, password, client_context(ca_pem, cert_pem=pki.cert_pem(cert), key_pem=pki.key_pem(key))))
        tls_plain = client_context(ca_pem)
        profiles = {
            1: [(platform.ocpp_url + i, {"Authorization": basic_auth_header(i, p)}, None) for i, p, _ in stations],
            2: [(nginx.ocpp_url + i, {"Authorization": basic_auth_header(i, p)}, tls_plain) for i, p, _ in stations],
            3: [(nginx.ocpp_url + i, {}, ctx) for i, _, ctx in stations],
        }
        print(f"{args.stations} stations per profile, {args.concurrency} connecting at a time")
        for profile, jobs in profiles.items():
            asyncio.run(connect_all(jobs[:5], 5))  # warm-up: password hashes cached, TLS session cache
            times, elapsed, failures = asyncio.run(connect_all(jobs, args.concurrency))
            times.sort()
            p99 = times[max(0, int(len(times) * 0.99) - 1)] if times else float("nan")
            print(
                f"profile {profile}: {len(times)} connected, {failures} failed, {len(times) / elapsed:.0f} connects/s, "
                f"p50 {statistics.median(times) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
            )
    finally:
        if nginx is not None:
            nginx.stop()
        platform.stop()


if __name__ == "__main__":
    main()
