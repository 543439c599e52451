"""OCPP-J framing, the CALLERRORs the `ocpp` library leaves out, and the ChargePoint base the gateway uses.

What the library already does and we reuse: payload validation against the OCA schemas,
snake_case handler arguments, building CALLRESULT/CALLERROR frames, and `call()` with one
outstanding request at a time. What it does not do, and this module adds:

- ``route_message`` swallows frames it cannot unpack (not JSON, not an array, bad type id) with a
  log line and no answer; OCPP-J wants a CALLERROR (2.0.1 Part 4 §4.2.3: with messageId "-1" when
  the id cannot be read).
- 1.6 spells the syntax error FormationViolation (1.6 errata §5.2), not FormatViolation.
- It answers a schema-valid-but-wrong value (enum, minimum, pattern) with FormatViolation, where
  OCPP defines PropertyConstraintViolation, and it swaps NotImplemented ("action not known") and
  NotSupported ("known but not supported").
- It puts every CALLRESULT on the response queue, including answers to nothing.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import re
import sys
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from jsonschema.exceptions import best_match
from ocpp import messages as ocpp_messages
from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    InternalError,
    NotImplementedError as OcppNotImplementedError,
    NotSupportedError,
    OccurenceConstraintViolationError,
    OccurrenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    SecurityError,
    TypeConstraintViolationError,
)
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, CallError, CallResult, MessageType
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from ocpp_gateway import after_boot, schemas
from ocpp_gateway.lean_queue import LeanQueue

if TYPE_CHECKING:
    from ocpp_gateway.consumers import OcppConsumer

logger = logging.getLogger(__name__)

# Validating a few hundred bytes against a cached validator takes microseconds; the library's
# default hands each validation to a thread pool, which costs more than the work and contends
# with the database thread.
ocpp_messages.ASYNC_VALIDATION = False
# A valid payload confirmed by jsonschema-rs in a microsecond; any other by the library as before.
schemas.install()

V16 = "1.6"
V201 = "2.0.1"
# Newest first: with no configured version the newest one the station offers wins.
SUBPROTOCOLS = {"ocpp2.0.1": V201, "ocpp1.6": V16}
SUBPROTOCOL_FOR_VERSION = {version: name for name, version in SUBPROTOCOLS.items()}

UNKNOWN_ID = "-1"


class RpcFrameworkError(OCPPError):
    """2.0.1: the frame is not a valid RPC message, e.g. its messageId cannot be read."""

    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC Request"


class MessageTypeNotSupportedError(OCPPError):
    code = "MessageTypeNotSupported"
    default_description = "A message with a Message Type Id was received that is not supported"


def syntax_error(version: str, cause: str, *, unreadable: bool = False) -> OCPPError:
    """The frame (not the payload) is broken."""
    details = {"cause": cause}
    if version == V16:
        return FormationViolationError(details=details)
    return RpcFrameworkError(details=details) if unreadable else FormatViolationError(details=details)


def select_subprotocol(offered: list[str], configured: str) -> str | None:
    """The station's configured version if offered, otherwise the newest offered one."""
    if configured and SUBPROTOCOL_FOR_VERSION.get(configured) in offered:
        return SUBPROTOCOL_FOR_VERSION[configured]
    for name in SUBPROTOCOLS:
        if name in offered:
            return name
    return None


_ID_SNIFF = re.compile(r'^\s*\[\s*([234])\s*,\s*"([^"\\]{1,36})"')


def sniff_frame(text: str) -> tuple[int | None, str]:
    """(messageTypeId, messageId) of a frame we cannot (or will not) parse whole; (None, "-1") if unreadable."""
    match = _ID_SNIFF.match(text[:128])
    return (int(match.group(1)), match.group(2)) if match else (None, UNKNOWN_ID)


@dataclass
class FrameError:
    error: OCPPError
    unique_id: str
    note: str
    message_type: int | None = None
    action: str = ""
    payload: Any = None


