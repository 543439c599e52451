"""Remote actions on the consumer's side: send the CALL, record the answer.

The consumer starts ``execute`` as a task for each ``ocpp.command`` event, so its receive loop is
never blocked: the station's answer is itself an incoming frame the loop must read.
"""
from __future__ import annotations

import asyncio
import decimal
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError

from commands import registry
from commands.models import Command, CommandStatus
from commands.services import command_answer_record, command_error_record, command_start
from health import metrics
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
    refusal = _refused_while_not_accepted(consumer, type(request).__name__)
    if refusal:
        return await record_error(status=CommandStatus.FAILED, error=refusal)
    timeout = settings.OCPP_CALL_TIMEOUT
    started, outcome = time.perf_counter(), "answered"
    try:
        # call() holds the library's one-outstanding-CALL lock (OCPP-J §4.1.1), so the timeout
        # also covers waiting for the station's previous request to be answered.
        response = await asyncio.wait_for(consumer.charge_point.call(request, suppress=False), timeout)
    except asyncio.TimeoutError:
        outcome = "timeout"
        return await record_error(status=CommandStatus.TIMED_OUT, error=f"No answer from the station within {timeout} s.")
    except OCPPError as exc:
        outcome = "callerror"
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
        outcome = "failed"
        return await record_error(status=CommandStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    finally:
        metrics.command_seconds.labels(metrics.NODE, type(request).__name__, outcome).observe(time.perf_counter() - started)
    answer = _plain_numbers(snake_to_camel_case(remove_nones(serialize_as_dict(response))))
    return await database_sync_to_async(command_answer_record)(command=command, answer=answer)


# What the CSMS may send a station whose registration is Pending: read and change its configuration
# and trigger messages (OCPP 1.6 §4.2 "retrieve information or change its configuration"; 2.0.1
# B02.FR.01 with B05–B08, and TriggerMessage as TC_B_31 does). A remote start is not among them.
ALLOWED_WHILE_PENDING = {
    OcppVersion.V16: frozenset({"GetConfiguration", "ChangeConfiguration", "TriggerMessage", "ExtendedTriggerMessage"}),
    OcppVersion.V201: frozenset({"GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage"}),
}


def _refused_while_not_accepted(consumer, ocpp_action: str) -> str:
    """Why ``ocpp_action`` may not be sent now ("" if it may): only while this connection is Pending."""
    is_pending = getattr(consumer, "is_pending", None)
    if is_pending is None or not is_pending():
        return ""
    allowed = ALLOWED_WHILE_PENDING.get(consumer.ocpp_version, frozenset())
    if ocpp_action in allowed:
        return ""
    return (
        f"The station's registration is Pending: until it is accepted the platform sends it only "
        f"{', '.join(sorted(allowed))}, not {ocpp_action}."
    )


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
    """The ``ocpp`` library payload for ``command`` in the station's OCPP version (its registered builder)."""
    if version not in (OcppVersion.V16, OcppVersion.V201):
        raise ValueError(f"Unsupported OCPP version {version!r}.")
    try:
        action = registry.get(command.action)
    except registry.UnknownAction as exc:
        raise ValueError(str(exc)) from None
    return action.build_request(command, version=version)


def _plain_numbers(value: Any) -> Any:
    """The library parses some 1.6 answers (GetCompositeSchedule) with Decimal for the schema's
    multipleOf check; the stored answer is JSON, where they are plain numbers."""
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    return value
