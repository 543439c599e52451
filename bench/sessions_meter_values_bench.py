"""Benchmark: the session services on the gateway's hot path.

    .venv/bin/python bench/sessions_meter_values_bench.py [--stations 200] [--rounds 10]

In a fresh SQLite file database (WAL, as `make run` uses), starts one 1.6 transaction per station,
then records a 1.6 MeterValues the way the gateway does (`sessions.readings.meter_report`, then
`meter_values_record`, here in batches of one; energy, power, current, SoC, as a real station sends them) for every
station, `--rounds` times, and 2.0.1 `transaction_event_v201` Updated events likewise. Prints the
per-call latency (p50, p99, max) and calls per second of one process: the cost the gateway pays per
MeterValues in database_sync_to_async.
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


def report(name: str, latencies: list[float], seconds: float) -> None:
    ms = [x * 1000 for x in latencies]
    print(
        f"{name}: {len(ms):,} calls in {seconds:.1f} s ({len(ms) / seconds:,.0f}/s); "
        f"p50 {statistics.median(ms):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, max {max(ms):.1f} ms"
    )


def run(stations: int, rounds: int) -> None:
    import django

    django.setup()
    from datetime import UTC, datetime, timedelta

    from networks.models import Network
    from sessions import readings, services
    from sessions.models import MeterSample, Session
    from stations.services import station_create

    network = Network.objects.create(name="Bench")
    fleet = [
        station_create(network=network, identity=f"MV-{i}", password="bench-password-1234") for i in range(stations * 2)
    ]
    v16, v201 = fleet[:stations], fleet[stations:]
    # Readings are checked against the clock (stations.bounds): the transactions start an hour ago.
    t0 = datetime.now(UTC) - timedelta(hours=1)
    tx16 = {
        s.pk: services.transaction_start_v16(
            station=s,
            report=readings.start_transaction_report(connector_id=1, id_tag="TAG", meter_start=0, timestamp=t0.isoformat()),
        )[0]
        for s in v16
    }
    for s in v201:
        services.transaction_event_v201(
            station=s,
            report=readings.transaction_event_report(payload={
                "eventType": "Started", "timestamp": t0.isoformat(), "triggerReason": "Authorized", "seqNo": 0,
                "transactionInfo": {"transactionId": f"T-{s.pk}"}, "evse": {"id": 1, "connectorId": 1},
                "idToken": {"idToken": "TAG", "type": "ISO14443"},
            }),
        )

    latencies: list[float] = []
    started = time.monotonic()
    for r in range(1, rounds + 1):
        stamp = (t0 + timedelta(seconds=10 * r)).isoformat().replace("+00:00", "Z")
        for s in v16:
            meter_value = [{"timestamp": stamp, "sampledValue": [
                {"value": str(r * 30), "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": "Sample.Periodic"},
                {"value": "11000", "measurand": "Power.Active.Import", "unit": "W", "context": "Sample.Periodic"},
                {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L1", "context": "Sample.Periodic"},
                {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L2", "context": "Sample.Periodic"},
                {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L3", "context": "Sample.Periodic"},
                {"value": str(20 + r), "measurand": "SoC", "unit": "Percent", "location": "EV", "context": "Sample.Periodic"},
            ]}]
            begin = time.perf_counter()
            # What the gateway does per frame: a bounded report, written by the batch writer (here a batch of one).
            frame = readings.meter_report(
                station=s, ocpp_version="1.6", evse_id=1, transaction_id=tx16[s.pk], meter_value=meter_value
            )
            services.meter_values_record(reports=[frame])
            latencies.append(time.perf_counter() - begin)
    report("1.6 MeterValues (with transactionId)", latencies, time.monotonic() - started)

    latencies = []
    started = time.monotonic()
    for r in range(1, rounds + 1):
        stamp = (t0 + timedelta(seconds=10 * r)).isoformat().replace("+00:00", "Z")
        for s in v201:
            payload = {
                "eventType": "Updated", "timestamp": stamp, "triggerReason": "MeterValuePeriodic", "seqNo": r,
                "transactionInfo": {"transactionId": f"T-{s.pk}", "chargingState": "Charging"},
                "meterValue": [{"timestamp": stamp, "sampledValue": [
                    {"value": r * 30, "measurand": "Energy.Active.Import.Register"},
                    {"value": 11000, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
                ]}],
            }
            begin = time.perf_counter()
            services.transaction_event_v201(station=s, report=readings.transaction_event_report(payload=payload))
            latencies.append(time.perf_counter() - begin)
    report("2.0.1 TransactionEvent Updated", latencies, time.monotonic() - started)
    print(f"({Session.objects.count():,} sessions, {MeterSample.objects.count():,} samples; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx("run(options.stations, options.rounds)", globals(), locals(), "/tmp/mv.prof")
            pstats.Stats("/tmp/mv.prof").sort_stats("tottime").print_stats(20)
        else:
            run(options.stations, options.rounds)
        return
    work = Path(tempfile.mkdtemp(prefix="sessions-mv-bench-"))
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
        subprocess.run(
            [sys.executable, __file__, "--child", "--stations", str(options.stations), "--rounds", str(options.rounds)],
            cwd=REPO, env=env, check=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