# Nesting of a frame (the array counts): OCPP's deepest payloads (2.0.1 charging profiles, reports with
# customData) stay under 12 levels. Deeper JSON is refused before anything walks it: Python's
# parser raises RecursionError at ~1,000 levels and every later walk (schema, log) recurses too.
MAX_NESTING = 32
# Digits of an integer, sign excluded: every OCPP integer fits in 64 bits (19 digits). Python parses
# integers of thousands of digits, and arithmetic on them (10 ** n) holds the GIL for seconds; the
# semantic ranges are the handlers' (stations.bounds), this only stops what no OCPP field can hold.
MAX_INTEGER_DIGITS = 19


class _Unacceptable(ValueError):
    """A JSON text that parses but that OCPP-J (RFC 8259 numbers, bounded) does not allow."""


def _refuse_constant(name: str):
    # json.loads takes NaN, Infinity and -Infinity, which RFC 8259 §6 does not allow.
    raise _Unacceptable(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):  # 1e400 overflows to infinity
        raise _Unacceptable(f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text) - (text[0] == "-") > MAX_INTEGER_DIGITS:
        raise _Unacceptable(f"an integer of {len(text)} digits is out of range")
    return int(text)


_INF = float("inf")
# A \uD800-\uDFFF escape: the only way a surrogate gets into a frame (the websocket layer refuses
# text that is not UTF-8). Pairs are fine (an emoji); a lone one is no Unicode character
# (RFC 8259 §8.2): stored, it fails every UTF-8 encoding later (the API's JSON, a page, a CSV).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)


