"""Fixtures for end-to-end tests: real redis-server, daphne and Celery processes on loopback.

- `platform`: one embedded-default installation (SQLite file, in-memory channel layer) with a
  daphne, shared by the whole session. Tests create their own stations with unique identities.
- `redis_server`: one redis-server for the session. `redis_platform`: an installation on
  channels-redis and the Redis broker with one daphne; call `redis_platform.ensure_worker()` (or
  `start_worker()` / `start_daphne()`) for more processes.
- `make_platform(**kwargs)`: a fresh installation for tests that need their own settings; stopped
  at the end of the test.
- `api` / `admin`: the account admin's API client and logged-in admin browser for `platform`.
- `new_station(...)`: creates a station through the API and returns its identity, password and URL.

Each process's output is appended to a failing test's report.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import (
    AdminBrowser,
    Api,
    Platform,
    RedisServer,
    running_processes,
    station_password,
    unique_identity,
)


METRICS_TOKEN = "e2e-metrics-token"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and call.when in ("setup", "call"):
        for process in running_processes():
            report.sections.append((f"{process.name} output", process.tail(60)))
    return report


class RedisPlatform(Platform):
    def ensure_worker(self):
        """One Celery worker for the session, started on first use."""
        alive = [w for w in self.workers if w.is_running()]
        return alive[0] if alive else self.start_worker()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> Iterator[Platform]:
    # Every test connects from 127.0.0.1: the per-address login throttle would let one module's
    # deliberate refusals lock out the next module's stations. Its own test sets it low.
    # METRICS_TOKEN: tests/test_metrics_e2e.py scrapes /metrics as Prometheus would.
    instance = Platform.create(
        tmp_path_factory.mktemp("platform"),
        # Every refused test login comes from 127.0.0.1 too: the Unknown stations page must list each.
        env={"OCPP_AUTH_FAILURES_PER_MINUTE": "10000", "REFUSED_IDENTITIES_PER_ADDRESS_MINUTE": "10000",
             "METRICS_TOKEN": METRICS_TOKEN},
    )
    try:
        instance.start_daphne()
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def redis_platform(tmp_path_factory, redis_server) -> Iterator[RedisPlatform]:
    instance = RedisPlatform.create(tmp_path_factory.mktemp("redis-platform"), redis_url=redis_server.url())
    try:
        instance.start_daphne()
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def make_platform(tmp_path_factory, request) -> Iterator[Callable[..., Platform]]:
    """Build a platform with its own settings: `make_platform(env={...}, redis=True, daphne=True)`."""
    created: list[Platform] = []

    def factory(*, redis: bool = False, daphne: bool = True, env: dict[str, str] | None = None) -> Platform:
        redis_url = request.getfixturevalue("redis_server").url() if redis else None
        instance = RedisPlatform.create(tmp_path_factory.mktemp("platform"), redis_url=redis_url, env=env)
        created.append(instance)
        if daphne:
            instance.start_daphne()
        return instance

    yield factory
    for instance in created:
        instance.stop()


@pytest.fixture(scope="session")
def api(platform) -> Api:
    return platform.api


@pytest.fixture(scope="session")
def admin(platform) -> AdminBrowser:
    return platform.admin()


@pytest.fixture(scope="session")
def e2e_network(platform) -> str:
    """The name of a network on `platform` for stations that need no particular one."""
    return platform.api.ensure_network("E2E")["name"]


@dataclass
class NewStation:
    identity: str
    password: str
    url: str  # the CSMS URL without the identity, as the simulator takes it
    network: str
    created: dict

    @property
    def connection_url(self) -> str:
        return self.url + self.identity


@pytest.fixture
def new_station(platform, e2e_network) -> Callable[..., NewStation]:
    """Create a station through the API, as an operator would: `new_station(prefix="CP", **fields)`."""

    def create(prefix: str = "CP", *, target: Platform | None = None, network: str | None = None, password: str | None = None, **fields) -> NewStation:
        target = target or platform
        network = network or (e2e_network if target is platform else target.api.ensure_network("E2E")["name"])
        identity = unique_identity(prefix)
        password = password or station_password()
        created = target.api.create_station(identity=identity, password=password, network=network, **fields)
        return NewStation(identity=identity, password=password, url=target.ocpp_url, network=network, created=created)

    return create


def pytest_collection_modifyitems(config, items) -> None:
    # Everything under tests/ starts real processes.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
