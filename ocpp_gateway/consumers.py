"""The OCPP-J websocket: transport, authentication and subprotocol; the ChargePoint does the rest.

Contract with remote actions (``ocpp_gateway.remote``): ``Station.channel_name`` is this
consumer's channel while it holds the station's socket. A channel-layer event of type
"ocpp.command" starts ``remote.execute(consumer, event)`` as a task, which uses
``consumer.charge_point.call()``, ``consumer.station_id`` and ``consumer.ocpp_version``.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.consumer import get_handler_name
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from ocpp.messages import Call, CallError, MessageType

from certificates.proxy import tls_info
from certificates.redaction import redact_secrets
from health import metrics
from ocpp_gateway import after_boot, gc_tuning
from ocpp_gateway.auth import AuthResult, LoginAdmission, station_authenticate
from ocpp_gateway.ratelimit import FrameRate
from ocpp_gateway.message_log import buffer as message_log
from ocpp_gateway.write_buffer import buffer as write_buffer
from ocpp_gateway.protocol import (
    SUBPROTOCOLS,
    UNKNOWN_ID,
    FrameError,
    call_error_frame,
    parse_frame,
    select_subprotocol,
    sniff_frame,
    syntax_error,
)
from stations.models import IDENTITY_PATTERN, Station, StationState
from stations.services import (
    station_connected,
    station_connection_handed_back,
    station_connection_refused,
    station_disconnected,
)

logger = logging.getLogger(__name__)

_IDENTITY = re.compile(rf"^{IDENTITY_PATTERN}$")
CLOSE_NORMAL = 1000
# A newer connection of the same station took over (application close codes are 3000-4999).
CLOSE_REPLACED = 4000
# RFC 6455 §7.4.1: the station kept sending more than OCPP_RATE_LIMIT allows (policy violation), or
# sent a frame over OCPP_MAX_FRAME_BYTES (message too big). ocpp_gateway.server sends these codes.
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009
# ASGI's denial-response extension (ASGI spec 2.3), which ocpp_gateway.server adds to daphne.
DENIAL_EXTENSION = "websocket.http.response"
# RFC 7617 §2: a 401 names the scheme the client should use.
WWW_AUTHENTICATE = (b"www-authenticate", b'Basic realm="OCPP", charset="UTF-8"')


async def refuse_handshake(consumer: AsyncWebsocketConsumer, status: int, *headers: tuple[bytes, bytes]) -> None:
    """Refuse the upgrade with an HTTP status (ASGI websocket denial extension, ocpp_gateway.server).

    OCPP wants 401 for a refused login (TC_A_02, TC_A_03, 1.6 TC_085) and no 101 for an unsupported
    subprotocol (TC_B_58, 1.6 TC_088). A server without the extension (stock daphne, Channels'
    test communicator) can only refuse one way: close before accept, its 403.
    """
    if DENIAL_EXTENSION in (consumer.scope.get("extensions") or {}):
        await consumer.base_send({"type": "websocket.http.response.start", "status": status, "headers": list(headers)})
        await consumer.base_send({"type": "websocket.http.response.body", "body": b""})
    else:
        await consumer.close()


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Every websocket path that is not /ocpp/<identity>: HTTP 404 (never a 500 from the router)."""

    async def connect(self) -> None:
        await refuse_handshake(self, 404)


def _version_module(version: str):
    if version == "2.0.1":
        from ocpp_gateway.v201 import ChargePoint201

        return ChargePoint201
    from ocpp_gateway.v16 import ChargePoint16

    return ChargePoint16


# daphne gives up on a handshake the application has not answered within
# WEBSOCKET_CONNECT_TIMEOUT s (`manage.py serve` passes it as --websocket_connect_timeout; daphne's
# own default is 5 s). 30 s is only the outer bound: how long a login may wait for an auth thread is
# decided by the login admission (ocpp_gateway.auth.LoginAdmission: arrival order, at most
# LOGIN_MAX_WAIT s, else HTTP 503 + Retry-After), which keeps a reconnect storm's queue shorter
# than the stations' own timeouts (often 10 s) instead of letting every login in it time out.
WEBSOCKET_CONNECT_TIMEOUT = 30
_auth_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocpp-auth")