def _too_deep(data: Any) -> bool:
    """Nesting above MAX_NESTING, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return False


def parse_json(text: str) -> Any:
    """json.loads for station frames: RFC 8259 only (no NaN/Infinity), bounded integers and nesting.

    Raises ValueError with a cause a CALLERROR can carry.
    """
    try:
        data = _decoder.decode(text)
    except RecursionError:
        raise _Unacceptable(f"JSON nested deeper than {MAX_NESTING} levels") from None
    # Counting brackets is C-speed and bounds the depth from above: most frames skip the walk.
    if text.count("[") + text.count("{") > MAX_NESTING and _too_deep(data):
        raise _Unacceptable(f"JSON nested deeper than {MAX_NESTING} levels")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise _Unacceptable("a string holds a lone UTF-16 surrogate, which is not a character") from None
    return data


def parse_frame(text: str, version: str) -> Call | CallResult | CallError | FrameError:
    """Unpack one OCPP-J text frame, or say which CALLERROR it deserves."""
    try:
        data = parse_json(text)
    except _Unacceptable as refusal:
        # Valid-looking JSON OCPP cannot take: a syntax error of the frame (1.6 FormationViolation,
        # 2.0.1 FormatViolation), answered with the messageId when it can be read.
        type_id, unique_id = sniff_frame(text)
        return FrameError(
            syntax_error(version, str(refusal)), unique_id, str(refusal)[:200], message_type=type_id,
        )
    except ValueError:
        type_id, unique_id = sniff_frame(text)
        return FrameError(
            syntax_error(version, "Message is not valid JSON", unreadable=unique_id == UNKNOWN_ID),
            unique_id, "not JSON", message_type=type_id,
        )
    if not isinstance(data, list) or not data:
        return FrameError(
            syntax_error(version, "An OCPP-J message is a JSON array", unreadable=True), UNKNOWN_ID, "not a JSON array",
            payload=data,
        )
    type_id = data[0]
    unique_id = data[1] if len(data) > 1 and isinstance(data[1], str) and 0 < len(data[1]) <= 36 else None
    if type_id not in (MessageType.Call, MessageType.CallResult, MessageType.CallError) or isinstance(type_id, bool):
        cause = f"MessageTypeId {type_id!r} is not 2, 3 or 4"
        error = (
            syntax_error(version, cause) if version == V16 else MessageTypeNotSupportedError(details={"cause": cause})
        )
        return FrameError(error, unique_id or UNKNOWN_ID, "unknown message type", payload=data)
    if unique_id is None:
        return FrameError(
            syntax_error(version, "The messageId must be a string of 1 to 36 characters", unreadable=True),
            UNKNOWN_ID, "unreadable message id", message_type=type_id, payload=data,
        )
    if type_id == MessageType.Call:
        if len(data) != 4 or not isinstance(data[2], str) or not isinstance(data[3], dict):
            return FrameError(
                syntax_error(version, "A CALL is [2, messageId, action, {payload}]"),
                unique_id, "malformed CALL", message_type=type_id, payload=data,
            )
        return Call(unique_id, data[2], data[3])
    if type_id == MessageType.CallResult:
        if len(data) != 3 or not isinstance(data[2], dict):
            return FrameError(
                syntax_error(version, "A CALLRESULT is [3, messageId, {payload}]"),
                unique_id, "malformed CALLRESULT", message_type=type_id, payload=data,
            )
        return CallResult(unique_id, data[2])
    if len(data) != 5 or not isinstance(data[2], str) or not isinstance(data[4], dict):
        return FrameError(
            syntax_error(version, "A CALLERROR is [4, messageId, errorCode, errorDescription, {errorDetails}]"),
            unique_id, "malformed CALLERROR", message_type=type_id, payload=data,
        )
    return CallError(unique_id, data[2], str(data[3]), data[4])


def call_error_frame(unique_id: str, error: OCPPError) -> str:
    return CallError(unique_id, error.code, error.description, error.details).to_json()


def schema_error(msg: Call, version: str) -> OCPPError:
    """The CALLERROR for a CALL whose payload fails its schema (OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3)."""
    try:
        validator = ocpp_messages.get_validator(MessageType.Call, msg.action, version)
    except Exception:
        return InternalError(details={"cause": f"No schema for {msg.action}"})
    error = best_match(validator.iter_errors(msg.payload))
    if error is None:
        # The request was fine: our answer failed validation. Say so rather than send it.
        return InternalError(details={"cause": "The platform could not build a valid answer"})
    path = "/".join(str(p) for p in error.absolute_path)
    details = {"cause": error.message[:300], **({"path": path} if path else {})}
    keyword = error.validator
    if keyword in ("type", "maxLength"):
        return TypeConstraintViolationError(details=details)
    if keyword == "required":
        return ProtocolError(details=details)
    if keyword in ("minItems", "maxItems"):
        return (OccurenceConstraintViolationError if version == V16 else OccurrenceConstraintViolationError)(
            details=details
        )
    if keyword in ("enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "pattern",
                   "format", "multipleOf", "const"):
        return PropertyConstraintViolationError(details=details)
    return FormationViolationError(details=details) if version == V16 else FormatViolationError(details=details)


_VALID_ACTIONS = {V16: {a.value for a in Action16}, V201: {a.value for a in Action201}}
_SCHEMA_ERRORS = (
    FormatViolationError,
    FormationViolationError,
    TypeConstraintViolationError,
    ProtocolError,
    PropertyConstraintViolationError,
)

# Requests a station may send while not Accepted because the CSMS asked for them (2.0.1 B02.FR.09).
_TRIGGERED_BY = {"GetBaseReport": "NotifyReport", "GetReport": "NotifyReport", "GetMonitoringReport": "NotifyMonitoringReport"}
_TRIGGER_TO_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
    "SignChargePointCertificate": "SignCertificate",
}


class RefusalLog(logging.LoggerAdapter):
    """The `ocpp` library's logger for the gateway's ChargePoints.

    The library logs every exception a handler raises with ``logger.exception`` (an ERROR and a
    traceback), including the OCPPErrors our handlers raise on purpose to refuse a frame (a bound,
    an unknown transaction): one hostile station would fill the log with tracebacks of refusals it
    already got as CALLERRORs. A refusal becomes one WARNING line of ours (the CALLERROR's code,
    the action and the cause, never the payload); any other exception (a fault of the platform)
    keeps the library's ERROR and traceback.
    """

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1] if kwargs.get("exc_info") is True else None
        if isinstance(error, OCPPError):
            frame = args[0] if args and isinstance(args[0], Call) else None
            logger.warning(
                "%s: %s %s answered %s: %s",
                self.extra["identity"],
                frame.action if frame else "frame",
                frame.unique_id if frame else "",
                error.code,
                str(error.description)[:200],
            )
            return
        super().log(level, msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return msg, kwargs


class Connection:
    """What the `ocpp` library expects as its connection (``recv()``/``send()``), over the consumer.

    The consumer pushes frames into the ChargePoint itself (no reader task per station), so
    ``recv()`` exists only for the library's ``start()`` loop, which the gateway does not run.
    """

    def __init__(self, consumer: OcppConsumer) -> None:
        self.consumer = consumer

    async def recv(self) -> str:
        raise RuntimeError("The gateway feeds frames to the ChargePoint; start() is not used.")

    async def send(self, message: str) -> None:
        await self.consumer.send_frame(message)


# A station may send any key (customData, DataTransfer): the cache of names is bounded.
_SNAKE_KEYS_MAX = 4096
_snake_keys: dict[str, str] = {}


def _snake_key(key: str) -> str:
    snake = _snake_keys.get(key)
    if snake is None:
        snake = next(iter(camel_to_snake_case({key: None})))
        if len(_snake_keys) < _SNAKE_KEYS_MAX:
            _snake_keys[key] = snake
    return snake


def _snake_case(data: Any) -> Any:
    """ocpp.charge_point.camel_to_snake_case, each key's name converted once per process."""
    if isinstance(data, dict):
        return {_snake_key(key): _snake_case(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_snake_case(value) for value in data]
    return data


@functools.lru_cache(maxsize=None)
def _takes_unique_id(handler: Callable[..., Any]) -> bool:
    # The handlers are the class's functions (SharedRoutes): a fixed, small set.
    return "call_unique_id" in inspect.signature(handler).parameters


def _invoke(handler: Callable[..., Any], charge_point: Any, payload: dict[str, Any], unique_id: str) -> Any:
    # As the library: call_unique_id only to a handler that names it.
    if _takes_unique_id(handler):
        return handler(charge_point, **payload, call_unique_id=unique_id)
    return handler(charge_point, **payload)


class SharedRoutes(Mapping):
    """The `ocpp` library's route map, computed once per class instead of once per connection.

    The library builds, for every ChargePoint, a dict per action holding bound methods: about
    10 KB for each connected station, and a walk over every handler name at each connect
    (issue 17). The class keeps the handlers as functions; a lookup binds them to the station's
    ChargePoint, giving the library the same {"_on_action", "_after_action",
    "_skip_schema_validation"} it built itself.
    """

    __slots__ = ("_owner", "_routes")

    def __init__(self, owner: Any, routes: dict[str, dict[str, Any]]) -> None:
        # Weak: the ChargePoint holds its route map; a cycle would leave every closed
        # connection's ChargePoint to a full collection (ocpp_gateway.gc_tuning).
        self._owner = weakref.ref(owner)
        self._routes = routes

    @staticmethod
    def unbound(built: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The library's map for one instance, its bound methods unbound: the class's routes."""
        return {
            action: {key: getattr(value, "__func__", value) for key, value in entry.items()}
            for action, entry in built.items()
        }

    def __getitem__(self, action: str) -> dict[str, Any]:
        return {
            key: value.__get__(self._owner()) if key in ("_on_action", "_after_action") else value
            for key, value in self._routes[action].items()
        }

    def __contains__(self, action: object) -> bool:
        return action in self._routes

    def __iter__(self):
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)


class GatewayChargePoint:
    """Mixed in before ocpp.v16.ChargePoint / ocpp.v201.ChargePoint."""

    _ocpp_version: str

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # The library calls inspect.signature() on the handler for every frame; through the
        # @on/@after wrappers that costs more than the schema validation. Computed once here.
        for name in dir(cls):
            func = getattr(cls, name, None)
            if callable(func) and (hasattr(func, "_on_action") or hasattr(func, "_after_action")):
                if "__signature__" not in vars(func):
                    func.__signature__ = inspect.signature(func)

    def __init__(self, identity: str, consumer: OcppConsumer, *, response_timeout: int) -> None:
        # ocpp.ChargePoint.__init__, without its walk over every handler name to build a route map
        # for this one station (tests/test_handler_routes checks the attributes still match).
        cls = type(self)
        routes = cls.__dict__.get("_shared_routes")
        if routes is None:  # the first station of the class: the library builds the map once
            super().__init__(identity, Connection(consumer), response_timeout=response_timeout)
            routes = cls._shared_routes = SharedRoutes.unbound(self.route_map)
        self.id = identity
        self._response_timeout = response_timeout
        self._connection = Connection(consumer)
        self.route_map = SharedRoutes(self, routes)
        self._call_lock = asyncio.Lock()
        # The library's answer queue, lean: one per station (ocpp_gateway.lean_queue).
        self._response_queue = LeanQueue()
        self._unique_id_generator = uuid.uuid4
        self.logger = RefusalLog(logging.getLogger("ocpp"), {"identity": identity})
        self.consumer = consumer
        # The CALL being handled: handlers read the payload as the station sent it (camelCase)
        # for services that store it.
        self.current_call: Call | None = None
        # The one CALL awaiting the station's answer (the library allows one at a time).
        self.outstanding: tuple[str, str] | None = None
        self.triggered: set[str] = set()
        # Work to start once the CALL being handled is answered (``after_answer``).
        self.answered_hooks: list[Callable[[], Awaitable[Any]]] = []

    @property
    def payload(self) -> dict[str, Any]:
        return self.current_call.payload if self.current_call is not None else {}

    async def call(self, payload, suppress=True, unique_id=None, skip_schema_validation=False):
        unique_id = unique_id or str(uuid.uuid4())
        try:
            return await super().call(
                payload, suppress=suppress, unique_id=unique_id, skip_schema_validation=skip_schema_validation
            )
        finally:
            if self.outstanding and self.outstanding[0] == unique_id:
                self.outstanding = None

    def note_outgoing_call(self, unique_id: str, action: str, payload: dict[str, Any]) -> None:
        self.outstanding = (unique_id, action)
        if action in ("TriggerMessage", "ExtendedTriggerMessage"):
            requested = payload.get("requestedMessage", "")
            self.triggered.add(_TRIGGER_TO_ACTION.get(requested, requested))
        elif action in _TRIGGERED_BY:
            self.triggered.add(_TRIGGERED_BY[action])

    def take_response(self, msg: CallResult | CallError) -> str | None:
        """Hand an answer to the waiting ``call()``; return the action it answers, None if it answers nothing."""
        if self.outstanding is None or self.outstanding[0] != msg.unique_id:
            return None
        action = self.outstanding[1]
        self.outstanding = None
        msg.action = action
        self._response_queue.put_nowait(msg)
        return action

    # The network's "read the configuration after boot" (stations.services.BootAnswer), set at each boot.
    read_configuration_after_boot = True
    _read_while_pending = False

    def configuration_read_due(self) -> bool:
        """Whether the boot just answered calls for reading the station's configuration.

        After every Accepted boot; while Pending once per connection (B02.FR.01: the operator sees the
        configuration before accepting the station; it retries its boot every interval). Never when
        the network turned the read off (a certification run counts it as unexpected).
        """
        if not self.read_configuration_after_boot:
            return False
        if self.consumer.is_accepted():
            return True
        if self.consumer.is_pending() and not self._read_while_pending:
            self._read_while_pending = True
            return True
        return False

    def allowed_before_acceptance(self, action: str) -> bool:
        return action == "BootNotification" or action in self.triggered

    async def handle_call(self, msg: Call) -> None:
        self.current_call = msg
        try:
            if msg.action not in self.route_map:
                if msg.action in _VALID_ACTIONS[self._ocpp_version]:
                    raise NotSupportedError(details={"cause": f"{msg.action} is not supported by this CSMS"})
                raise OcppNotImplementedError(details={"cause": f"{msg.action} is not an OCPP {self._ocpp_version} action"})
            if not self.consumer.is_accepted() and not self.allowed_before_acceptance(msg.action):
                # 2.0.1 B02.FR.09 / B03.FR.07 (TC_B_30_CSMS); 1.6 §4.2: no requests before Accepted.
                raise SecurityError(details={"cause": "The station is not accepted: send BootNotification first"})
            try:
                await self._handle_call(msg)
            except _SCHEMA_ERRORS:
                raise schema_error(msg, self._ocpp_version) from None
            for hook in self.answered_hooks:
                self.start_task(hook())
        except OCPPError as error:
            await self._send(call_error_frame(msg.unique_id, error))
        finally:
            self.current_call = None
            self.answered_hooks.clear()

    async def _handle_call(self, msg: Call) -> Any:
        """ocpp.ChargePoint._handle_call (ocpp 2.1.0) over the class's shared routes, with what it
        recomputed for every frame computed once: each payload key's snake_case name (two regex
        substitutions per key) and whether a handler takes ``call_unique_id`` (an inspect.signature
        of a freshly bound method). Together ~5 % of the gateway's CPU per frame (issue 17)."""
        routes = getattr(self.route_map, "_routes", None)
        entry = routes.get(msg.action) if routes is not None else None
        if entry is None or "_on_action" not in entry:
            return await super()._handle_call(msg)  # the library's own answer (its errors)
        validate = not entry.get("_skip_schema_validation", False)
        if validate:
            await ocpp_messages.validate_payload(msg, self._ocpp_version)
        snake_case_payload = _snake_case(msg.payload)
        try:
            response = _invoke(entry["_on_action"], self, snake_case_payload, msg.unique_id)
            if inspect.isawaitable(response):
                response = await response
        except Exception as e:
            self.logger.exception("Error while handling request '%s'", msg)
            await self._send(msg.create_call_error(e).to_json())
            return None
        result = msg.create_call_result(snake_to_camel_case(remove_nones(serialize_as_dict(response))))
        if validate:
            await ocpp_messages.validate_payload(result, self._ocpp_version)
        await self._send(result.to_json())
        after_action = entry.get("_after_action")
        if after_action is not None:
            response = _invoke(after_action, self, snake_case_payload, msg.unique_id)
            if inspect.isawaitable(response):
                asyncio.ensure_future(response)
        return response

    def after_answer(self, hook: Callable[[], Awaitable[Any]]) -> None:
        """Start ``hook()`` as a task once the CALL being handled is answered (dropped if it is refused).

        The library keeps one @after handler per action, which an app may already hold; this lets
        several apps follow up on the same CALL, each after the station has its answer.
        """
        self.answered_hooks.append(hook)

    def start_task(self, coro) -> asyncio.Task:
        return self.consumer.start_task(coro)

    def start_read_after_boot(self, read: Callable[[], Awaitable[None]]) -> None:
        """Start the configuration read of a boot now, or once a reconnect storm's logins slow down
        (ocpp_gateway.after_boot); dropped if the station is gone by then.

        ``read``, a method of this charge point, is held weakly: a station that leaves while its
        read waits is freed at once, not kept (with its consumer) until the queue reaches it.
        """
        weak_read = weakref.WeakMethod(read)

        def start() -> bool:
            read = weak_read()
            if read is None or read.__self__.consumer.charge_point is not read.__self__:
                return False
            read.__self__.start_task(read())
            return True

        after_boot.reads.start(start)
