"""The platform on uvicorn (``manage.py serve --server uvicorn``), beside daphne (issue 17).

uvicorn with uvloop and httptools; websockets by the `websockets` library's Sans-I/O protocol,
which keeps a connection's keep-alive pings as timers of the loop. Its legacy protocol, uvicorn's
``ws="websockets"``, ran four tasks per connection and, with every closed connection, left the
protocol in a reference cycle (its handler wrapped in a closure over itself).

Like daphne here: no permessage-deflate (OCPP frames are small; a zlib state per station that
offers it would cost more than the rest of its connection), no proxy headers (certificates.proxy
decides whom to believe), no lifespan (nothing to start), keep-alive pings every 20 s, a large
listen backlog (a reconnect storm opens thousands of connections at once). uvicorn has no
handshake timeout of its own; the login admission (ocpp_gateway.auth.LoginAdmission) answers 503
to logins that would queue too long.
"""
from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from ocpp_gateway.lean_queue import LeanQueue


class GatewayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, which lets go of its parser once a station's socket is upgraded.

    The parser holds the protocol's callbacks, and the protocol the parser. After the upgrade the
    socket belongs to the websocket protocol and this one never hears of it again (no
    ``connection_lost``, where uvicorn drops the parser): every station's connection left the pair
    for a full collection over the node's heap (ocpp_gateway.gc_tuning).
    """

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        self.parser = None  # type: ignore[assignment]


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's Sans-I/O websocket protocol, lighter per connection: a LeanQueue for the frames
    the consumer has not taken yet (an asyncio.Queue is ~2.5 KB even when empty; the consumer is
    its only getter), and the handshake released once the socket is open."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue = LeanQueue()  # type: ignore[assignment]

    def start_keepalive(self) -> None:
        # Called once, right after the handshake's answer left (websocket.accept): a hook with
        # no cost per frame, unlike overriding send().
        super().start_keepalive()
        # The handshake was read once, by the login (ocpp_gateway.consumers.connect): its request
        # and response (parsed headers) and the scope's header list (shared with the consumer's
        # scope) would otherwise stay for the connection's life, ~5 KB a station (issue 17:
        # 30 KB each at 10,000). As ocpp_gateway.server does under daphne.
        self.request = self.response = None  # type: ignore[assignment]
        self.scope["headers"].clear()  # type: ignore[attr-defined]


def serve(host: str, port: int) -> int:
    import uvicorn
    from django.conf import settings

    config = uvicorn.Config(
        "switchplatform.asgi:application", host=host, port=port, loop="uvloop",
        http=GatewayHttpToolsProtocol, ws=GatewayWebSocketProtocol, ws_per_message_deflate=False,
        # A larger frame closes the socket with 1009 while it arrives, not once it is buffered whole
        # (the consumer notes it on the station, as under daphne).
        ws_max_size=settings.OCPP_MAX_FRAME_BYTES,
        lifespan="off", proxy_headers=False, server_header=False, backlog=4096, access_log=False, log_level="warning",
    )
    uvicorn.Server(config).run()
    return 0
