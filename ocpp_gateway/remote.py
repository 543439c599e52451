"""Remote actions on the consumer's side: send the CALL, record the answer.

The consumer starts ``execute`` as a task for each ``ocpp.command`` event, so its receive loop is
never blocked: the station's answer is itself an incoming frame the loop must read.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands.models import Command, CommandAction, CommandStatus
from commands.services import command_answer_record, command_error_record, command_start
from ocpp_gateway.write_buffer import buffer as write_buffer
from stations.models import OcppVersion

logger = logging.getLogger(__name__)


async def execute(consumer, event: dict[str, Any]) -> None:
    """Carry out one command on ``consumer``'s station. Never raises: the outcome is recorded."""
    command_id = event["command_id"]
    recorded: str | None = None
    try:
        # command_start reads the station's sessions (a 1.6 OnIdle reset waits for the running
        # one): the station's reports still in the write buffer must be in the database first.
        await write_buffer.flush()
        command = await database_sync_to_async(command_start)(
            command_id=command_id, station_id=consumer.station_id, ocpp_version=consumer.ocpp_version
        )
        if command is not None:
            recorded = await _call(consumer, command)
    except asyncio.CancelledError:
        # The consumer cancels its tasks when the socket closes: the station will not answer now.
        await database_sync_to_async(command_error_record)(
            command_id=command_id, status=CommandStatus.FAILED, error="The station disconnected before answering."
        )
        raise
    except Exception:
        logger.exception("Remote action %s on %s failed unexpectedly", command_id, consumer.station_id)
        await database_sync_to_async(command_error_record)(
            command_id=command_id, status=CommandStatus.FAILED, error="Internal error while sending the command."
        )
    finally:
        reply_channel = event.get("reply_channel")
        if reply_channel:
            try:
                # With the status recorded, the worker need not read the row back.
                await get_channel_layer().send(
                    reply_channel, {"type": "ocpp.command.done", "command_id": command_id, "status": recorded}
                )
            except Exception:
                # The worker falls back to reading the row; losing the notice costs only latency.
                logger.warning("Could not notify %s about command %s", reply_channel, command_id, exc_info=True)