_throttle_locks: dict[tuple[str, str], asyncio.Lock] = {}


@contextlib.asynccontextmanager
async def _throttle_lock(client_address: str, identity: str):
    """Serialise the throttled login attempts of one (address, identity) in this process."""
    key = (client_address, identity)
    lock = _throttle_locks.setdefault(key, asyncio.Lock())
    try:
        async with lock:
            yield
    finally:
        if not lock.locked() and not getattr(lock, "_waiters", None):
            _throttle_locks.pop(key, None)


# Logins in arrival order, a bounded wait each (ocpp_gateway.auth.LoginAdmission, issue 17).
_admission = LoginAdmission(threads=_auth_pool._max_workers)


def _authenticate_unless_stale(*, deadline: float | None, **kwargs) -> AuthResult | None:
    """None: the login waited past its admission deadline and is answered 503 unserved (its
    station has likely given up; serving it would only delay the logins behind it)."""
    if deadline is not None and not _admission.serve(deadline, time.monotonic()):
        return None
    started = time.monotonic()
    try:
        return station_authenticate(**kwargs)
    finally:
        _admission.served(time.monotonic() - started)


# Stations whose socket this process holds (station id -> channel). daphne stops on SIGTERM
# without running every consumer's disconnect; these are marked offline at exit instead.
_online: dict[int, str] = {}


@atexit.register
def _mark_offline_at_exit() -> None:
    for station_id, channel_name in list(_online.items()):
        try:
            station_disconnected(station_id=station_id, channel_name=channel_name, at=timezone.now())
        except Exception:
            logger.exception("Could not mark station %s offline at shutdown", station_id)
            return


