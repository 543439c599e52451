"""Login admission: logins in arrival order, each served within LOGIN_MAX_WAIT or answered 503 unserved."""
from __future__ import annotations

import pytest

from conftest import STATION_PASSWORD
from ocpp_gateway import consumers
from ocpp_gateway.auth import LoginAdmission
from ocpp_gateway.tests.conftest import communicator
from stations.models import Station


def test_a_login_is_admitted_while_the_queue_ahead_can_be_served_in_time():
    admission = LoginAdmission(threads=2, max_wait=5.0)
    admission.service = 0.01  # 10 ms a login: two threads serve 1,000 logins in 5 s
    deadlines = [admission.admit(100.0) for _ in range(1000)]
    assert all(d == 105.0 for d in deadlines)
    assert admission.admit(100.0) is None  # the 1,001st would wait longer than 5 s
    # Served in order: each one served frees a place for a newcomer.
    assert admission.serve(deadlines[0], 100.5)
    assert admission.admit(100.5) == 105.5


def test_a_login_that_waited_past_its_deadline_is_not_served():
    admission = LoginAdmission(threads=2, max_wait=5.0)
    deadline = admission.admit(100.0)
    assert not admission.serve(deadline, 105.1)
    assert admission.waiting == 0


def test_the_service_time_follows_what_logins_cost():
    admission = LoginAdmission(threads=1, max_wait=1.0)
    for _ in range(100):
        admission.served(0.002)
    assert 0.0019 < admission.service < 0.0025


@pytest.mark.django_db(transaction=True)
async def test_a_login_arriving_behind_a_full_queue_is_answered_at_once_without_hashing(station_a, monkeypatch):
    checked = []
    monkeypatch.setattr(Station, "check_password", lambda self, raw: checked.append(raw) or True)
    full = LoginAdmission(threads=2, max_wait=5.0)
    full.waiting = 10_000
    monkeypatch.setattr(consumers, "_admission", full)
    connected, _ = await communicator("CP-A-1").connect()
    # Channels' test communicator has no denial extension: the refusal is a close before accept
    # (daphne via ocpp_gateway.server and uvicorn answer HTTP 503 with Retry-After).
    assert not connected and checked == []
    await station_a.arefresh_from_db()
    assert not station_a.last_connection_error  # shed, not refused: nothing to tell the operator

    monkeypatch.setattr(consumers, "_admission", LoginAdmission(threads=2))
    comm = communicator("CP-A-1", password=STATION_PASSWORD)
    assert (await comm.connect())[0]
    await comm.disconnect()
