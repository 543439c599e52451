"""daphne, with the handshake answers and close codes OCPP needs (`manage.py serve` runs this).

daphne 4.2 does four things the OCA test cases and a shared gateway cannot live with; each is fixed
here by subclassing its server and websocket protocol rather than patching daphne globally:

- A handshake the application closes before accepting is always HTTP 403. OCPP wants 401 for a
  refused login (TC_A_02, TC_A_03, 1.6 TC_085), and a refused path or subprotocol is not
  "forbidden" either. This implements the ASGI "websocket.http.response" denial extension
  (ASGI spec 2.3: ``websocket.http.response.start`` / ``.body`` before ``websocket.accept``), which
  daphne lacks and uvicorn has, and advertises it in the scope so the consumer can use it.
- A request path that is not ASCII makes daphne's ``onConnect`` raise: HTTP 500 and a traceback.
  It is answered 400 here.
- autobahn drops the TCP connection without a close frame on a protocol violation or a message
  over the size limit ("failByDrop"). A station then cannot tell why; it gets a close frame
  (1009 "message too big", RFC 6455 §7.4.1) instead, and the consumer learns the code and reason.
- Incoming frames go to an unbounded queue while autobahn keeps reading the socket: a station
  sending faster than its consumer handles (a flood, or a rate-limited station) grows the
  process's memory without bound. The socket is no longer read while a station has
  ``INBOUND_HIGH_WATER`` frames waiting (TCP backpressure on that station only).

Close codes 1008 and 1009 are the server's to send (RFC 6455 §7.4.1) but autobahn's public
``sendClose`` only takes 1000 and 3000-4999; they go through its close-frame primitive.
"""
from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import weakref

from autobahn.websocket.types import ConnectionDeny
from autobahn.util import encode_truncate
from daphne.cli import CommandLineInterface
from daphne.http_protocol import WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import defer, tcp

from ocpp_gateway.lean_queue import LeanQueue

logger = logging.getLogger(__name__)

DENIAL_EXTENSION = "websocket.http.response"
# Frames of one station waiting for its consumer before its socket stops being read, and the level
# at which reading resumes. A well-behaved station has one request and one answer in flight (OCPP-J
# §4.1.1: one outstanding CALL per side), so 32 is far above normal and bounds a flood's memory.
INBOUND_HIGH_WATER = 32
INBOUND_LOW_WATER = 8
# RFC 6455 §7.4.1 codes a server may send that autobahn's sendClose() refuses.
_PROTOCOL_CLOSE_CODES = {1001, 1002, 1003, 1007, 1008, 1009, 1011}


