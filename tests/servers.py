"""Real processes on free loopback ports, for end-to-end tests and the benchmarks.

Everything here talks to the platform the way a user or a station does: through `manage.py`
commands, HTTP (the API and the admin) and websockets. Nothing imports the platform's models, so
pytest-django's test database is never involved.

    platform = Platform.create(tmp_dir)          # migrated SQLite file + account admin + API token
    daphne = platform.start_daphne()             # `manage.py serve` on a free port
    platform.api.create_station(identity="CP-1", password="...", network="North")
    ...
    platform.stop()                              # kills every process it started

With `redis_url=` the platform runs on channels-redis and a Redis Celery broker, so a second
daphne (`platform.start_daphne()` again) and a worker (`platform.start_worker()`) share it.
"""
from __future__ import annotations

import atexit
import contextlib
import http.cookiejar
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(REPO_ROOT / "manage.py")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "e2e-admin-password-0001"
SECRET_KEY = "e2e-secret-key-" + "x" * 40

T = TypeVar("T")

# Every process started here, so a failing test can show their output and nothing outlives pytest.
_running: list[ServerProcess] = []
_running_lock = threading.Lock()


def running_processes() -> list[ServerProcess]:
    with _running_lock:
        return [p for p in _running if p.started]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    process: ServerProcess | None = None,
) -> T:
    """Poll until `predicate()` returns something truthy; fail with the process's output if it died."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - the last failure is reported below
            last_error = exc
        if process is not None and not process.is_running():
            raise RuntimeError(
                f"{process.name} exited with code {process.returncode} while waiting for {what}.\n{process.tail()}"
            )
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            logs = f"\n{process.tail()}" if process is not None else ""
            raise TimeoutError(f"Timed out after {timeout}s waiting for {what}{detail}{logs}")
        time.sleep(interval)


async def until(predicate: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """`wait_for` for async tests: the (blocking) predicate runs in a thread and the waiting yields, so
    simulated stations on the test's event loop keep answering the platform meanwhile."""
    import asyncio

    return await asyncio.to_thread(wait_for, predicate, timeout=timeout, what=what, interval=interval)


class ServerProcess:
    """A subprocess in its own process group, its stdout and stderr in one log file."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log_dir: Path, cwd: Path = REPO_ROOT):
        self.name = name
        self.args = args
        self.env = env
        self.cwd = cwd
        self.log_path = log_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.log"
        self.popen: subprocess.Popen | None = None

    @property
    def started(self) -> bool:
        return self.popen is not None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        # A session of its own: stop() signals the whole group (celery's pool children too) and
        # Ctrl-C in the terminal running pytest does not reach the servers before teardown does.
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._log = log
        with _running_lock:
            _running.append(self)
        return self

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.is_running():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, *, timeout: float = 5.0) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(5)
        # Children left behind in the group (a prefork pool) go too.
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()
        with _running_lock:
            if self in _running:
                _running.remove(self)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 80) -> str:
        text = self.output().splitlines()[-lines:]
        return f"--- {self.name} ({self.log_path}) ---\n" + "\n".join(text)

    def wait_for_output(self, pattern: str, *, timeout: float = 20.0) -> re.Match:
        regex = re.compile(pattern)
        return wait_for(lambda: regex.search(self.output()), timeout=timeout, what=f"{pattern!r} in {self.name}", process=self)


def _stop_everything() -> None:
    for process in reversed(running_processes()):
        process.stop(timeout=2)


atexit.register(_stop_everything)


# --- Redis -----------------------------------------------------------------------------------


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    _databases = itertools.count(0)

    def __init__(self, work_dir: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self.process = ServerProcess(
            f"redis-{self.port}",
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(work_dir),
                "--databases", "64",
            ],
            env=dict(os.environ),
            log_dir=work_dir,
        )

    def start(self) -> RedisServer:
        if not Path(REDIS_SERVER).exists():
            raise RuntimeError(f"redis-server not found at {REDIS_SERVER}: apt-get install redis-server")
        self.process.start()
        wait_for(self.ping, timeout=10, what="redis-server to answer PING", process=self.process)
        return self

    def command(self, *parts: str) -> bytes:
        payload = f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(payload.encode())
            return sock.recv(65536)

    def ping(self) -> bool:
        return self.command("PING").startswith(b"+PONG")

    def url(self, db: int | None = None) -> str:
        """A Redis URL; each call without `db` hands out a fresh database number, so platforms sharing
        this server never see each other's channel groups or tasks."""
        return f"redis://127.0.0.1:{self.port}/{next(self._databases) if db is None else db}"

    def stop(self) -> None:
        self.process.stop()


