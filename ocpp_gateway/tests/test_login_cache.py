"""The verified-credential cache: a password verified once is not hashed again, even by a new process."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from conftest import STATION_PASSWORD
from ocpp_gateway.models import VerifiedCredential
from ocpp_gateway.tests.conftest import communicator
from stations.models import Station

pytestmark = pytest.mark.django_db(transaction=True)


async def login(identity: str = "CP-A-1", password: str = STATION_PASSWORD) -> bool:
    comm = communicator(identity, password=password)
    connected, _ = await comm.connect()
    if connected:
        await comm.disconnect()
    return connected


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The passwords checked against the slow hash."""
    calls: list[str] = []
    original = Station.check_password
    monkeypatch.setattr(Station, "check_password", lambda self, raw: calls.append(raw) or original(self, raw))
    return calls


async def test_the_first_login_is_hashed_and_remembered_in_the_database(station_a, hashed):
    assert await login()
    assert hashed == [STATION_PASSWORD]
    stored = await VerifiedCredential.objects.aget(station=station_a)
    # A keyed digest, never the password or an unkeyed hash of it.
    assert STATION_PASSWORD not in stored.digest and len(stored.digest) == 64
    assert await login()
    assert hashed == [STATION_PASSWORD]


async def test_a_wrong_password_is_refused_although_the_right_one_is_remembered(station_a, hashed):
    assert await login()
    assert not await login(password="not-the-password-0000")
    assert hashed == [STATION_PASSWORD, "not-the-password-0000"]
    assert await login()


async def test_a_changed_password_makes_the_remembered_one_useless(station_a, hashed):
    assert await login()
    await sync_to_async(station_a.set_password)("another-password-456")
    await station_a.asave(update_fields=["password_hash"])
    assert not await login()
    assert await login(password="another-password-456")
    assert hashed == [STATION_PASSWORD, STATION_PASSWORD, "another-password-456"]
    assert await login(password="another-password-456")
    assert len(hashed) == 3


async def test_a_digest_under_another_secret_key_is_not_trusted(station_a, hashed, settings):
    assert await login()
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert await login()
    # Verified against the slow hash again, then remembered under the new key.
    assert hashed == [STATION_PASSWORD, STATION_PASSWORD]
    assert await login()
    assert len(hashed) == 2
