"""Fixtures shared by every test: personas per network, after healthchecks' alice, bob and charlie.

- superuser: Django superuser; the only one who changes other superusers
- account_admin: sees every network
- operator_a / viewer_a: members of network A
- operator_b: member of network B
"""
from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator

import pytest

from locations.models import Location
from networks.models import Membership, Network, User
from stations.models import Station
from stations.services import station_create

STATION_PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Human passwords hash with MD5 in tests; station passwords keep their own hasher, which
    # the gateway verifies against.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "stations.hashers.StationPasswordHasher",
    ]


@pytest.fixture
def network_a(db) -> Network:
    return Network.objects.create(name="Network A")


@pytest.fixture
def network_b(db) -> Network:
    return Network.objects.create(name="Network B")


def make_user(username: str, **fields) -> User:
    return User.objects.create_user(username=username, password="pw-" + username, **fields)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(username="root", password="pw-root")


@pytest.fixture
def account_admin(db) -> User:
    return make_user("alice", is_account_admin=True)


@pytest.fixture
def operator_a(network_a) -> User:
    user = make_user("bob")
    Membership.objects.create(user=user, network=network_a, role="operator")
    return user


@pytest.fixture
def viewer_a(network_a) -> User:
    user = make_user("victor")
    Membership.objects.create(user=user, network=network_a, role="viewer")
    return user


@pytest.fixture
def operator_b(network_b) -> User:
    user = make_user("charlie")
    Membership.objects.create(user=user, network=network_b, role="operator")
    return user


@pytest.fixture
def location_a(network_a) -> Location:
    return Location.objects.create(network=network_a, name="Depot A", country="NL", address="Kade 1, Utrecht")


@pytest.fixture
def location_b(network_b) -> Location:
    return Location.objects.create(network=network_b, name="Depot B", country="DE", address="Ring 2, Berlin")


@pytest.fixture
def station_a(network_a, location_a) -> Station:
    return station_create(
        network=network_a, location=location_a, identity="CP-A-1", name="Station A1", password=STATION_PASSWORD
    )


@pytest.fixture
def station_b(network_b, location_b) -> Station:
    return station_create(
        network=network_b, location=location_b, identity="CP-B-1", name="Station B1", password=STATION_PASSWORD
    )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> Iterator[None]:
    """The test database is a SQLite file in RAM, as the platform runs it (WAL, busy timeout).

    Django's default for tests, an in-memory database with a shared cache, answers a write that
    meets another thread's read with "database table is locked" at once: the busy timeout does not
    apply there. The gateway's threads (login, database, batch writers) meet that way in tests
    that connect two stations back to back; a file in WAL mode lets readers and a writer overlap
    and makes writers wait their turn, as in production.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    directory = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    name = os.path.join(directory, f"switch-test-{os.getpid()}.sqlite3")
    _remove_stale_test_databases(directory)
    database.setdefault("TEST", {})["NAME"] = name
    yield
    # Django deletes the database file; SQLite's WAL and shared-memory files are left to us.
    for leftover in (name, f"{name}-wal", f"{name}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)


def _remove_stale_test_databases(directory: str) -> None:
    """Files of earlier runs that were killed before their teardown (a RAM disk keeps them until reboot)."""
    for path in glob.glob(os.path.join(directory, "switch-test-*.sqlite3*")):
        pid = os.path.basename(path).split("-")[2].split(".")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        except PermissionError:
            pass  # another user's live run
