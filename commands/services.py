"""Remote actions: request, deliver, record the station's answer.

A command moves queued → sent → accepted / rejected / failed / timed out, or queued → station
offline. Every transition is a conditional UPDATE on the current status, so the Celery task, a
retry of it after a worker died, the consumer and the backstop expiry can race without a command
being sent twice or an answer being overwritten.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from commands.forms import ACTION_FORMS
from commands.models import FINAL_STATUSES, Command, CommandAction, CommandStatus
from commands.selectors import station_has_running_session
from stations.models import ConfigurationKey, DeviceModelVariable, OcppVersion, Station

logger = logging.getLogger(__name__)

OFFLINE_ERROR = "station offline"
# Station status words that mean the station did (or will do) what was asked.
ACCEPTING_RESULTS = {"Accepted", "Unlocked", "RebootRequired", "Scheduled"}
# The worker waits this much longer than the consumer, whose own timeout records "timed out"
# first; the worker's expiry is the backstop for a consumer that vanished mid-call.
WAIT_GRACE_SECONDS = 5.0


class UnknownAction(ValueError):
    pass


def command_parameters_clean(*, station: Station, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """The action's parameters, cleaned; raises ValidationError with field errors."""
    try:
        form_class = ACTION_FORMS[action]
    except KeyError:
        raise UnknownAction(f"Unknown action {action!r}; one of {', '.join(ACTION_FORMS)}.") from None
    form = form_class(data=data, station=station)
    unknown = sorted(set(data) - set(form.fields))
    valid = form.is_valid()
    errors = {field: list(messages) for field, messages in form.errors.items()}
    for name in unknown:
        errors[name] = [f"Unknown parameter for {action}; allowed: {', '.join(form.fields) or 'none'}."]
    if not valid or unknown:
        raise ValidationError(errors)
    return form.parameters()


def command_request(
    *, station: Station, action: str, parameters: dict[str, Any], requested_by=None
) -> Command:
    """Record an operator's action and queue its delivery once the record is committed.

    The caller has checked that ``requested_by`` may change ``station`` (write role).
    """
    cleaned = command_parameters_clean(station=station, action=action, data=parameters)
    command = Command.objects.create(station=station, action=action, parameters=cleaned, requested_by=requested_by)
    if not station.channel_name:
        # Fail at once: nothing would carry the action, and an operator should not wait 30 s to learn that.
        command_finish(command=command, status=CommandStatus.STATION_OFFLINE, error=OFFLINE_ERROR, from_statuses=(CommandStatus.QUEUED,))
        command.refresh_from_db()
        return command
    command_queue(command=command)
    return command


def command_queue(*, command: Command) -> None:
    from commands.tasks import command_execute

    transaction.on_commit(lambda: command_execute.delay(command.pk))


def command_finish(
    *,
    command: Command | int,
    status: str,
    error: str = "",
    result: str = "",
    answer: Any = None,
    from_statuses: tuple[str, ...] = (CommandStatus.SENT,),
) -> bool:
    """Move a command to a final status if it is still in one of ``from_statuses``."""
    command_id = getattr(command, "pk", command)
    updated = Command.objects.filter(pk=command_id, status__in=from_statuses).update(
        status=status, error=error[:2000], result=result[:50], answer=answer, answered_at=timezone.now()
    )
    if not updated:
        return False
    action = command.action if isinstance(command, Command) else (
        Command.objects.filter(pk=command_id).values_list("action", flat=True).first()
    )
    if action == CommandAction.UPDATE_FIRMWARE:
        # Issue 6: a firmware update follows the outcome of the command that carried it.
        from firmware.dispatch import firmware_command_finished

        firmware_command_finished(command_id=command_id)
    else:
        # Issue 7: password rotations, certificate actions and security-profile upgrade steps
        # (resets and configuration changes among them) follow the commands that carry them.
        from certificates.services import security_command_finished

        security_command_finished(command_id=command_id, action=action)
    return True


# --- the consumer's side (ocpp_gateway.remote calls these through database_sync_to_async) ---