class _InboundQueue(LeanQueue):
    """The application's receive queue (lean: one per station); taking from it resumes reading a
    paused socket."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: GatewayWebSocketProtocol) -> None:
        super().__init__()
        # Weak: the protocol holds its queue, and a cycle would leave every closed connection's
        # objects to a full collection (gc_tuning) instead of reference counting.
        self._protocol = weakref.ref(protocol)

    async def get(self):
        item = await super().get()
        protocol = self._protocol()
        if protocol is not None and protocol.reading_paused and self.qsize() <= INBOUND_LOW_WATER:
            protocol.resume_reading()
        return item


# The protocol options autobahn copies from the factory onto every connection.
_OPTIONS = tuple(WebSocketProtocol.CONFIG_ATTRS)


class GatewayWebSocketProtocol(WebSocketProtocol):
    # autobahn's _connectionMade copies ~30 factory options onto each connection (a larger
    # instance dict: ~1 KB per station) and pformat()s them for a debug line that is off (~2 % of
    # a connect's CPU). The options live on this class instead, copied from the factory once.
    CONFIG_ATTRS = ()
    _options_of = None
    reading_paused = False
    # (code, reason) of a close this side started for a reason the application must know
    # (1009 oversized frame; 1008 from the application itself).
    server_close: tuple[int, str] | None = None
    _denial: dict | None = None
    _refused_early = False

    def _connectionMade(self):
        owner = GatewayWebSocketProtocol
        if owner._options_of is None:
            for name in _OPTIONS:
                value = getattr(self.factory, name)
                # A function option (perMessageCompressionAccept) must not become a method.
                setattr(owner, name, staticmethod(value) if callable(value) else value)
            owner._options_of = self.factory
        elif owner._options_of is not self.factory:
            # Another server in this process: its options on each connection, as autobahn does.
            for name in _OPTIONS:
                setattr(self, name, getattr(self.factory, name))
        super()._connectionMade()

    def onConnect(self, request):
        try:
            request.path.encode("ascii")
        except UnicodeEncodeError:
            # daphne encodes the path as ASCII and would fail with a 500 and a traceback.
            self._refused_early = True
            raise ConnectionDeny(400, "Bad Request") from None
        return super().onConnect(request)

    # --- the ASGI denial extension -----------------------------------------------------------

    def handle_reply(self, message):
        kind = message.get("type")
        if kind == "websocket.http.response.start":
            if self.state != self.STATE_CONNECTING or self._denial is not None:
                raise ValueError("websocket.http.response.start after the handshake was answered")
            self._denial = {"status": int(message["status"]), "headers": list(message.get("headers") or []), "body": b""}
            return
        if kind == "websocket.http.response.body":
            if self._denial is None:
                raise ValueError("websocket.http.response.body before websocket.http.response.start")
            self._denial["body"] += message.get("body", b"")
            if not message.get("more_body", False):
                self._deny()
            return
        if kind == "websocket.close" and self.state != self.STATE_CONNECTING:
            self.serverClose(code=message.get("code"), reason=message.get("reason") or "")
            return
        super().handle_reply(message)

    def _deny(self) -> None:
        status = self._denial["status"]
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Refused"
        self.handshake_deferred.errback(ConnectionDeny(code=status, reason=phrase))
        del self.handshake_deferred
        self.server.protocol_disconnected(self)
        self.server.log_action(
            "websocket", "rejected",
            {"path": self.request.path, "client": "%s:%s" % tuple(self.client_addr) if self.client_addr else None},
        )

    def failHandshake(self, reason, code=400, responseHeaders=None):
        # autobahn sends a status line and no body framing; a refusal carries our headers and body.
        denial, body = self._denial, b""
        headers = list(responseHeaders or [])
        if denial is not None and denial["status"] == code:
            headers += [(k.decode("latin-1"), v.decode("latin-1")) for k, v in denial["headers"]]
            body = denial["body"]
        headers += [("Content-Length", str(len(body))), ("Connection", "close")]
        self.wasNotCleanReason = reason
        self.sendHttpErrorResponse(code, reason, headers)
        if body:
            self.sendData(body)
        self.dropConnection(abort=False)

    # --- closing ----------------------------------------------------------------------------

    def serverClose(self, code=None, reason=""):
        code = 1000 if code is None else int(code)
        if code in _PROTOCOL_CLOSE_CODES:
            self.server_close = (code, reason or "")
            self.sendCloseFrame(code=code, reasonUtf8=encode_truncate(reason or "", 123), isReply=False)
        else:
            self.sendClose(code=code, reason=reason or None)

    def _max_message_size_exceeded(self, msg_size, max_msg_size, reason) -> None:
        self.server_close = (1009, f"a frame of {msg_size} bytes exceeds the {max_msg_size}-byte limit")
        super()._max_message_size_exceeded(msg_size, max_msg_size, reason)

    def onClose(self, wasClean, code, reason):
        if self._refused_early:
            return  # refused before daphne knew the connection
        if self.server_close is not None:
            code, reason = self.server_close
        self.server.protocol_disconnected(self)
        if not self.muted and hasattr(self, "application_queue"):
            self.application_queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason or ""})
        self.server.log_action(
            "websocket", "disconnected",
            {"path": self.request.path, "client": "%s:%s" % tuple(self.client_addr) if self.client_addr else None},
        )

    def connectionLost(self, reason):
        super().connectionLost(reason)
        # autobahn resolves is_closed with the protocol itself: a cycle that would leave this
        # connection's objects to a full collection (ocpp_gateway.gc_tuning) instead of reference
        # counting. Whoever waits on it later still finds it resolved.
        self.is_closed = defer.succeed(None)

    # --- memory -----------------------------------------------------------------------------

    def onOpen(self):
        super().onOpen()
        # The handshake's headers were read once, by the login (ocpp_gateway.consumers.connect);
        # daphne's list (also the scope's "headers"), autobahn's parsed dict (also the request's)
        # and the raw request would otherwise stay for the life of the connection: ~2 KB of the
        # 30 KB per station issue 17 allows.
        for held in (getattr(self, "clean_headers", None), getattr(self, "http_headers", None)):
            if held is not None:
                held.clear()
        self.http_request_data = b""

    # --- the per-frame path -----------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        # autobahn's formats the arguments of a debug line (hltype, hlval) on every read, logging
        # off or not: ~1 % of the gateway's CPU per frame (issue 17).
        self._dataReceived(data)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        if sync or chopsize or self.send_queue or self.logOctets:
            super().sendData(data, sync, chopsize)
            return
        write_now(self.transport, data)
        if self.state == self.STATE_OPEN:
            self.trafficStats.outgoingOctetsWireLevel += len(data)
        else:
            self.trafficStats.preopenOutgoingOctetsWireLevel += len(data)

    # --- backpressure -----------------------------------------------------------------------

    def onMessage(self, payload, isBinary):
        super().onMessage(payload, isBinary)
        queue = getattr(self, "application_queue", None)
        if queue is not None and not self.reading_paused and queue.qsize() >= INBOUND_HIGH_WATER:
            self.reading_paused = True
            self.transport.pauseProducing()

    def resume_reading(self) -> None:
        if self.reading_paused:
            self.reading_paused = False
            if self.state in (self.STATE_OPEN, self.STATE_CLOSING):
                self.transport.resumeProducing()


def write_now(transport, data: bytes) -> None:
    """Write to a plain TCP transport's socket at once when nothing is waiting to go before it.

    twisted buffers every write until the reactor's next turn: addWriter, a loop pass, send(),
    removeWriter, two epoll_ctl calls and two callbacks for each frame (~7 % of the gateway's CPU
    per frame, issue 17). asyncio's own transports try the socket first; so does this. Whatever
    the socket does not take at once (a full send buffer, an error) goes through twisted's write,
    which buffers it, or finds the error and closes the connection the usual way.
    TLS transports and a transport with a producer or data pending keep twisted's path."""
    if (
        type(transport) is tcp.Server
        and transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
        and not transport._tempDataBuffer
        and len(transport.dataBuffer) == transport.offset
        and transport.producer is None
    ):
        try:
            sent = transport.socket.send(data)
        except OSError:
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


