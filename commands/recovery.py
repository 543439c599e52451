"""Faults around remote actions: the task queue refusing a command, and commands stranded by a dead
worker, broker or gateway node.

Two promises to the operator: a command that could not be queued is failed at once with the reason
(the surfaces answer 503), and no command stays "queued" or "sent" past its deadline: the sweeper
(celery beat, ``commands.tasks.commands_sweep_stuck``) fails it with the reason.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from commands.models import Command, CommandStatus
from commands.services import WAIT_GRACE_SECONDS, command_finish
from switchplatform.broker import BrokerUnavailable, task_send

logger = logging.getLogger(__name__)

QUEUE_DOWN_ERROR = (
    "Not sent: the platform's task queue (Redis) is unreachable. Nothing reached the station; "
    "send the action again once the queue is back."
)
# The consumer records "timed out" after OCPP_CALL_TIMEOUT and the worker after the grace; the
# sweeper waits longer still, so it only ever catches what both of them lost (a killed worker *and*
# a killed node, or a call whose gateway died).
SWEEP_GRACE_SECONDS = 10.0


class CommandNotQueued(BrokerUnavailable):
    """The command was recorded but the broker refused it; it is now failed with QUEUE_DOWN_ERROR."""

    def __init__(self, message: str, *, command_id: int):
        super().__init__(message)
        self.command_id = command_id


def command_enqueue(*, command_id: int, raise_errors: bool = True) -> None:
    """Hand the command to a worker; when the broker is down, fail it at once (and raise
    CommandNotQueued unless ``raise_errors`` is off: for callers with nobody to answer).

    Called once the command's row is committed. Failing it (rather than leaving it "queued") means
    the operator learns now, and a broker that comes back later never sends a stale action.
    """
    from commands.tasks import command_execute

    try:
        task_send(command_execute, command_id)
    except BrokerUnavailable as exc:
        command_finish(
            command=command_id, status=CommandStatus.FAILED, error=QUEUE_DOWN_ERROR, from_statuses=(CommandStatus.QUEUED,)
        )
        logger.warning("command %s failed: task queue unreachable (%s)", command_id, exc)
        if not raise_errors:
            return
        raise CommandNotQueued(QUEUE_DOWN_ERROR, command_id=command_id) from exc


def commands_fail_stuck(*, now: datetime | None = None) -> int:
    """Fail every command stuck past its deadline, with the reason; return how many.

    - "sent" longer than the call timeout (plus both graces): nobody is left to record the answer.
    - "queued" (and not held for an OCPP 1.6 reset on idle) longer than COMMAND_QUEUE_TIMEOUT: no
      worker took it (workers down, or the message was lost with a Redis restart).
    Each is a conditional UPDATE (command_finish): an answer recorded meanwhile wins.
    """
    now = now or timezone.now()
    sent_deadline = now - timedelta(seconds=settings.OCPP_CALL_TIMEOUT + WAIT_GRACE_SECONDS + SWEEP_GRACE_SECONDS)
    queue_deadline = now - timedelta(seconds=settings.COMMAND_QUEUE_TIMEOUT)
    failed = 0
    for pk in Command.objects.filter(status=CommandStatus.SENT, sent_at__lt=sent_deadline).values_list("pk", flat=True):
        failed += command_finish(
            command=pk,
            status=CommandStatus.TIMED_OUT,
            error=f"No answer recorded within {settings.OCPP_CALL_TIMEOUT} s of sending: the worker or the "
            "gateway node carrying the call stopped (failed by the sweeper).",
        )
    # A released reset counts from its release (idle_at), not from the request.
    stuck_queued = Command.objects.filter(status=CommandStatus.QUEUED, waiting_for_idle=False).filter(
        Q(idle_at__isnull=True, created_at__lt=queue_deadline) | Q(idle_at__lt=queue_deadline)
    )
    for pk in stuck_queued.values_list("pk", flat=True):
        failed += command_finish(
            command=pk,
            status=CommandStatus.FAILED,
            error=f"Not delivered within {settings.COMMAND_QUEUE_TIMEOUT} s: no worker took the command "
            "(workers or the task queue were down). Nothing reached the station (failed by the sweeper).",
            from_statuses=(CommandStatus.QUEUED,),
        )
    if failed:
        logger.warning("failed %d command(s) stuck past their deadline", failed)
    return failed
