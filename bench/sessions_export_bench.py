"""Benchmark: export 1,000,000 charging sessions.

    .venv/bin/python bench/sessions_export_bench.py [--sessions 1000000] [--keep DIR] [--database-url URL]

Seeds a fresh SQLite file database (or an empty PostgreSQL one), migrated like production, with N
sessions by bulk SQL, then
measures, each in its own process so the figures are the exporter's alone:

1. `manage.py export_sessions --out FILE`: wall time and peak RSS (getrusage of the child);
2. the background export job (`sessions.services.export_run`, what the Celery task runs) into
   default_storage: wall time and peak RSS;
3. `/api/sessions/?format=csv` through a real daphne (`manage.py serve`): time to the first body
   byte and to the last, for the account admin (all rows) and a network member (scoped rows), and
   daphne's peak RSS (VmHWM) after both.

Targets: whole export < 30 s, peak memory < 200 MB, first byte < 1 s.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(REPO / "manage.py")
TARGET_SECONDS, TARGET_MB, TARGET_FIRST_BYTE = 30.0, 200.0, 1.0

SETUP_SCRIPT = """
from networks.models import Membership, Network, User
from locations.models import Location
from rest_framework.authtoken.models import Token
from stations.services import station_create
stations = []
for n in range(2):
    network = Network.objects.create(name=f"Bench {n}")
    for l in range(5):
        location = Location.objects.create(network=network, name=f"Site {n}-{l}", country="NL")
        for s in range(10):
            st = station_create(network=network, location=location, identity=f"CP-{n}-{l}-{s}", password="bench-password-1234")
            stations.append((st.pk, network.pk, location.pk))
admin = User.objects.create_user("bench-admin", password="x", is_account_admin=True)
member = User.objects.create_user("bench-member", password="x")
Membership.objects.create(user=member, network=Network.objects.get(name="Bench 0"), role="viewer")
print("ADMIN", Token.objects.create(user=admin).key)
print("MEMBER", Token.objects.create(user=member).key)
for row in stations:
    print("STATION", *row)
