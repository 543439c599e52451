"""Celery interface for remote actions: takes a command id, calls the service."""
from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from commands.models import CommandStatus
from commands.services import WAIT_GRACE_SECONDS, command_dispatch, command_finish

logger = logging.getLogger(__name__)


class CommandTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Out of retries, or a bug: leave a clear failed state rather than a command stuck in "queued".
        command_id = args[0] if args else kwargs.get("command_id")
        if command_id is not None:
            command_finish(
                command=command_id,
                status=CommandStatus.FAILED,
                error=f"The platform could not deliver the command: {exc!r}",
                from_statuses=(CommandStatus.QUEUED, CommandStatus.SENT),
            )


@shared_task(
    base=CommandTask,
    bind=True,
    # A worker that dies mid-task leaves the message unacknowledged: the broker hands it out again
    # and command_dispatch, being idempotent, only waits for a command that was already sent.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(RedisConnectionError, RedisTimeoutError, ConnectionError),
    retry_backoff=1,
    max_retries=3,
    soft_time_limit=settings.OCPP_CALL_TIMEOUT + WAIT_GRACE_SECONDS + 30,
)
def command_execute(self, command_id: int) -> str:
    """Deliver the command to the station's consumer and return once the answer is recorded.

    Eager (the embedded setup) runs inside daphne's request thread: deliver and return at once, and
    let the consumer record the answer; API clients poll GET /api/commands/<id>/.
    """
    command = command_dispatch(command_id=command_id, wait=not self.request.is_eager)
    return command.status


@shared_task(ignore_result=True)
def commands_sweep_stuck() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): fail commands stuck past their deadline, with the reason."""
    from commands.recovery import commands_fail_stuck

    return commands_fail_stuck()