def command_start(*, command_id: int, station_id: int, ocpp_version: str) -> Command | None:
    """Claim a queued command for sending; None when there is nothing to send.

    Nothing to send: the command is another station's, already sent (a retried task delivered it
    twice), already final, or a 1.6 reset that waits for the running session to end.
    """
    command = Command.objects.select_related("station").filter(pk=command_id, station_id=station_id).first()
    if command is None or command.status != CommandStatus.QUEUED:
        return None
    if (
        command.action == CommandAction.RESET
        and command.parameters.get("when") == "on_idle"
        and ocpp_version == OcppVersion.V16
        and command.idle_at is None
        and station_has_running_session(station=command.station)
    ):
        # OCPP 1.6 §5.14 has no OnIdle reset: hold it; station_session_ended() sends it later.
        Command.objects.filter(pk=command.pk, status=CommandStatus.QUEUED).update(waiting_for_idle=True)
        return None
    now = timezone.now()
    if not Command.objects.filter(pk=command.pk, status=CommandStatus.QUEUED).update(
        status=CommandStatus.SENT, sent_at=now, waiting_for_idle=False
    ):
        return None
    command.status, command.sent_at = CommandStatus.SENT, now
    return command


def command_answer_record(*, command: Command, answer: dict[str, Any]) -> str | None:
    """Record the station's CALLRESULT for ``command`` (as ``command_start`` returned it).

    A configuration change the station accepted updates the stored value in the same transaction.
    Returns the status recorded, or None when the command was no longer waiting for an answer.
    """
    result = _result_word(command.action, answer)
    status = CommandStatus.ACCEPTED if result in ACCEPTING_RESULTS else CommandStatus.REJECTED
    with transaction.atomic():
        if not command_finish(command=command, status=status, result=result, answer=answer):
            return None
        if status == CommandStatus.ACCEPTED and command.action == CommandAction.CHANGE_CONFIGURATION:
            _configuration_store(station=command.station, parameters=command.parameters)
    return status


def command_error_record(*, command_id: int, status: str, error: str, answer: dict[str, Any] | None = None) -> bool:
    return command_finish(command=command_id, status=status, error=error, answer=answer)


def _result_word(action: str, answer: dict[str, Any]) -> str:
    if action == CommandAction.UPDATE_FIRMWARE and not answer:
        return "Accepted"  # OCPP 1.6 UpdateFirmware.conf has no fields (§6.53): the station took it.
    if action == CommandAction.CHANGE_CONFIGURATION and "setVariableResult" in answer:
        results = answer["setVariableResult"]
        return results[0].get("attributeStatus", "") if results else ""
    return str(answer.get("status", ""))


def _configuration_store(*, station: Station, parameters: dict[str, Any]) -> None:
    """The station accepted a new value (Accepted or RebootRequired): the stored copy follows."""
    value = parameters.get("value", "")
    if parameters.get("key"):
        ConfigurationKey.objects.update_or_create(station=station, key=parameters["key"], defaults={"value": value})
        return
    lookup = {
        "station": station,
        "component": parameters["component"],
        "component_instance": parameters.get("component_instance") or "",
        "evse_id": parameters.get("evse_id"),
        "connector_id": parameters.get("connector_id"),
        "variable": parameters["variable"],
        "variable_instance": parameters.get("variable_instance") or "",
        "attribute_type": parameters.get("attribute_type") or "Actual",
    }
    if not DeviceModelVariable.objects.filter(**lookup).update(value=value):
        DeviceModelVariable.objects.create(**lookup, value=value)


# --- the worker's side (commands.tasks) ---


def command_dispatch(*, command_id: int, wait: bool) -> Command:
    """Hand a command to the consumer holding the station's socket; with ``wait``, until answered.

    Idempotent: a command already sent is not sent again (a retry after a worker died only waits),
    and a command delivered twice is claimed once by ``command_start``.
    """
    command = Command.objects.select_related("station").get(pk=command_id)
    if command.is_final or command.waiting_for_idle:
        return command
    timeout = settings.OCPP_CALL_TIMEOUT + WAIT_GRACE_SECONDS
    settled = False
    if command.status == CommandStatus.QUEUED:
        channel_name = command.station.channel_name
        if not channel_name:
            command_finish(command=command, status=CommandStatus.STATION_OFFLINE, error=OFFLINE_ERROR, from_statuses=(CommandStatus.QUEUED,))
        else:
            try:
                if wait:
                    settled = _run_in_worker_loop(_deliver(command.pk, channel_name, timeout))
                else:
                    # Eager, inside daphne: run on daphne's own loop (the in-memory layer lives there).
                    async_to_sync(_deliver_eager)(command.pk, channel_name, timeout)
            except ChannelFull:
                command_finish(
                    command=command,
                    status=CommandStatus.FAILED,
                    error="The gateway holding the station's connection is overloaded (channel full).",
                    from_statuses=(CommandStatus.QUEUED,),
                )
    elif wait:
        # Sent by an earlier run of this task: the answer may still come within the call timeout.
        remaining = (command.sent_at + timedelta(seconds=timeout) - timezone.now()).total_seconds()
        if remaining > 0:
            settled = _run_in_worker_loop(_poll(command.pk, remaining))
    if wait and not settled:
        command_expire(command_id=command.pk)
    command.refresh_from_db()
    return command


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _run_in_worker_loop(coroutine: Coroutine[Any, Any, bool]) -> bool:
    """Run on one long-lived event loop per worker process.

    async_to_sync would start a loop per task, and channels-redis keeps its connections per loop:
    each command would pay for new Redis connections. It also refuses receive() from two loops at
    once, which a threads pool would do.
    """
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            # After a fork (prefork pool) the parent's loop thread does not exist in the child.
            _loop, _loop_pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="commands-channel-layer", daemon=True).start()
        loop = _loop
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()