"""

JOB_SCRIPT = """
import time
from networks.models import User
from sessions.models import Export
from sessions.services import export_run
export = Export.objects.create(requested_by=User.objects.get(username="bench-admin"))
started = time.monotonic()
export_run(export_id=export.pk)
export.refresh_from_db()
print("JOB", export.status, export.row_count, export.file.name, round(time.monotonic() - started, 2))
"""


def env_for(var_dir: Path, database_url: str | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "VAR_DIR"))}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "switchplatform.settings",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url or f"sqlite:///{var_dir / 'db.sqlite3'}",
        "SECRET_KEY": "bench-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def run_with_rusage(args: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a child; return (wall seconds, CPU seconds, its own peak RSS in MB from wait4, output).

    CPU time is reported too because the machine is shared: wall time grows with other load,
    CPU time is what the export itself costs. ru_maxrss is KiB on Linux."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(args, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{text}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


COLUMNS = [
    "network_id", "location_id", "station_id", "ocpp_version", "transaction_id", "evse_id", "connector_id",
    "id_token", "id_token_type", "authorization_status", "status", "started_at", "ended_at", "meter_start_wh",
    "meter_stop_wh", "energy_wh", "peak_power_w", "stop_reason", "trigger_reason", "offline", "created_at",
    "updated_at",
]


def session_rows(stations: list[tuple[int, int, int]], count: int):
    """Sessions over one year, spread over the stations; the last 50 still active."""
    rng = random.Random(42)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    step = timedelta(days=365) / count
    reasons = ["EVDisconnected", "Local", "Remote", "=cmd|' /C calc'!A0", "PowerLoss"]
    for i in range(count):
        station_id, network_id, location_id = stations[i % len(stations)]
        begun = start + step * i
        ended = begun + timedelta(minutes=rng.randint(5, 600))
        energy = round(rng.uniform(0, 80_000), 1)
        active = i >= count - 50
        yield (
            network_id, location_id, station_id, "1.6" if i % 3 else "2.0.1", str(i + 1), 1 + i % 2, 1,
            f"TAG-{rng.randint(1, 20_000):05d}", "ISO14443", "Accepted", "active" if active else "completed",
            begun, None if active else ended, 0.0, energy, energy,
            rng.choice([3700.0, 7400.0, 11000.0, 22000.0]), "" if active else rng.choice(reasons), "", False,
            begun, ended,
        )


def seed_sqlite(db_path: Path, stations: list[tuple[int, int, int]], count: int) -> float:
    started = time.monotonic()
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    # Build the indexes once after the insert (a sort each) rather than row by row.
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'charging_sessions_session' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    sql = f"INSERT INTO charging_sessions_session ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # how Django stores datetimes in SQLite (UTC, no offset)

    def as_sqlite(row):
        return tuple(v.strftime(fmt) if isinstance(v, datetime) else v for v in row)

    rows = map(as_sqlite, session_rows(stations, count))
    while batch := list(islice(rows, 50_000)):
        db.executemany(sql, batch)
    for _, sql in indexes:
        db.execute(sql)
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()
    return time.monotonic() - started


def seed_postgres(url: str, stations: list[tuple[int, int, int]], count: int) -> float:
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url) as db:
        with db.cursor().copy(f"COPY charging_sessions_session ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in session_rows(stations, count):
                copy.write_row(row)
        db.execute("ANALYZE charging_sessions_session")
    return time.monotonic() - started


def database_mb(url: str | None, var_dir: Path) -> float:
    if url is None:
        return (var_dir / "db.sqlite3").stat().st_size / 2**20
    import psycopg

    with psycopg.connect(url) as db:
        return db.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("daphne did not start")


def download(port: int, token: str, query: dict[str, str]) -> tuple[float, float, int, int]:
    """(seconds to first body byte, seconds to last, bytes, lines) for a streamed CSV."""
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.monotonic()
    connection.request("GET", "/api/sessions/?" + urllib.parse.urlencode(query), headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"download answered {response.status}: {response.read()[:500]!r}")
    first = response.read1(1)
    first_byte = time.monotonic() - started
    size, lines = len(first), first.count(b"\n")
    while chunk := response.read1(256 * 1024):
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.monotonic() - started
    connection.close()
    return first_byte, total, size, lines


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", help="An empty PostgreSQL database (postgres://...) instead of the SQLite file; seeded with COPY"
    )
    parser.add_argument("--keep", help="Work in this directory and keep it (default: a temporary one, removed)")
    options = parser.parse_args()

    work = Path(options.keep) if options.keep else Path(tempfile.mkdtemp(prefix="sessions-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    var_dir = work / "var"
    var_dir.mkdir(exist_ok=True)
    env = env_for(var_dir, options.database_url)
    daphne = None
    try:
        subprocess.run([PYTHON, MANAGE, "migrate", "--noinput"], cwd=REPO, env=env, check=True, capture_output=True)
        setup = subprocess.run([PYTHON, MANAGE, "shell", "-c", SETUP_SCRIPT], cwd=REPO, env=env, check=True, capture_output=True, text=True)
        tokens = {line.split()[0]: line.split()[1] for line in setup.stdout.splitlines() if line.startswith(("ADMIN", "MEMBER"))}
        stations = [tuple(map(int, line.split()[1:])) for line in setup.stdout.splitlines() if line.startswith("STATION")]
        if options.database_url:
            seconds = seed_postgres(options.database_url, stations, options.sessions)
        else:
            seconds = seed_sqlite(var_dir / "db.sqlite3", stations, options.sessions)
        db_mb = database_mb(options.database_url, var_dir)
        print(f"seeded {options.sessions:,} sessions in {seconds:.1f} s (database {db_mb:.0f} MB)")

        out = work / "sessions.csv"
        print(f"load average before exporting: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        seconds, cpu, peak, text = run_with_rusage([PYTHON, MANAGE, "export_sessions", "--out", str(out)], env)
        exporting = float(text.rsplit(" in ", 1)[1].split()[0])
        lines = sum(1 for _ in out.open("rb")) - 1
        size = out.stat().st_size / 2**20
        print(
            f"export_sessions command: {lines:,} rows, {size:.0f} MB in {exporting:.1f} s "
            f"({lines / exporting:,.0f} rows/s; {seconds:.1f} s with Django start-up; process CPU {cpu:.1f} s), "
            f"peak RSS {peak:.0f} MB "
            f"[{verdict(seconds < TARGET_SECONDS and peak < TARGET_MB)}]"
        )
        out.unlink()

        seconds, cpu, peak, text = run_with_rusage([PYTHON, MANAGE, "shell", "-c", JOB_SCRIPT], env)
        job = next(line for line in text.splitlines() if line.startswith("JOB")).split()
        print(
            f"background export job (export_run into default_storage): {job[1]}, {int(job[2]):,} rows in "
            f"{float(job[4]):.1f} s (process {seconds:.1f} s, CPU {cpu:.1f} s), peak RSS {peak:.0f} MB "
            f"[{verdict(float(job[4]) < TARGET_SECONDS and peak < TARGET_MB)}]"
        )

        port = free_port()
        daphne = subprocess.Popen(
            [PYTHON, MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(port)
        # One small request first: the timings below are of the export, not of daphne's imports.
        download(port, tokens["ADMIN"], {"format": "csv", "station": "nothing"})
        for who, token in [("account admin, all networks", tokens["ADMIN"]), ("network member, one network", tokens["MEMBER"])]:
            cpu_before = cpu_seconds(daphne.pid)
            first, total, size, lines = download(port, token, {"format": "csv"})
            print(
                f"GET /api/sessions/?format=csv via daphne ({who}): first byte {first * 1000:.0f} ms "
                f"[{verdict(first < TARGET_FIRST_BYTE)}], {lines - 1:,} rows, {size / 2**20:.0f} MB in {total:.1f} s "
                f"(daphne CPU {cpu_seconds(daphne.pid) - cpu_before:.1f} s)"
            )
        first, total, _, lines = download(port, tokens["ADMIN"], {"format": "csv", "since": "2026-10-01"})
        print(f"  filtered (since=2026-10-01): first byte {first * 1000:.0f} ms, {lines - 1:,} rows in {total:.1f} s")
        peak = vm_hwm_mb(daphne.pid)
        print(f"daphne peak RSS after the downloads: {peak:.0f} MB [{verdict(peak < TARGET_MB)}]")
    finally:
        if daphne is not None:
            daphne.terminate()
            daphne.wait(10)
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"(benchmark driver itself: peak RSS {usage.ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