async def _call(consumer, command: Command) -> str | None:
    """Send the CALL and record the outcome; return the status recorded (None if another got there first)."""

    async def record_error(*, status: str, error: str, answer: dict[str, Any] | None = None) -> str | None:
        done = await database_sync_to_async(command_error_record)(command_id=command.pk, status=status, error=error, answer=answer)
        return status if done else None

    try:
        request = build_request(command, version=consumer.ocpp_version)
    except ValueError as exc:
        return await record_error(status=CommandStatus.FAILED, error=str(exc))
    timeout = settings.OCPP_CALL_TIMEOUT
    try:
        # call() holds the library's one-outstanding-CALL lock (OCPP-J §4.1.1), so the timeout
        # also covers waiting for the station's previous request to be answered.
        response = await asyncio.wait_for(consumer.charge_point.call(request, suppress=False), timeout)
    except asyncio.TimeoutError:
        return await record_error(status=CommandStatus.TIMED_OUT, error=f"No answer from the station within {timeout} s.")
    except OCPPError as exc:
        if _raised_by_schema_check(exc):
            cause = str(exc.details.get("cause") or "") if isinstance(exc.details, dict) else ""
            cause = cause.split("\n\n")[0]  # jsonschema appends the whole schema after a blank line
            return await record_error(
                status=CommandStatus.FAILED,
                error=f"The station's answer does not follow the OCPP {consumer.ocpp_version} schema: {cause or exc.description}",
            )
        # A CALLERROR from the station.
        code = getattr(exc, "code", type(exc).__name__)
        return await record_error(
            status=CommandStatus.FAILED,
            error=f"{code}: {exc.description}".strip(),
            answer={"errorCode": code, "errorDescription": exc.description or "", "errorDetails": exc.details or {}},
        )
    except Exception as exc:  # e.g. the connection closed while waiting
        return await record_error(status=CommandStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    answer = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
    return await database_sync_to_async(command_answer_record)(command=command, answer=answer)


def _raised_by_schema_check(exc: BaseException) -> bool:
    """Whether the library's JSON-schema check raised ``exc`` rather than a CALLERROR it received.

    Both arrive as OCPPError subclasses; only the innermost frame tells them apart. The request is
    checked before it is sent too, but the parameter forms keep it valid, so after sending it is the
    station's answer.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "_validate_payload"


def build_request(command: Command, *, version: str):
    """The ``ocpp`` library payload for ``command`` in the station's OCPP version."""
    params = command.parameters
    if command.action == CommandAction.UPDATE_FIRMWARE:
        # Issue 6: the firmware app stores both versions' UpdateFirmware payloads, signed link included.
        from firmware.dispatch import firmware_update_call

        return firmware_update_call(command, version=version)
    if command.action.startswith("security_"):
        # Issue 7: certificates, passwords and profile upgrades (certificates.remote builds them).
        from certificates.remote import security_call

        return security_call(command, version=version)
    if version == OcppVersion.V16:
        return _build_v16(command.action, params)
    if version == OcppVersion.V201:
        return _build_v201(command.action, params, command.pk)
    raise ValueError(f"Unsupported OCPP version {version!r}.")


def _refuse(params: dict[str, Any], names: tuple[str, ...], version: str) -> None:
    given = [n for n in names if params.get(n) not in (None, "")]
    if given:
        raise ValueError(f"OCPP {version} has no place for {', '.join(given)}: the station connected with OCPP {version}.")


def _build_v16(action: str, p: dict[str, Any]):
    _refuse(p, ("evse_id", "component", "variable", "component_instance", "variable_instance", "attribute_type", "id_token_type"), "1.6")
    if action == CommandAction.RESET:
        return call16.Reset(type=p.get("type") or "Soft")
    if action == CommandAction.UNLOCK_CONNECTOR:
        return call16.UnlockConnector(connector_id=p["connector_id"])
    if action == CommandAction.CHANGE_CONFIGURATION:
        if not p.get("key"):
            raise ValueError("OCPP 1.6 ChangeConfiguration needs a key.")
        return call16.ChangeConfiguration(key=p["key"], value=p.get("value", ""))
    if action == CommandAction.TRIGGER_MESSAGE:
        return call16.TriggerMessage(requested_message=p["requested_message"], connector_id=p.get("connector_id"))
    if action == CommandAction.REMOTE_START:
        return call16.RemoteStartTransaction(id_tag=p["id_tag"], connector_id=p.get("connector_id"))
    if action == CommandAction.REMOTE_STOP:
        try:
            return call16.RemoteStopTransaction(transaction_id=int(p["transaction_id"]))
        except ValueError:
            raise ValueError("OCPP 1.6 transaction ids are integers.") from None
    if action == CommandAction.CHANGE_AVAILABILITY:
        return call16.ChangeAvailability(connector_id=p.get("connector_id", 0), type=p["operational_status"])
    if action == CommandAction.CLEAR_CACHE:
        return call16.ClearCache()
    raise ValueError(f"Unknown action {action!r}.")


def _evse(p: dict[str, Any]) -> dict[str, Any] | None:
    if p.get("evse_id") is None:
        return None
    return remove_nones({"id": p["evse_id"], "connector_id": p.get("connector_id")})


def _build_v201(action: str, p: dict[str, Any], command_id: int):
    _refuse(p, ("key", "type"), "2.0.1")
    if action == CommandAction.RESET:
        # OCPP 2.0.1 B11/B12: OnIdle waits for running transactions to end.
        return call201.Reset(type="OnIdle" if p.get("when") == "on_idle" else "Immediate", evse_id=p.get("evse_id"))
    if action == CommandAction.UNLOCK_CONNECTOR:
        if p.get("evse_id") is None:
            raise ValueError("OCPP 2.0.1 UnlockConnector needs an EVSE id.")
        return call201.UnlockConnector(evse_id=p["evse_id"], connector_id=p["connector_id"])
    if action == CommandAction.CHANGE_CONFIGURATION:
        if not (p.get("component") and p.get("variable")):
            raise ValueError("OCPP 2.0.1 SetVariables needs a component and a variable.")
        component = remove_nones(
            {"name": p["component"], "instance": p.get("component_instance") or None, "evse": _evse(p)}
        )
        variable = remove_nones({"name": p["variable"], "instance": p.get("variable_instance") or None})
        data = remove_nones(
            {
                "attribute_type": p.get("attribute_type") or None,
                "attribute_value": p.get("value", ""),
                "component": component,
                "variable": variable,
            }
        )
        return call201.SetVariables(set_variable_data=[data])
    if action == CommandAction.TRIGGER_MESSAGE:
        return call201.TriggerMessage(requested_message=p["requested_message"], evse=_evse(p))
    if action == CommandAction.REMOTE_START:
        return call201.RequestStartTransaction(
            id_token={"id_token": p["id_tag"], "type": p.get("id_token_type") or "Central"},
            # F01: the station echoes remoteStartId in its TransactionEvent, tying the session to this command.
            remote_start_id=command_id,
            evse_id=p.get("evse_id"),
        )
    if action == CommandAction.REMOTE_STOP:
        return call201.RequestStopTransaction(transaction_id=str(p["transaction_id"]))
    if action == CommandAction.CHANGE_AVAILABILITY:
        return call201.ChangeAvailability(operational_status=p["operational_status"], evse=_evse(p))
    if action == CommandAction.CLEAR_CACHE:
        return call201.ClearCache()
    raise ValueError(f"Unknown action {action!r}.")
