"""The stuck-command sweeper's deadlines and the 503 a task-queue outage answers.

The faults themselves (Redis restarts, killed workers and nodes) are exercised end to end in
tests/test_faults_e2e.py; here, each deadline on its own, to the second.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from commands.models import Command, CommandStatus
from commands.recovery import QUEUE_DOWN_ERROR, SWEEP_GRACE_SECONDS, CommandNotQueued, commands_fail_stuck
from commands.services import WAIT_GRACE_SECONDS
from switchplatform.broker import BrokerUnavailableMiddleware

pytestmark = pytest.mark.django_db


def _command(station, *, age: float, status: str = CommandStatus.QUEUED, sent_age: float | None = None, **fields) -> Command:
    now = timezone.now()
    command = Command.objects.create(station=station, action="clear_cache", parameters={}, status=status, **fields)
    Command.objects.filter(pk=command.pk).update(
        created_at=now - timedelta(seconds=age),
        sent_at=None if sent_age is None else now - timedelta(seconds=sent_age),
    )
    return command


def _status(command: Command) -> tuple[str, str]:
    command.refresh_from_db()
    return command.status, command.error


def test_a_sent_command_past_its_call_deadline_times_out_with_the_reason(station_a, settings):
    settings.OCPP_CALL_TIMEOUT = 30
    deadline = 30 + WAIT_GRACE_SECONDS + SWEEP_GRACE_SECONDS
    stale = _command(station_a, age=deadline + 5, status=CommandStatus.SENT, sent_age=deadline + 1)
    fresh = _command(station_a, age=deadline + 5, status=CommandStatus.SENT, sent_age=deadline - 5)

    assert commands_fail_stuck() == 1
    status, error = _status(stale)
    assert status == CommandStatus.TIMED_OUT
    assert "No answer recorded within 30 s" in error and "sweeper" in error
    assert _status(fresh) == (CommandStatus.SENT, "")


def test_a_queued_command_no_worker_took_fails_after_the_queue_timeout(station_a, settings):
    settings.COMMAND_QUEUE_TIMEOUT = 120
    stale = _command(station_a, age=121)
    fresh = _command(station_a, age=100)

    assert commands_fail_stuck() == 1
    status, error = _status(stale)
    assert status == CommandStatus.FAILED
    assert "Not delivered within 120 s" in error and "Nothing reached the station" in error
    assert _status(fresh) == (CommandStatus.QUEUED, "")


def test_held_resets_wait_and_a_released_one_counts_from_its_release(station_a, settings):
    settings.COMMAND_QUEUE_TIMEOUT = 120
    held = _command(station_a, age=3600, waiting_for_idle=True)
    released = _command(station_a, age=3600, idle_at=timezone.now() - timedelta(seconds=10))
    released_long_ago = _command(station_a, age=3600, idle_at=timezone.now() - timedelta(seconds=200))

    assert commands_fail_stuck() == 1
    assert _status(held)[0] == CommandStatus.QUEUED
    assert _status(released)[0] == CommandStatus.QUEUED
    assert _status(released_long_ago)[0] == CommandStatus.FAILED


def test_final_commands_are_never_touched(station_a):
    answered = _command(station_a, age=3600, status=CommandStatus.ACCEPTED, sent_age=3600)
    assert commands_fail_stuck() == 0
    assert _status(answered) == (CommandStatus.ACCEPTED, "")


def _outage(path: str, accept: str = "") -> HttpResponse:
    request = RequestFactory().post(path, HTTP_ACCEPT=accept)
    middleware = BrokerUnavailableMiddleware(lambda r: HttpResponse())
    return middleware.process_exception(request, CommandNotQueued(QUEUE_DOWN_ERROR, command_id=42))


def test_an_outage_answers_the_api_503_with_the_reason_and_the_command():
    response = _outage("/api/charging_stations/CP-1/actions/reset/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert json.loads(response.content) == {"detail": QUEUE_DOWN_ERROR, "command": 42}


def test_an_outage_answers_a_page_503_with_the_reason_escaped():
    response = _outage("/console/stations/CP-1/actions/trigger/", accept="text/html")
    assert response.status_code == 503
    page = response.content.decode()
    assert "Task queue unavailable" in page and "command 42" in page
    assert "platform&#x27;s task queue (Redis) is unreachable" in page
    # The console's dialog asks for JSON: it gets JSON.
    assert json.loads(_outage("/console/stations/CP-1/actions/trigger/", accept="application/json").content)["command"] == 42


def test_other_exceptions_are_left_alone():
    request = RequestFactory().get("/api/")
    assert BrokerUnavailableMiddleware(lambda r: HttpResponse()).process_exception(request, ValueError("x")) is None
