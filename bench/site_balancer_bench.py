"""Benchmark: the site balancer with many stations at one location.

    .venv/bin/python bench/site_balancer_bench.py [--stations 200]

In a fresh SQLite file database: one location with a site limit and `--stations` stations on it
(shown as connected). Then, event by event as the gateway would trigger it: every session starts
(1.6 StartTransaction), a round of meter values in which every tenth EV draws far below its share,
and every session stops. After each event `smartcharging.services.location_rebalance` runs once (as
the debounced scheduler does) and its time is taken: the pure share computation and the whole
recompute (reads, shares, SetChargingProfile commands written). Commands are recorded but not
delivered (no gateway holds the stations' sockets here): delivery is the command life cycle's cost,
measured by bench/commands_bench.py.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, results: list) -> None:
    total = [r.total_seconds * 1000 for r in results]
    compute = [r.compute_seconds * 1000 for r in results]
    sent = [r.sent for r in results]
    print(
        f"{name}: {len(results)} events; recompute p50 {statistics.median(total):.1f} ms, p99 {percentile(total, 0.99):.1f} ms, "
        f"max {max(total):.1f} ms; of which share computation p50 {statistics.median(compute):.2f} ms, "
        f"max {max(compute):.2f} ms; profiles sent per event p50 {statistics.median(sent):.0f}, max {max(sent)}"
    )


def run(stations: int) -> None:
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    import commands.lifecycle
    from locations.models import Location
    from networks.models import Network
    from sessions import readings, services
    from sessions.models import MeterSample, Session
    from smartcharging.balancer import Demand, share_site_power
    from smartcharging.models import SiteLimit
    from smartcharging.services import location_rebalance
    from stations.models import Station
    from stations.services import station_create

    # Recorded, not delivered: nothing holds these stations' sockets.
    commands.lifecycle.command_queue = lambda *, command: None

    network = Network.objects.create(name="Bench")
    location = Location.objects.create(network=network, name="Depot", country="NL")
    # 11 kW each would need stations * 11 kW; the site has 60 % of that (6.6 kW a session when all charge).
    SiteLimit.objects.create(location=location, max_power_kw=stations * 11 * 0.6)
    fleet = [
        station_create(network=network, identity=f"SB-{i}", password="bench-password-1234", location=location)
        for i in range(stations)
    ]
    Station.objects.filter(pk__in=[s.pk for s in fleet]).update(channel_name="bench.connected")
    for station in fleet:
        station.channel_name = "bench.connected"
    location_rebalance(location_id=location.pk)  # the stations' default profiles, once

    t0 = datetime.now(UTC) - timedelta(hours=1)
    starts, transaction_ids = [], {}
    for index, station in enumerate(fleet):
        report_ = readings.start_transaction_report(
            connector_id=1, id_tag="TAG", meter_start=0, timestamp=(t0 + timedelta(seconds=index)).isoformat()
        )
        transaction_ids[station.pk], _ = services.transaction_start_v16(station=station, report=report_)
        starts.append(location_rebalance(location_id=location.pk))
    report(f"session start ({stations} stations, one after another)", starts)

    meters = []
    sessions = list(Session.objects.filter(location=location).order_by("pk"))
    # Taken after the stations applied their latest share (smartcharging.services.SETTLE_SECONDS).
    at = datetime.now(UTC) + timedelta(seconds=10)
    for index, session in enumerate(sessions):
        # Every tenth EV draws far below its share (a full battery): that frees power for the others.
        watts = 1500.0 if index % 10 == 0 else 6600.0
        MeterSample.objects.create(session=session, station_id=session.station_id, evse_id=1, timestamp=at, power_w=watts)
        if index % 10 == 0:
            meters.append(location_rebalance(location_id=location.pk))
    report(f"meter values changing the picture ({len(meters)} events)", meters)

    stops = []
    for station in fleet:
        report_ = readings.stop_transaction_report(
            transaction_id=transaction_ids[station.pk], meter_stop=1000, timestamp=datetime.now(UTC).isoformat(), reason="Local"
        )
        services.transaction_stop_v16(station=station, report=report_)
        stops.append(location_rebalance(location_id=location.pk))
    report("session stop", stops)

    demands = [Demand(key=i, max_w=22_080, min_w=4_140, priority=i % 3) for i in range(stations)]
    runs = 200
    begin = time.perf_counter()
    for _ in range(runs):
        share_site_power(limit_w=stations * 11_000 * 0.6, demands=demands)
    print(f"pure share computation alone, {stations} sessions: {(time.perf_counter() - begin) / runs * 1000:.2f} ms per call")
    print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx("run(options.stations)", globals(), locals(), "/tmp/sc/sb.prof")
            pstats.Stats("/tmp/sc/sb.prof").sort_stats("cumtime").print_stats(35)
        else:
            run(options.stations)
        return
    work = Path(tempfile.mkdtemp(prefix="site-balancer-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "VAR_DIR"))},
        "DJANGO_SETTINGS_MODULE": "switchplatform.settings",
        "VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "SECRET_KEY": "bench-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    try:
        subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "--noinput"], cwd=REPO, env=env, check=True, capture_output=True)
        subprocess.run([sys.executable, __file__, "--child", "--stations", str(options.stations)], cwd=REPO, env=env, check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
