"""A station that sends frames as given (no client-side schema validation): for kill and fuzz tests.

It records what the platform answered, so a test can hold the platform to every answer it gave.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from simulator.base import open_websocket

_ids = itertools.count(1)

BOOT = {
    "1.6": {"chargePointVendor": "E2E", "chargePointModel": "Raw"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "E2E", "model": "Raw"}},
}
# The CALLERROR errorCode of a frame that is not well-formed OCPP-J, per version.
SYNTAX = {"1.6": "FormationViolation", "2.0.1": "FormatViolation"}


class RawStation:
    def __init__(self, websocket, identity: str, version: str) -> None:
        self.websocket = websocket
        self.identity = identity
        self.version = version

    @classmethod
    async def open(cls, url: str, identity: str, password: str, version: str) -> RawStation:
        subprotocol = "ocpp2.0.1" if version == "2.0.1" else "ocpp1.6"
        websocket = await open_websocket(url + identity, identity=identity, password=password, subprotocols=[subprotocol])
        return cls(websocket, identity, version)

    async def send_text(self, text: str) -> None:
        await self.websocket.send(text)

    async def call(self, action: str, payload: Any, *, timeout: float = 10.0, unique_id: str | None = None) -> list:
        """Send a CALL (payload as given) and return the frame that answers it; platform CALLs on
        the way are answered with an empty CALLRESULT (GetConfiguration, GetBaseReport...)."""
        unique_id = unique_id or f"{self.identity}-{next(_ids)}"
        await self.send_text(json.dumps([2, unique_id, action, payload]))
        return await self.answer(unique_id, timeout=timeout)

    async def answer(self, unique_id: str, *, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError(f"{self.identity}: no answer to {unique_id}")
            frame = json.loads(await asyncio.wait_for(self.websocket.recv(), remaining))
            if frame[0] == 2:
                await self.send_text(json.dumps([3, frame[1], _platform_call_answer(frame[2], self.version)]))
                continue
            if frame[1] == unique_id:
                return frame

    async def boot(self) -> None:
        reply = await self.call("BootNotification", BOOT[self.version])
        assert reply[0] == 3 and reply[2]["status"] == "Accepted", reply

    async def close(self) -> None:
        await self.websocket.close()


def _platform_call_answer(action: str, version: str) -> dict:
    # Schema-valid answers to what the platform asks right after boot.
    if action == "GetConfiguration":
        return {"configurationKey": []}
    if action == "GetBaseReport":
        return {"status": "Rejected"}
    return {"status": "Rejected"} if version == "2.0.1" else {}


def meter_values(version: str, wh: int, *, at: str | None = None) -> tuple[str, dict]:
    """A MeterValues with one energy register reading (untagged: no transaction needed), dated
    ``wh`` seconds after 10:00 unless told (the platform keeps one sample per timestamp)."""
    at = at or f"2026-03-01T{10 + wh // 3600:02d}:{wh // 60 % 60:02d}:{wh % 60:02d}Z"
    if version == "2.0.1":
        return "MeterValues", {"evseId": 1, "meterValue": [{"timestamp": at, "sampledValue": [{"value": wh}]}]}
    return "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": at, "sampledValue": [{"value": str(wh), "unit": "Wh"}]}]}


async def refused_response(url: str, *, subprotocol: str | list[str], headers: dict[str, str]):
    """The HTTP answer of a handshake the platform refused (the test fails if the websocket opens)."""
    with pytest.raises(InvalidStatus) as refused:
        websocket = await open_websocket(url, subprotocols=[subprotocol] if isinstance(subprotocol, str) else subprotocol, headers=headers)
        await websocket.close()
    return refused.value.response


async def refused_status(url: str, *, subprotocol: str | list[str], headers: dict[str, str]) -> int:
    response = await refused_response(url, subprotocol=subprotocol, headers=headers)
    if response.status_code == 401:
        # RFC 7235 §3.1: a 401 names the scheme (TC_A_02 / TC_A_03 / 1.6 TC_085 expect 401).
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    return response.status_code
