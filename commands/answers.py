"""The consumer's side of a command (``ocpp_gateway.remote`` calls these through database_sync_to_async):
claim a queued command for sending, record the station's answer or the error."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from commands import registry
from commands.lifecycle import command_finish
from commands.models import Command, CommandStatus


def command_start(*, command_id: int, station_id: int, ocpp_version: str) -> Command | None:
    """Claim a queued command for sending; None when there is nothing to send.

    Nothing to send: the command is another station's, already sent (a retried task delivered it
    twice), already final, or held by its action (``RemoteAction.hold``, e.g. a 1.6 OnIdle reset
    waiting for the running session to end).
    """
    command = Command.objects.select_related("station").filter(pk=command_id, station_id=station_id).first()
    if command is None or command.status != CommandStatus.QUEUED:
        return None
    try:
        remote_action = registry.get(command.action)
    except registry.UnknownAction:
        remote_action = None  # build_request records the failure with the reason
    if remote_action is not None and remote_action.hold is not None and command.idle_at is None and remote_action.hold(command, ocpp_version):
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

    The action's reader turns the answer into the station's word, and its accepting words decide
    accepted or rejected. Its listeners run in the same transaction (a configuration change the
    station accepted updates the stored value). Returns the status recorded, or None when the
    command was no longer waiting for an answer.
    """
    remote_action = registry.get(command.action)
    result = remote_action.result(answer)
    status = CommandStatus.ACCEPTED if result in remote_action.accepting else CommandStatus.REJECTED
    with transaction.atomic():
        if not command_finish(command=command, status=status, result=result, answer=answer):
            return None
    return status


def command_error_record(*, command_id: int, status: str, error: str, answer: dict[str, Any] | None = None) -> bool:
    return command_finish(command=command_id, status=status, error=error, answer=answer)
