"""A station that sends only the frames a test writes and hands it every frame the platform sends.

For conformance tests that assert the CSMS's messages field by field, as the OCA test cases list them.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time

import pytest

from simulator import open_websocket
from tests.servers import wait_for

_ids = itertools.count(1)


class ScriptedStation:
    """Sends the frames the test writes; every frame the platform sends is read by the test."""

    def __init__(self, websocket, identity: str) -> None:
        self.websocket = websocket
        self.identity = identity
        self.pending_frames: list[list] = []

    @classmethod
    async def open(cls, url: str, identity: str, password: str, version: str) -> ScriptedStation:
        subprotocol = "ocpp2.0.1" if version == "2.0.1" else "ocpp1.6"
        return cls(await open_websocket(url + identity, identity=identity, password=password, subprotocols=[subprotocol]), identity)

    async def _recv(self, timeout: float) -> list:
        return json.loads(await asyncio.wait_for(self.websocket.recv(), timeout))

    async def call(self, action: str, payload: dict, *, timeout: float = 10.0) -> list:
        """Send a CALL and return its answer; platform CALLs meanwhile are kept for expect_call()."""
        unique_id = f"{self.identity}-{next(_ids)}"
        await self.websocket.send(json.dumps([2, unique_id, action, payload]))
        deadline = time.monotonic() + timeout
        while True:
            frame = await self._recv(max(deadline - time.monotonic(), 0.01))
            if frame[0] == 2:
                self.pending_frames.append(frame)
            elif frame[1] == unique_id:
                return frame

    async def expect_call(self, action: str, *, timeout: float = 10.0) -> list:
        """The next CALL the platform sends; it must be ``action``."""
        frame = self.pending_frames.pop(0) if self.pending_frames else await self._recv(timeout)
        assert frame[0] == 2 and frame[2] == action, frame
        return frame

    async def expect_silence(self, seconds: float) -> None:
        assert not self.pending_frames, self.pending_frames
        with pytest.raises(asyncio.TimeoutError):
            frame = await self._recv(seconds)
            raise AssertionError(f"the platform sent {frame}")

    async def reply(self, frame: list, payload: dict) -> None:
        await self.websocket.send(json.dumps([3, frame[1], payload]))

    async def close(self) -> None:
        await self.websocket.close()


async def act(api, identity: str, action: str, expect=(201, 202), **params) -> dict:
    """An operator's action through the API (what the console and the admin call too)."""
    response = await asyncio.to_thread(
        api.post, f"/api/charging_stations/{identity}/actions/{action}/", json_body=params, expect=expect
    )
    return response.json()


async def final(api, command_id: int, *, timeout: float = 30) -> dict:
    """The command once final, read as an API client does."""
    def done() -> dict | None:
        command = api.get(f"/api/commands/{command_id}/", expect=200).json()
        return command if command["final"] else None

    return await asyncio.to_thread(wait_for, done, timeout=timeout, what=f"command {command_id} to finish")