async def _deliver(command_id: int, channel_name: str, wait_seconds: float | None) -> bool:
    """Send the command to the consumer; with ``wait_seconds``, return whether it settled meanwhile."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply_channel = await layer.new_channel() if wait_seconds is not None else None
    await layer.send(channel_name, {"type": "ocpp.command", "command_id": command_id, "reply_channel": reply_channel})
    if reply_channel is None:
        return False
    try:
        # The consumer says "done" on the reply channel once it has recorded the answer (or decided
        # there was nothing to send), which spares polling the database in the common case.
        notice = await asyncio.wait_for(layer.receive(reply_channel), wait_seconds)
    except asyncio.TimeoutError:
        return False
    if notice.get("status") in FINAL_STATUSES or await database_sync_to_async(_is_settled)(command_id):
        return True
    # A stale notice (e.g. a duplicate delivery); fall back to watching the row.
    return await _poll(command_id, wait_seconds - (loop.time() - started))


async def _deliver_eager(command_id: int, channel_name: str, expire_after: float) -> None:
    """Eager delivery: send without waiting, and leave the backstop expiry on the (daphne) loop.

    Without a worker nothing else would notice a command no consumer took (a stale channel_name after
    a crash), and it would stay "queued" for ever.
    """
    await _deliver(command_id, channel_name, None)

    def expire() -> None:
        task = asyncio.ensure_future(database_sync_to_async(command_expire)(command_id=command_id))
        _background.add(task)
        task.add_done_callback(_background.discard)

    # A fresh context: the request's would send the database work to its thread, gone by then.
    asyncio.get_running_loop().call_later(expire_after, expire, context=contextvars.Context())


_background: set[asyncio.Task] = set()


async def _poll(command_id: int, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await database_sync_to_async(_is_settled)(command_id):
            return True
        await asyncio.sleep(0.2)
    return False


def _is_settled(command_id: int) -> bool:
    command = Command.objects.only("status", "waiting_for_idle").get(pk=command_id)
    return command.is_final or command.waiting_for_idle


def command_expire(*, command_id: int) -> None:
    """Backstop once the wait is over: nothing may stay "sent" or "queued" for ever."""
    command_finish(
        command=command_id,
        status=CommandStatus.TIMED_OUT,
        error=f"No answer from the station within {settings.OCPP_CALL_TIMEOUT} s (the gateway lost the call).",
    )
    if Command.objects.filter(pk=command_id, status=CommandStatus.QUEUED, waiting_for_idle=False).exists():
        command_finish(
            command=command_id,
            status=CommandStatus.STATION_OFFLINE,
            error=f"{OFFLINE_ERROR}: no gateway took the command (the station's connection went away).",
            from_statuses=(CommandStatus.QUEUED,),
        )


# --- hooks for the sessions and gateway code ---


def station_session_ended(*, station: Station) -> int:
    """A session on ``station`` ended: send the resets that were waiting for it. Returns how many."""
    held = list(Command.objects.waiting_for_idle().filter(station=station).values_list("pk", flat=True))
    now = timezone.now()
    released = Command.objects.filter(pk__in=held, status=CommandStatus.QUEUED, waiting_for_idle=True).update(
        waiting_for_idle=False, idle_at=now
    )
    from commands.tasks import command_execute

    for pk in held:
        transaction.on_commit(lambda pk=pk: command_execute.delay(pk))
    return released
