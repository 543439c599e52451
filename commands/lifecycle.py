"""The life cycle of a command: record it, queue it or fail it offline, finish it once, tell its listeners.

A command moves queued → sent → accepted / rejected / failed / timed out, or queued → station
offline. Every transition is a conditional UPDATE on the current status, so the Celery task, a
retry of it after a worker died, the consumer and the backstop expiry can race without a command
being sent twice or an answer being overwritten. Nothing here knows an action by name: the
registry (``commands.registry``) says how to validate, build, read and hear each one.
"""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from commands import registry
from commands.models import Command, CommandStatus
from commands.registry import UnknownAction
from commands.secrets import parameters_seal
from stations.models import Station

logger = logging.getLogger(__name__)

OFFLINE_ERROR = "station offline"
# The worker waits this much longer than the consumer, whose own timeout records "timed out"
# first; the worker's expiry is the backstop for a consumer that vanished mid-call.
WAIT_GRACE_SECONDS = 5.0

__all__ = [
    "OFFLINE_ERROR",
    "WAIT_GRACE_SECONDS",
    "UnknownAction",
    "command_create",
    "command_expire",
    "command_finish",
    "command_parameters_clean",
    "command_queue",
    "command_request",
    "command_send",
    "station_session_ended",
]


def command_parameters_clean(*, station: Station, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """The action's parameters, cleaned by its form; raises ValidationError with field errors.

    UnknownAction for a name nobody registered, or an internal action (no form: only its owner's
    services create it).
    """
    remote_action = registry.get(action)
    if remote_action.form is None:
        raise UnknownAction(f"{action} is sent by the platform itself; one of {', '.join(registry.operator_names())}.")
    if not remote_action.available_for(station.ocpp_version or ""):
        raise ValidationError(
            {"__all__": [f"{remote_action.label} does not exist in OCPP {station.ocpp_version}; it exists in OCPP {', '.join(remote_action.versions)}."]}
        )
    form = remote_action.form(data=data, station=station)
    unknown = sorted(set(data) - set(form.fields))
    valid = form.is_valid()
    errors = {field: list(messages) for field, messages in form.errors.items()}
    for name in unknown:
        errors[name] = [f"Unknown parameter for {action}; allowed: {', '.join(form.fields) or 'none'}."]
    if not valid or unknown:
        raise ValidationError(errors)
    return form.parameters()


def command_request(*, station: Station, action: str, parameters: dict[str, Any], requested_by=None) -> Command:
    """Record an operator's action (validated by its form) and send it.

    The caller has checked that ``requested_by`` may change ``station`` (write role).
    """
    cleaned = command_parameters_clean(station=station, action=action, data=parameters)
    return command_create(station=station, action=action, parameters=cleaned, requested_by=requested_by)


def command_create(
    *,
    station: Station,
    action: str,
    parameters: dict[str, Any],
    requested_by=None,
    listener: str = "",
    send: bool = True,
) -> Command:
    """Record a command from trusted parameters (an owner's service) and, with ``send``, send it.

    ``listener`` names a function given to ``registry.register_listener``: it hears this command's
    outcome. Secret parameters are sealed before they reach the database. With ``send=False`` the
    caller links the command to its own records first, then calls ``command_send``.
    """
    remote_action = registry.get(action)
    if listener and registry.listener(listener) is None:
        raise ValueError(f"No listener {listener!r} is registered.")
    command = Command.objects.create(
        station=station,
        action=action,
        parameters=parameters_seal(parameters, remote_action.secret_parameters),
        requested_by=requested_by,
        listener=listener,
    )
    if send:
        command_send(command=command)
    return command


def command_send(*, command: Command) -> Command:
    """Queue the command for the station's consumer, or fail it at once when the station is offline.

    Offline: nothing would carry the action, and an operator should not wait 30 s to learn that;
    the listeners hear the failure like any other outcome.
    """
    if not command.station.channel_name:
        command_finish(command=command, status=CommandStatus.STATION_OFFLINE, error=OFFLINE_ERROR, from_statuses=(CommandStatus.QUEUED,))
        command.refresh_from_db()
        return command
    command_queue(command=command)
    return command


def command_queue(*, command: Command) -> None:
    # Broker down: the command is failed at once and CommandNotQueued raised, a 503 on every
    # surface (commands.recovery, switchplatform.broker).
    from commands.recovery import command_enqueue

    transaction.on_commit(lambda: command_enqueue(command_id=command.pk))


def command_finish(
    *,
    command: Command | int,
    status: str,
    error: str = "",
    result: str = "",
    answer: Any = None,
    from_statuses: tuple[str, ...] = (CommandStatus.SENT,),
) -> bool:
    """Move a command to a final status if it is still in one of ``from_statuses``; then tell its listeners.

    Secret parameters are dropped in the same UPDATE-guarded step: a final command is never sent again.
    """
    command_id = getattr(command, "pk", command)
    with transaction.atomic():
        updated = Command.objects.filter(pk=command_id, status__in=from_statuses).update(
            status=status, error=error[:2000], result=result[:50], answer=answer, answered_at=timezone.now()
        )
        if not updated:
            return False
        if isinstance(command, Command):
            row = (command.action, command.listener)
        else:
            row = Command.objects.filter(pk=command_id).values_list("action", "listener").first()
        if row is not None:
            _final(command_id, *row)
    return True


def _final(command_id: int, action_name: str, listener_name: str) -> None:
    try:
        remote_action = registry.get(action_name)
    except UnknownAction:
        remote_action = None  # an action whose app is gone: the record stays, nobody listens
    listeners = [remote_action.on_final if remote_action else None, registry.listener(listener_name) if listener_name else None]
    secrets = remote_action.secret_parameters if remote_action else ()
    if not any(listeners) and not secrets:
        return  # a plain reset or unlock: no further query
    command = Command.objects.select_related("station").get(pk=command_id)
    if secrets and any(name in command.parameters for name in secrets):
        command.parameters = {k: v for k, v in command.parameters.items() if k not in secrets}
        Command.objects.filter(pk=command_id).update(parameters=command.parameters)
    for hear in listeners:
        if hear is None:
            continue
        try:
            # A savepoint: a failing listener is logged and never undoes the command's answer.
            with transaction.atomic():
                hear(command)
        except Exception:
            logger.exception("Listener %r of command %s (%s) failed", hear, command_id, action_name)


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


def station_session_ended(*, station: Station) -> int:
    """A session on ``station`` ended: send the commands held for it (``RemoteAction.hold``). Returns how many."""
    held = list(Command.objects.waiting_for_idle().filter(station=station).values_list("pk", flat=True))
    now = timezone.now()
    released = Command.objects.filter(pk__in=held, status=CommandStatus.QUEUED, waiting_for_idle=True).update(
        waiting_for_idle=False, idle_at=now
    )
    from commands.recovery import command_enqueue

    for pk in held:
        # A session's end must not fail over the broker: a held command it cannot queue is failed.
        transaction.on_commit(lambda pk=pk: command_enqueue(command_id=pk, raise_errors=False))
    return released
