"""Login throttling (django-axes) on the one login page, which the admin and the console share.

A username is locked out from one address after AXES_FAILURE_LIMIT wrong passwords, for the
cool-off only: the same user elsewhere still logs in, and failures during the lock-out do not
stretch it, so an attacker cannot keep a user out for good.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

LOGIN = "/admin/login/"
ATTACKER = "203.0.113.7"
USER_ADDRESS = "198.51.100.20"


@pytest.fixture(autouse=True)
def _throttle(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def attempt(client, username: str, password: str, address: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/console/"}, REMOTE_ADDR=address)


def lock_out(client, username: str, address: str = ATTACKER) -> None:
    for _ in range(3):
        attempt(client, username, "wrong-password", address)


def test_the_limit_locks_the_login_out_with_a_message(client, operator_a):
    first = attempt(client, "bob", "wrong-password", ATTACKER)
    assert first.status_code == 200 and "correct username and password" in first.content.decode()
    attempt(client, "bob", "wrong-password", ATTACKER)
    locked = attempt(client, "bob", "wrong-password", ATTACKER)
    assert locked.status_code == 429
    assert "Too many failed logins for bob" in locked.content.decode()
    assert "refused for 15 minutes" in locked.content.decode()
    # The right password is refused too while locked, and nobody is logged in.
    right = attempt(client, "bob", "pw-bob", ATTACKER)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_console_login_redirect_leads_to_the_same_throttled_page(client, operator_a):
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    lock_out(client, "bob")
    assert attempt(client, "bob", "pw-bob", ATTACKER).status_code == 429


def test_an_attacker_elsewhere_does_not_lock_the_user_out(client, operator_a):
    lock_out(client, "bob", ATTACKER)
    response = attempt(client, "bob", "pw-bob", USER_ADDRESS)
    assert response.status_code == 302 and response.url == "/console/"


def test_the_lock_out_ends_after_the_cool_off_even_if_the_attacker_keeps_trying(client, operator_a):
    lock_out(client, "bob")
    locked_at = AccessAttempt.objects.get().attempt_time
    # Keep failing during the lock-out: it must not extend it (the cool-off counts from locked_at).
    for _ in range(5):
        assert attempt(client, "bob", "wrong-password", ATTACKER).status_code == 429
    assert AccessAttempt.objects.get().attempt_time == locked_at
    # Sixteen minutes after the lock-out (the attempt's clock moved back instead of waiting).
    AccessAttempt.objects.update(attempt_time=locked_at - timedelta(minutes=16))
    response = attempt(client, "bob", "pw-bob", ATTACKER)
    assert response.status_code == 302 and response.url == "/console/"


def test_a_success_clears_earlier_failures(client, operator_a):
    attempt(client, "bob", "wrong-password", ATTACKER)
    attempt(client, "bob", "wrong-password", ATTACKER)
    assert attempt(client, "bob", "pw-bob", ATTACKER).status_code == 302
    client.logout()
    # Two more failures do not reach the limit: the count started again.
    attempt(client, "bob", "wrong-password", ATTACKER)
    attempt(client, "bob", "wrong-password", ATTACKER)
    assert attempt(client, "bob", "pw-bob", ATTACKER).status_code == 302
