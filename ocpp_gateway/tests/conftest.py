"""Helpers for driving the gateway with Channels' WebsocketCommunicator and the `ocpp` library's messages."""
from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass

import pytest
from channels.testing import WebsocketCommunicator
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, CallResult, validate_payload

from conftest import STATION_PASSWORD
from ocpp_gateway.message_log import buffer
from ocpp_gateway.write_buffer import buffer as write_buffer
from switchplatform.asgi import application


def basic(identity: str, password: str) -> tuple[bytes, bytes]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return (b"authorization", f"Basic {token}".encode())


_ids = itertools.count(1)


@dataclass
class Station:
    """A station's side of a WebsocketCommunicator: sends the library's request dataclasses."""

    comm: WebsocketCommunicator
    version: str

    async def call(self, payload, *, unique_id: str | None = None, validate: bool = True) -> list:
        """Send a CALL built from an ocpp.v16/v201 `call` dataclass; return the frame that answers it."""
        unique_id = unique_id or str(next(_ids))
        action = type(payload).__name__
        frame = Call(unique_id, action, remove_nones(snake_to_camel_case(serialize_as_dict(payload))))
        if validate:
            await validate_payload(frame, self.version)
        await self.comm.send_to(text_data=frame.to_json())
        return await self.answer(unique_id, action)

    async def answer(self, unique_id: str, action: str) -> list:
        reply = json.loads(await self.comm.receive_from(timeout=5))
        assert reply[1] == unique_id, reply
        if reply[0] == 3:
            # Every answer the platform sends must validate against the OCA schema.
            await validate_payload(CallResult(unique_id, reply[2], action=action), self.version)
        return reply

    async def send_raw(self, text: str | None = None, *, binary: bytes | None = None, answered: bool = True) -> list | None:
        """Send a frame as is; return the answer, or None when ``answered=False`` and none came."""
        if binary is not None:
            await self.comm.send_to(bytes_data=binary)
        else:
            await self.comm.send_to(text_data=text)
        if not answered:
            assert await self.comm.receive_nothing(timeout=0.5)
            return None
        return json.loads(await self.comm.receive_from(timeout=5))

    async def receive(self) -> list:
        return json.loads(await self.comm.receive_from(timeout=5))

    async def reply(self, unique_id: str, payload: dict) -> None:
        await self.comm.send_to(text_data=json.dumps([3, unique_id, payload]))


def communicator(identity: str, *, password: str | None = STATION_PASSWORD, subprotocols=("ocpp1.6",), headers=None):
    if headers is None:
        headers = [basic(identity, password)] if password is not None else []
    return WebsocketCommunicator(application, f"/ocpp/{identity}", headers=headers, subprotocols=list(subprotocols))


@pytest.fixture(autouse=True)
async def _message_log():
    yield
    await write_buffer.stop()
    await buffer.stop()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
async def connect(transactional_db):
    """connect(station, subprotocols=...) -> Station helper over an accepted socket; closed at the end."""
    opened = []

    async def _connect(identity: str, *, subprotocols=("ocpp1.6",), password: str = STATION_PASSWORD) -> Station:
        comm = communicator(identity, password=password, subprotocols=subprotocols)
        connected, subprotocol = await comm.connect()
        assert connected, subprotocol
        opened.append(comm)
        return Station(comm, "2.0.1" if subprotocol == "ocpp2.0.1" else "1.6")

    yield _connect
    for comm in opened:
        try:
            await comm.disconnect()
        except Exception:
            pass


@pytest.fixture
def fake_remote(monkeypatch):
    """Install ``execute`` as ocpp_gateway.remote.execute (written by the remote-actions engineer)."""
    import sys
    import types

    import ocpp_gateway

    def _install(execute):
        remote = types.ModuleType("ocpp_gateway.remote")
        remote.execute = execute
        monkeypatch.setitem(sys.modules, "ocpp_gateway.remote", remote)
        monkeypatch.setattr(ocpp_gateway, "remote", remote, raising=False)

    return _install


async def send_command(station_model, event: dict) -> None:
    from channels.layers import get_channel_layer

    await station_model.arefresh_from_db()
    await get_channel_layer().send(station_model.channel_name, {"type": "ocpp.command", **event})