class OcppConsumer(AsyncWebsocketConsumer):
    charge_point = None
    station: Station | None = None
    station_id: int | None = None
    ocpp_version: str = ""
    identity: str = ""
    # The RegistrationStatus the last BootNotification on this connection was answered with.
    registration_status: str | None = None
    # The log ticket of the CALL being handled: its answer waits for it (message_log, group commit).
    _answer_after = None
    _rate: FrameRate | None = None
    # Set once the platform closes the socket for a policy reason: frames still queued are dropped.
    _closing = False
    # The channel of the station's earlier socket until the station speaks on this one.
    _replaced: str | None = None

    # --- Channels plumbing -------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        # AsyncConsumer.__call__ without Channels' await_many_dispatch, which made a task per frame
        # and an asyncio.wait() to take it (issue 17: CPU and memory per station). Frames are
        # taken here; channel-layer events in a task of their own, so that a Redis timeout costs a
        # late remote command, never the station's socket (Channels would close it with 1011).
        # Both still take turns, as under Channels: a command a handler queues (e.g. the local
        # list update after NotifyCustomerInformation, TC_N_46) reaches the station after the
        # answer to the frame being handled.
        self._turn = asyncio.Lock()
        self.scope = scope
        self._tasks: set[asyncio.Task] = set()
        self._cancel_on_disconnect: set[asyncio.Task] = set()
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        events = None
        if self.channel_layer is not None:
            try:
                self.channel_name = await self.channel_layer.new_channel()
                events = asyncio.ensure_future(self._dispatch_channel_events())
            except Exception:
                logger.exception("Channel layer unavailable: serving without remote commands")
                self.channel_name = ""
        # Without a channel the presence record still needs a name only this socket has, so that
        # an older socket's disconnect cannot clear a newer one's flag.
        self.channel_name = self.channel_name or f"nolayer.{uuid.uuid4().hex}"
        try:
            while True:
                message = await receive()
                async with self._turn:
                    await self.dispatch(message)
        except StopConsumer:
            pass
        finally:
            if events is not None:
                events.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await events

    async def _dispatch_channel_events(self) -> None:
        delay = 0.5
        while True:
            try:
                event = await self.channel_layer.receive(self.channel_name)
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("%s: channel layer receive failed (%r); retrying", self.identity, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            try:
                async with self._turn:
                    await self.dispatch(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s: could not handle %s", self.identity, event.get("type"))

    async def dispatch(self, message):
        # AsyncConsumer.dispatch without its close_old_connections() before every message: a
        # thread hop, queued behind the database work, for each connect, frame and command. The
        # consumer's database work runs in database_sync_to_async, which does that itself.
        if message["type"] == "websocket.receive":
            if self._closing:
                return
            if self._replaced:
                await self._close_replaced()
            if self._rate is not None and not await self._within_rate():
                return
            await self.websocket_receive(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _within_rate(self) -> bool:
        """Hold this station's frame while it is over OCPP_RATE_LIMIT; False once it is closed for it.

        Sleeping here stops this consumer taking frames, so its socket stops being read
        (ocpp_gateway.server's bounded queue) and the station's TCP window fills: backpressure on
        this station alone; every other consumer is its own task.
        """
        now = time.monotonic()
        delay = self._rate.take(now)
        if not delay:
            return True
        if self._rate.persistently_over(now):
            self._closing = True
            reason = (
                f"Closed (1008): more than {settings.OCPP_RATE_LIMIT:g} frames/s "
                f"(burst {settings.OCPP_RATE_BURST}) for {settings.OCPP_RATE_LIMIT_CLOSE_AFTER:g} s (OCPP_RATE_LIMIT)"
            )
            logger.warning("%s: %s", self.identity, reason)
            await self.close(code=CLOSE_POLICY_VIOLATION, reason="frame rate limit exceeded")
            await database_sync_to_async(station_connection_refused)(station=self.station, reason=reason, at=timezone.now())
            return False
        await asyncio.sleep(delay)
        return True

    def start_task(self, coro, *, cancel_on_disconnect: bool = True) -> asyncio.Task:
        """A task tied to this connection: referenced until done; cancelled on disconnect unless it
        must finish its own bookkeeping (remote actions record the failure themselves)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        if cancel_on_disconnect:
            self._cancel_on_disconnect.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._cancel_on_disconnect.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: background task failed", self.identity, exc_info=task.exception())

    async def _channel_send(self, channel: str, message: dict) -> None:
        try:
            await self.channel_layer.send(channel, message)
        except Exception as exc:
            logger.warning("%s: could not send %s to %s: %r", self.identity, message.get("type"), channel, exc)

    # --- Handshake ---------------------------------------------------------------------------

    def _identity_from_path(self) -> str:
        raw_path = self.scope.get("raw_path")
        if raw_path:
            # Stations percent-encode their identity; ASGI's decoded "path" may already be decoded
            # once, so decode the raw segment exactly once.
            segment = raw_path.decode("latin-1").split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            return unquote(segment)
        return self.scope["url_route"]["kwargs"]["identity"]

    def _client_address(self) -> str:
        client = self.scope.get("client")
        return client[0] if client else "unknown"

    async def connect(self) -> None:
        self.identity = self._identity_from_path()
        if not _IDENTITY.match(self.identity):
            # Over 48 characters, a decoded '/' (%2F), not UTF-8, empty: no station can have it.
            logger.warning("Refused a connection with an invalid identity %r", self.identity[:60])
            await refuse_handshake(self, 400)
            return
        # On the auth threads, not the shared database thread: PBKDF2 takes ~15 ms (releasing the
        # GIL) and a reconnect storm must not queue every station's frames behind the hashing.
        authenticate = database_sync_to_async(_authenticate_unless_stale, thread_sensitive=False, executor=_auth_pool)
        now = time.monotonic()
        # A storm's logins go before the configuration reads of the stations already booted.
        after_boot.reads.login(now)
        deadline = _admission.admit(now)
        if deadline is None:
            # Too many logins ahead to serve this one in time: come back later (reconnect storms).
            await refuse_handshake(self, 503, (b"retry-after", LoginAdmission.retry_after()))
            return
        credentials = {
            "deadline": deadline,
            "identity": self.identity,
            "headers": self.scope.get("headers", []),
            "client_address": self._client_address(),
            "tls": tls_info(self.scope),
        }
        result = await authenticate(**credentials)
        if result is None:
            await refuse_handshake(self, 503, (b"retry-after", LoginAdmission.retry_after()))
            return
        credentials["deadline"] = None
        if result.throttled:
            # Too many failures for this (address, identity): verified anyway, but one attempt at a
            # time and after a delay, so a correct password still gets in and guessing stays slow.
            async with _throttle_lock(credentials["client_address"], self.identity):
                await asyncio.sleep(settings.OCPP_AUTH_THROTTLE_DELAY)
                result = await authenticate(**credentials, throttle=False)
        if not result.ok:
            await refuse_handshake(self, 401, WWW_AUTHENTICATE)
            return
        station = result.station
        offered = list(self.scope.get("subprotocols") or [])
        subprotocol = select_subprotocol(offered, station.ocpp_version)
        if subprotocol is None:
            # OCPP-J's text would let the handshake complete and close; the OCA test cases (TC_B_58,
            # 1.6 TC_088) expect the upgrade refused, no 101: HTTP 400.
            await refuse_handshake(self, 400)
            await database_sync_to_async(station_connection_refused)(
                station=station,
                reason=f"No supported OCPP subprotocol offered ({', '.join(offered) or 'none'}); "
                f"the platform speaks {', '.join(reversed(SUBPROTOCOLS))}",
                at=timezone.now(),
            )
            return

        self.station = station
        self.station_id = station.pk
        self.ocpp_version = SUBPROTOCOLS[subprotocol]
        if settings.OCPP_RATE_LIMIT > 0:
            self._rate = FrameRate(
                rate=settings.OCPP_RATE_LIMIT, burst=settings.OCPP_RATE_BURST,
                close_after=settings.OCPP_RATE_LIMIT_CLOSE_AFTER, now=time.monotonic(),
            )
        self.charge_point = _version_module(self.ocpp_version)(
            self.identity, self, response_timeout=settings.OCPP_CALL_TIMEOUT
        )
        await self.accept(subprotocol)
        previous = await database_sync_to_async(station_connected)(
            station_id=station.pk, channel_name=self.channel_name, at=timezone.now(), previous=station.channel_name
        )
        station.connected = True
        station.channel_name = self.channel_name
        _online[station.pk] = self.channel_name
        metrics.station_connected(self.ocpp_version)
        self._counted_as_connected = True
        if previous and self.channel_layer is not None:
            # The station reconnected before its old socket timed out: close the old one (its
            # disconnect will not clear the flag: station_disconnected checks the channel), once
            # the station spoke on this one (_close_replaced).
            self._replaced = previous

    async def _close_replaced(self) -> None:
        """The first frame on a socket that took a station over: now close the one it replaced.

        In a reconnect storm a station gives up on a handshake the node is slow to serve and
        opens another; the node may serve the abandoned one last. Taking over at once let that
        dead socket close the station's live one (4000), leaving it offline. An abandoned socket
        never sends a frame: it disconnects and hands the station back (disconnect()).
        """
        previous, self._replaced = self._replaced, None
        await self._channel_send(previous, {"type": "ocpp.close", "code": CLOSE_REPLACED})

    def boot_answered(self, status: str) -> None:
        self.registration_status = status

    def is_accepted(self) -> bool:
        """BootNotification answered Accepted: on this connection if it booted, else on an earlier one.

        A station answered Pending or Rejected here is not accepted until a later boot says so,
        whatever its state from earlier connections (2.0.1 B02.FR.09, B03.FR.07).
        """
        if self.registration_status is not None:
            return self.registration_status == "Accepted"
        return self.station is not None and self.station.state == StationState.ONBOARDED

    def is_pending(self) -> bool:
        """This connection's last BootNotification was answered Pending."""
        return self.registration_status == "Pending"

    async def _note_too_big(self, detail: str) -> None:
        await database_sync_to_async(station_connection_refused)(
            station=self.station, reason=f"Closed (1009): {detail} (OCPP_MAX_FRAME_BYTES)", at=timezone.now()
        )

    async def websocket_disconnect(self, message) -> None:
        # ocpp_gateway.server passes the reason of a close it started (1009: the frame's size).
        self._close_reason = message.get("reason") or ""
        await super().websocket_disconnect(message)

    async def disconnect(self, code) -> None:
        gc_tuning.connection_closed(self)
        if self.station_id is None:
            return
        if code == CLOSE_TOO_BIG and not self._closing:
            await self._note_too_big(getattr(self, "_close_reason", "") or "a frame over the size limit")
        charge_point, self.charge_point = self.charge_point, None
        if getattr(self, "_counted_as_connected", False):
            self._counted_as_connected = False
            metrics.station_disconnected(self.ocpp_version)
        for task in list(self._cancel_on_disconnect):
            task.cancel()
        if charge_point is not None and charge_point.outstanding:
            # Fail the request waiting for an answer now rather than after OCPP_CALL_TIMEOUT.
            unique_id = charge_point.outstanding[0]
            charge_point.take_response(CallError(unique_id, "GenericError", "The station disconnected before answering", {}))
        try:
            await write_buffer.flush()
        except Exception:
            logger.exception("%s: could not write status and meter reports on disconnect", self.identity)
        try:
            await message_log.flush()
        except Exception:
            logger.exception("%s: could not write the message log on disconnect", self.identity)
        replaced, self._replaced = self._replaced, None
        if replaced:
            # Took over and closed without a word: the socket it replaced is the station's again.
            if await database_sync_to_async(station_connection_handed_back)(
                station_id=self.station_id, from_channel=self.channel_name, to_channel=replaced
            ):
                logger.info("%s: a connection that took over closed at once; the earlier one stays", self.identity)
                if _online.get(self.station_id) == self.channel_name:
                    _online[self.station_id] = replaced
                del charge_point
                return
        if _online.get(self.station_id) == self.channel_name:
            del _online[self.station_id]
        await database_sync_to_async(station_disconnected)(
            station_id=self.station_id, channel_name=self.channel_name, at=timezone.now()
        )
        del charge_point

    # --- Channel-layer events ----------------------------------------------------------------

    async def ocpp_command(self, event: dict[str, Any]) -> None:
        # Never await the station's answer here: the answer is an incoming frame, and frames and
        # events are handled one at a time by this consumer (deadlock until timeout).
        from ocpp_gateway import remote

        if self.charge_point is None:
            return
        self.start_task(remote.execute(self, event), cancel_on_disconnect=False)

    async def ocpp_close(self, event: dict[str, Any]) -> None:
        await self.close(code=event.get("code", CLOSE_REPLACED))

    # --- Frames ------------------------------------------------------------------------------

    def _log(self, direction: str, message_type, action: str, unique_id: str, payload, note: str = ""):
        # Secrets (a pushed password, a write-only value a station reports) are logged as set,
        # never as their value (issues 7 and 13): both directions, requests and answers.
        payload = redact_secrets(action, payload)
        return message_log.add(
            station_id=self.station_id,
            direction=direction,
            message_type=message_type,
            action=action,
            unique_id=unique_id,
            payload=payload,
            note=note,
        )

    async def _send_text(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception as exc:  # the socket went away under us
            logger.info("%s: could not send a frame: %r", self.identity, exc)

    async def send_frame(self, text: str) -> None:
        """Every frame the ChargePoint sends goes through here: logged, then written to the socket."""
        data = json.loads(text)
        type_id, unique_id = data[0], data[1]
        cp = self.charge_point
        current = cp.current_call if cp is not None else None
        if type_id == MessageType.Call:
            action, payload = data[2], data[3]
            if cp is not None:
                cp.note_outgoing_call(unique_id, action, payload)
        elif type_id == MessageType.CallResult:
            action, payload = (current.action if current else ""), data[2]
        else:
            action = current.action if current is not None and current.unique_id == unique_id else ""
            payload = {"errorCode": data[2], "errorDescription": data[3], "errorDetails": data[4]}
        if type_id != MessageType.Call and self._answer_after is not None:
            # Answered means stored: the CALL's log row is committed before its answer leaves.
            ticket, self._answer_after = self._answer_after, None
            try:
                await message_log.wait(ticket)
            except Exception as exc:
                logger.warning("%s: answering before the message log committed: %r", self.identity, exc)
        self._log("out", type_id, action, unique_id, payload)
        await self._send_text(text)

    async def _refuse_frame(self, problem: FrameError) -> None:
        self._log("in", problem.message_type, problem.action, problem.unique_id if problem.unique_id != UNKNOWN_ID else "", problem.payload, problem.note)
        if problem.message_type in (MessageType.CallResult, MessageType.CallError):
            return  # never answer an answer (OCPP-J §4.2)
        error = problem.error
        self._log(
            "out", MessageType.CallError, problem.action, problem.unique_id,
            {"errorCode": error.code, "errorDescription": error.description, "errorDetails": error.details},
        )
        await self._send_text(call_error_frame(problem.unique_id, error))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        cp = self.charge_point
        if cp is None:
            return
        version = self.ocpp_version
        if bytes_data is not None:
            # OCPP-J is JSON in text frames (OCPP-J 1.6 §4.1.1 / 2.0.1 Part 4 §4.1).
            await self._refuse_frame(
                FrameError(
                    syntax_error(version, "OCPP-J messages are text frames, not binary", unreadable=True),
                    UNKNOWN_ID, f"binary frame of {len(bytes_data)} bytes",
                    payload={"bytes": len(bytes_data), "head": bytes_data[:64].hex()},
                )
            )
            return
        limit = settings.OCPP_MAX_FRAME_BYTES
        if len(text_data) > limit // 4 and len(text_data.encode("utf-8")) > limit:
            size = len(text_data.encode("utf-8"))
            type_id, unique_id = sniff_frame(text_data)
            await self._refuse_frame(
                FrameError(
                    syntax_error(version, f"Message of {size} bytes exceeds the {limit}-byte limit"),
                    unique_id, f"oversized frame of {size} bytes", message_type=type_id,
                    payload={"bytes": size, "head": text_data[:500]},
                )
            )
            # Only under a server with a larger limit than ours (ocpp_gateway.server refuses the
            # frame while reading its header): close the same way, 1009 and the note.
            self._closing = True
            await self.close(code=CLOSE_TOO_BIG, reason="frame too big")
            await self._note_too_big(f"a frame of {size} bytes exceeds the {limit}-byte limit")
            return
        msg = parse_frame(text_data, version)
        if isinstance(msg, FrameError):
            if msg.payload is None:
                msg.payload = {"raw": text_data[:1000]}
            await self._refuse_frame(msg)
            return
        if isinstance(msg, Call):
            self._answer_after = self._log("in", MessageType.Call, msg.action, msg.unique_id, msg.payload)
            await cp.handle_call(msg)
            return
        action = cp.take_response(msg)
        if msg.message_type_id == MessageType.CallResult:
            payload = msg.payload
        else:
            payload = {"errorCode": msg.error_code, "errorDescription": msg.error_description, "errorDetails": msg.error_details}
        # An answer to nothing (late, duplicated or invented) is logged and dropped: OCPP-J has no
        # way to answer an answer.
        self._log("in", msg.message_type_id, action or "", msg.unique_id, payload, "" if action else "answers no outstanding request")
