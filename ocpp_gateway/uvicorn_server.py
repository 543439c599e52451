"""The platform on uvicorn (``manage.py serve --server uvicorn``), beside daphne (issue 17).

uvicorn with uvloop and httptools; websockets by the `websockets` library's Sans-I/O protocol,
which keeps a connection's keep-alive pings as timers of the loop. Its legacy protocol, uvicorn's
``ws="websockets"``, ran four tasks per connection and, with every closed connection, left the
protocol in a reference cycle (its handler wrapped in a closure over itself).

Like daphne here: no proxy headers (certificates.proxy decides whom to believe), no lifespan
(nothing to start), keep-alive pings every 20 s, a large listen backlog (a reconnect storm opens
thousands of connections at once). uvicorn has no handshake timeout of its own; the login admission
(ocpp_gateway.auth.LoginAdmission) answers 503 to logins that would queue too long.
"""
from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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


def serve(host: str, port: int) -> int:
    import uvicorn

    config = uvicorn.Config(
        "switchplatform.asgi:application", host=host, port=port, loop="uvloop", http=GatewayHttpToolsProtocol,
        ws="websockets-sansio", lifespan="off", proxy_headers=False, server_header=False, backlog=4096,
        access_log=False, log_level="warning",
    )
    uvicorn.Server(config).run()
    return 0