# --- HTTP: the API and the admin ----------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class HttpClient:
    """A tiny urllib client with a cookie jar (the admin) or a token (the API)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 20.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect: int | Iterable[int] | None = None,
    ) -> Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        data = None
        all_headers = {"Accept": "application/json"} if json_body is not None or form is None else {}
        if self.token:
            all_headers["Authorization"] = f"Token {self.token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                response = Response(resp.status, dict(resp.headers), resp.read(), resp.url)
        except urllib.error.HTTPError as err:
            response = Response(err.code, dict(err.headers), err.read(), url)
        if expect is not None:
            expected = {expect} if isinstance(expect, int) else set(expect)
            if response.status not in expected:
                raise AssertionError(f"{method} {url} answered {response.status}, expected {expected}: {response.text[:2000]}")
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw) -> Response:
        return self.request("PATCH", path, **kw)

    def put(self, path: str, **kw) -> Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw) -> Response:
        return self.request("DELETE", path, **kw)

    def csrf_token(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value
        raise AssertionError("no csrftoken cookie yet")


class Api(HttpClient):
    """The REST API as the account admin (or any token) sees it, with helpers for the usual set-up."""

    def create_network(self, name: str, **fields) -> dict:
        return self.post("/api/networks/", json_body={"name": name, **fields}, expect=201).json()

    def ensure_network(self, name: str) -> dict:
        found = self.get("/api/networks/", params={"name": name}, expect=200).json()["results"]
        return found[0] if found else self.create_network(name)

    def create_location(self, *, network: str, name: str, country: str = "NL", **fields) -> dict:
        body = {"network": network, "name": name, "country": country, **fields}
        return self.post("/api/locations/", json_body=body, expect=201).json()

    def create_station(self, *, identity: str, password: str, network: str, **fields) -> dict:
        body = {"identity": identity, "name": fields.pop("name", identity), "password": password, "network": network, **fields}
        return self.post("/api/charging_stations/", json_body=body, expect=201).json()

    def station(self, identity: str) -> dict:
        return self.get(f"/api/charging_stations/{identity}/", expect=200).json()

    def wait_for_station(self, identity: str, predicate: Callable[[dict], Any], *, timeout: float = 10.0, what: str = "") -> dict:
        """Poll the station's API representation until `predicate(station)` holds; return it."""
        last: dict = {}

        def check() -> dict | None:
            nonlocal last
            last = self.station(identity)
            return last if predicate(last) else None

        try:
            return wait_for(check, timeout=timeout, what=what or f"station {identity} to match")
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\nlast seen: {json.dumps(last, indent=1)[:3000]}") from None

    async def station_when(self, identity: str, predicate: Callable[[dict], Any], *, timeout: float = 10.0, what: str = "") -> dict:
        """`wait_for_station` for async tests: polls in a thread, so simulated stations keep running."""
        import asyncio

        return await asyncio.to_thread(self.wait_for_station, identity, predicate, timeout=timeout, what=what)

    def results(self, path: str, **params) -> list[dict]:
        """Every item of a paginated list endpoint."""
        items: list[dict] = []
        url: str | None = path
        query: dict[str, Any] | None = params or None
        while url:
            page = self.get(url, params=query, expect=200).json()
            if isinstance(page, list):
                return page
            items.extend(page["results"])
            url, query = page.get("next"), None
        return items