class GatewayServer(Server):
    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory) -> None:
        # daphne builds its WebSocketFactory inside run(); the instance gets our protocol (no global
        # patch of daphne) and sends close frames instead of dropping connections.
        factory.protocol = GatewayWebSocketProtocol
        factory.setProtocolOptions(failByDrop=False)
        self._ws_factory = factory

    def create_application(self, protocol, scope):
        # daphne's create_application, with the denial extension advertised and, for our websocket
        # protocol, a receive queue that resumes a paused socket.
        assert "application_instance" not in self.connections[protocol]
        if isinstance(protocol, GatewayWebSocketProtocol):
            scope = {**scope, "extensions": {**(scope.get("extensions") or {}), DENIAL_EXTENSION: {}}}
            input_queue: asyncio.Queue | LeanQueue = _InboundQueue(protocol)
        else:
            input_queue = asyncio.Queue()
        scope.setdefault("asgi", {"version": "3.0"})
        application_instance = self.application(scope=scope, receive=input_queue.get, send=self._reply_to(protocol))
        if protocol not in self.connections:
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            application_instance, loop=asyncio.get_event_loop()
        )
        return input_queue

    def protocol_disconnected(self, protocol):
        super().protocol_disconnected(protocol)
        if isinstance(protocol, WebRequest) and protocol.transport is None and protocol.channel is not None:
            # An upgraded request (daphne handed its transport to the websocket protocol): its
            # HTTP channel serves nothing more but still lists it, a cycle left to a full
            # collection for every connection (ocpp_gateway.gc_tuning).
            with contextlib.suppress(ValueError):
                protocol.channel.requests.remove(protocol)

    def _reply_to(self, protocol):
        async def send(message):
            await self.handle_reply(protocol, message)

        return send


class GatewayCommandLineInterface(CommandLineInterface):
    server_class = GatewayServer
