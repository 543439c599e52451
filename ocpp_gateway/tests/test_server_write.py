"""ocpp_gateway.server.write_now: a frame goes to the socket at once, and nothing is lost or reordered
when the socket cannot take it all (a station that stopped reading) or has gone away.

A real twisted TCP transport over a real socket pair; only the reactor is a recorder (this test does
not run one: the transport's doWrite is driven by hand, as the reactor would when writable).
"""
from __future__ import annotations

import socket

import pytest
from twisted.internet import error, tcp

from ocpp_gateway.server import write_now


class _Reactor:
    def __init__(self) -> None:
        self.writers: set = set()

    def addReader(self, reader) -> None:
        pass

    def removeReader(self, reader) -> None:
        pass

    def addWriter(self, writer) -> None:
        self.writers.add(writer)

    def removeWriter(self, writer) -> None:
        self.writers.discard(writer)


class _Protocol:
    def makeConnection(self, transport) -> None:
        pass

    def connectionLost(self, reason) -> None:
        self.lost = reason


@pytest.fixture
def pair():
    server_side, station_side = socket.socketpair()
    server_side.setblocking(False)
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    reactor = _Reactor()
    transport = tcp.Server(server_side, _Protocol(), ("127.0.0.1", 1), None, 1, reactor)
    yield transport, station_side, reactor
    station_side.close()
    server_side.close()


def _read_all(sock: socket.socket, size: int, transport) -> bytes:
    """Read as the station would, letting the transport write what it buffered as room appears."""
    sock.settimeout(2)
    received = b""
    while len(received) < size:
        if transport._tempDataBuffer or len(transport.dataBuffer) > transport.offset:
            transport.doWrite()
        received += sock.recv(65536)
    return received


def test_a_frame_is_on_the_socket_at_once_without_waiting_for_the_reactor(pair):
    transport, station, reactor = pair
    write_now(transport, b"\x81\x05hello")
    station.settimeout(1)
    assert station.recv(100) == b"\x81\x05hello"
    assert reactor.writers == set()  # nothing left for a later reactor turn


def test_what_the_socket_cannot_take_is_sent_later_in_order(pair):
    transport, station, reactor = pair
    big = bytes(range(256)) * 4096  # 1 MiB: far more than the socket buffers take at once
    write_now(transport, big)
    assert reactor.writers == {transport}  # the rest waits for the socket to drain
    write_now(transport, b"after")  # must not overtake the rest of the first frame
    received = _read_all(station, len(big) + 5, transport)
    assert received == big + b"after"


def test_a_station_that_went_away_costs_no_exception_and_closes_the_usual_way(pair):
    transport, station, reactor = pair
    station.close()
    write_now(transport, b"x" * 100_000)  # EPIPE on the direct send: left to twisted
    assert reactor.writers == {transport}
    # The reactor's next turn: twisted finds the error and reports the connection lost.
    assert isinstance(transport.doWrite(), error.ConnectionLost)