class AdminBrowser(HttpClient):
    """The Django admin over plain HTTP with a logged-in session: for asserting what a page shows."""

    def login(self, username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> AdminBrowser:
        self.get("/admin/login/", expect=200)
        resp = self.post(
            "/admin/login/?next=/admin/",
            form={"username": username, "password": password, "csrfmiddlewaretoken": self.csrf_token(), "next": "/admin/"},
            headers={"Referer": f"{self.base_url}/admin/login/"},
        )
        if resp.status != 200 or "/admin/login/" in resp.url:
            raise AssertionError(f"admin login as {username} failed ({resp.status}): {resp.text[:500]}")
        return self

    def station_change_url(self, identity: str) -> str:
        """The station's admin page, found the way an operator does: by searching the station list."""
        listing = self.get("/admin/stations/station/", params={"q": identity}, expect=200).text
        match = re.search(r'href="(/admin/stations/station/(\d+)/change/[^"]*)"', listing)
        if not match or identity not in listing:
            raise AssertionError(f"station {identity} not found in the admin station list")
        return match.group(1).split("?")[0]

    def station_pk(self, identity: str) -> int:
        return int(re.search(r"/(\d+)/change/", self.station_change_url(identity)).group(1))

    def page(self, path: str) -> str:
        return self.get(path, expect=200).text

    def submit(self, path: str, form: dict[str, str], **kw) -> Response:
        self.get(path, expect=200)
        body = {"csrfmiddlewaretoken": self.csrf_token(), **form}
        return self.post(path, form=body, headers={"Referer": f"{self.base_url}{path}"}, **kw)


# --- The platform ----------------------------------------------------------------------------------


class Daphne:
    """`manage.py serve` (daphne) for one platform on its own port."""

    def __init__(self, platform: Platform, port: int):
        self.platform = platform
        self.port = port
        self.process = ServerProcess(
            f"daphne-{port}",
            [PYTHON, MANAGE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=platform.env,
            log_dir=platform.root,
        )

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/"

    def start(self, *, timeout: float = 30.0, listening_only: bool = False) -> Daphne:
        """Start and wait until Django answers a page; ``listening_only``: until the port accepts.

        A restart into a reconnect storm (bench/storm_bench.py) waits for the port only: a page
        request queues behind thousands of stations' handshakes in the listen backlog."""
        self.process.start()

        def ready() -> bool:
            if listening_only:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                    return True
            return HttpClient(self.http_url, timeout=2).get("/admin/login/").status == 200

        wait_for(ready, timeout=timeout, what=f"daphne on port {self.port}", interval=0.1, process=self.process)
        return self

    def stop(self) -> None:
        self.process.stop(timeout=3)


_TEMPLATE_LOCK = threading.Lock()
_TEMPLATES: dict[str, Path] = {}


def _migrations_fingerprint() -> str:
    """Changes whenever a migration file does, so a cached template database is never stale."""
    parts = []
    for path in sorted(REPO_ROOT.glob("*/migrations/*.py")):
        stat = path.stat()
        parts.append(f"{path.relative_to(REPO_ROOT)}:{stat.st_size}:{stat.st_mtime_ns}")
    return str(hash("|".join(parts)))


class Platform:
    """One installation: a VAR_DIR, a SQLite file, optionally a Redis URL, and the processes serving it.

    `Platform.create()` migrates once per test session (a template database file is copied for
    each further platform), creates the account admin `admin` and an API token for it.
    """

    def __init__(self, root: Path, *, redis_url: str | None = None, env: dict[str, str] | None = None, port: int | None = None):
        self.root = root
        self.var_dir = root / "var"
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.var_dir / "db.sqlite3"
        self.redis_url = redis_url
        # The first daphne's port is chosen now: OCPP_PUBLIC_URL, which the platform shows to
        # operators, must name it.
        self.port = port or free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "OCPP_", "VAR_DIR", "SECRET_KEY"))}
        self.env: dict[str, str] = {
            **base,
            "DJANGO_SETTINGS_MODULE": "switchplatform.settings",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO_ROOT),
            "VAR_DIR": str(self.var_dir),
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "SECRET_KEY": SECRET_KEY,
            "OCPP_PUBLIC_URL": f"ws://127.0.0.1:{self.port}/ocpp/",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SUPERUSER_USERNAME": ADMIN_USERNAME,
            "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
            "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
        }
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.env.update(env or {})
        self.token: str = ""
        self.daphnes: list[Daphne] = []
        self.workers: list[ServerProcess] = []
        self._api: Api | None = None
        self._admin: AdminBrowser | None = None

    # -- set-up

    @classmethod
    def create(cls, root: Path | None = None, **kwargs) -> Platform:
        root = root or Path(tempfile.mkdtemp(prefix="switch-e2e-"))
        platform = cls(root, **kwargs)
        platform.install()
        return platform

    def manage(self, *args: str, timeout: float = 180, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [PYTHON, MANAGE, *args],
            cwd=REPO_ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def install(self) -> None:
        template = self._template()
        # The WAL file, if the last process did not checkpoint it, holds committed rows too; the
        # shared-memory index is rebuilt from it on first open.
        for suffix in ("", "-wal"):
            if (template / f"db.sqlite3{suffix}").exists():
                shutil.copyfile(template / f"db.sqlite3{suffix}", f"{self.db_path}{suffix}")
        self.token = (template / "token").read_text().strip()

    def _template(self) -> Path:
        """A migrated database with the account admin and its token, built once per fingerprint."""
        key = _migrations_fingerprint()
        with _TEMPLATE_LOCK:
            if key in _TEMPLATES:
                return _TEMPLATES[key]
            template = Path(tempfile.mkdtemp(prefix="switch-e2e-template-"))
            env = {"VAR_DIR": str(template), "DATABASE_URL": f"sqlite:///{template / 'db.sqlite3'}"}
            # Migrations run without Redis: they never touch the channel layer or the broker.
            env_no_redis = {**env, "REDIS_URL": ""}
            self.manage("migrate", "--noinput", env=env_no_redis)
            self.manage("ensure_account_admin", env=env_no_redis)
            out = self.manage("drf_create_token", ADMIN_USERNAME, env=env_no_redis).stdout
            match = re.search(r"\b([0-9a-f]{40})\b", out)
            if not match:
                raise RuntimeError(f"no token in drf_create_token output: {out!r}")
            (template / "token").write_text(match.group(1))
            _TEMPLATES[key] = template
            return template

    # -- processes

    def start_daphne(self, *, port: int | None = None, timeout: float = 30.0, listening_only: bool = False) -> Daphne:
        """Start a daphne. The first one listens on `self.port` (the one OCPP_PUBLIC_URL names)."""
        if port is None:
            port = self.port if not any(d.port == self.port for d in self.daphnes) else free_port()
        daphne = Daphne(self, port)
        self.daphnes.append(daphne)
        return daphne.start(timeout=timeout, listening_only=listening_only)

    def start_worker(self, *, pool: str = "solo", concurrency: int = 1, timeout: float = 60.0) -> ServerProcess:
        """A Celery worker against this platform's Redis broker (needs `redis_url`)."""
        if not self.redis_url:
            raise RuntimeError("a Celery worker needs a platform created with redis_url=...")
        name = f"worker{len(self.workers) + 1}-{self.port}"
        worker = ServerProcess(
            f"celery-{name}",
            [
                str(Path(PYTHON).parent / "celery"), "-A", "switchplatform", "worker",
                "-P", pool, "--concurrency", str(concurrency),
                "--loglevel", "INFO", "-n", f"{name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            env=self.env,
            log_dir=self.root,
        )
        self.workers.append(worker)
        worker.start()
        worker.wait_for_output(r"\bready\.", timeout=timeout)
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop(timeout=5)
        for daphne in self.daphnes:
            daphne.stop()
        self.workers.clear()
        self.daphnes.clear()

    def processes(self) -> list[ServerProcess]:
        return [d.process for d in self.daphnes] + list(self.workers)

    # -- what users see

    @property
    def daphne(self) -> Daphne:
        if not self.daphnes:
            raise RuntimeError("no daphne started: call start_daphne() first")
        return self.daphnes[0]

    @property
    def http_url(self) -> str:
        return self.daphne.http_url

    @property
    def ocpp_url(self) -> str:
        return self.daphne.ocpp_url

    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.http_url, token=self.token)
        return self._api

    def admin(self) -> AdminBrowser:
        """A logged-in admin session (logging in hashes the password: done once per platform)."""
        if self._admin is None:
            self._admin = AdminBrowser(self.http_url).login()
        return self._admin


_identities = itertools.count(1)


def unique_identity(prefix: str = "CP") -> str:
    """A station identity no other test of this session uses (the platform's database is shared)."""
    return f"{prefix}-{os.getpid() % 10000}-{next(_identities):04d}-{secrets.token_hex(2)}"


# Letters and digits only: a URL-safe token starts with "-" one time in 64, and then
# `simulate_station ID --password -x...` reads it as an option ("expected one argument").
SECRET_ALPHABET = string.ascii_letters + string.digits


def random_secret(length: int = 20) -> str:
    """A random secret that cannot be mistaken for a command-line option."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(length))


def station_password() -> str:
    """A valid station password: 20 bytes, the size Zaptec and OCPP 1.6 AuthorizationKey want."""
    return random_secret(20)


# --- Stations -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def simulated_station(ocpp_version: str, *, identity: str, password: str, url: str, boot: bool = True, **kwargs):
    """A connected (and by default booted, status-reporting) simulated station, disconnected on exit."""
    from simulator import make_station

    station = make_station(ocpp_version, identity=identity, password=password, url=url, **kwargs)
    await station.connect()
    try:
        if boot:
            await station.boot()
            await station.send_all_status()
        yield station
    finally:
        await station.disconnect()
    # Every request the platform sent passed the OCA schema and was one a station takes.
    assert not station.errors_sent, f"the station answered the platform with CALLERRORs: {station.errors_sent}"


class RawStation:
    """A station's websocket without the `ocpp` library: for frames no well-behaved station sends."""

    def __init__(self, websocket):
        self.websocket = websocket
        self._ids = itertools.count(1)

    @classmethod
    async def open(cls, url: str, *, identity: str, password: str, ocpp_version: str = "1.6") -> RawStation:
        from simulator import SUBPROTOCOLS, open_websocket

        websocket = await open_websocket(url + identity, identity=identity, password=password, subprotocols=[SUBPROTOCOLS[ocpp_version]])
        return cls(websocket)

    async def send(self, frame: str | bytes | list) -> None:
        await self.websocket.send(json.dumps(frame) if isinstance(frame, list) else frame)

    async def recv(self, timeout: float = 5.0) -> list:
        import asyncio

        return json.loads(await asyncio.wait_for(self.websocket.recv(), timeout))

    async def call(self, action: str, payload: dict, *, unique_id: str | None = None, timeout: float = 5.0) -> list:
        """Send a CALL and return the reply to it (skipping requests the platform sends meanwhile)."""
        unique_id = unique_id or f"raw-{next(self._ids)}"
        await self.send([2, unique_id, action, payload])
        while True:
            frame = await self.recv(timeout)
            if frame[0] in (3, 4) and frame[1] == unique_id:
                return frame

    async def close(self) -> None:
        await self.websocket.close()
