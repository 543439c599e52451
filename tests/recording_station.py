"""The 2.0.1 simulated station (its display and variable monitors: simulator.monitoring,
simulator.displays) keeping every CALL the platform sent exactly as it arrived (camelCase, as on
the wire), for tests that assert the CSMS's messages field by field; plus the API helpers the N and O
test modules share."""
from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from ocpp.routing import on
from ocpp.v201 import call_result as result201

from simulator import Station201
from tests.scripted_station import act, final
from tests.servers import Api, until


class RecordingStation201(Station201):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.local_list_version = 0

    # A local authorization list (D01/D02), enough for TC_N_46.
    @on("SendLocalList")
    def on_send_local_list(self, version_number: int, update_type: str, local_authorization_list=None, **kwargs):
        self.local_list_version = version_number
        return result201.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kwargs):
        return result201.GetLocalListVersion(version_number=self.local_list_version)

    async def send_customer_information(self, request_id: int, data: str) -> None:
        await super().send_customer_information(request_id, data)
        # Where the platform's answer to the last part came, among the CALLs it sent.
        self.calls.append(("NotifyCustomerInformation answered", {"requestId": request_id}))

    async def route_message(self, raw: str) -> None:
        message = json.loads(raw)
        if message[0] == 2:
            self.calls.append((message[2], message[3]))
        await super().route_message(raw)

    def sent(self, action: str) -> list[dict[str, Any]]:
        """The payloads of every `action` CALL the platform sent, in order."""
        return [payload for name, payload in self.calls if name == action]

    async def wait_sent(self, action: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        await until(lambda: len(self.sent(action)) >= count, timeout=timeout, what=f"{count} {action} from the platform")
        return self.sent(action)


@contextlib.asynccontextmanager
async def recording_station(new_station, *, prefix: str = "NO", network: str | None = None, before_boot=None, **kwargs):
    """A booted RecordingStation201; `before_boot(sim)` changes it before it boots (its device model)."""
    created = new_station(prefix, network=network)
    sim = RecordingStation201(identity=created.identity, password=created.password, url=created.url, **kwargs)
    if before_boot is not None:
        before_boot(sim)
    await sim.connect()
    try:
        await sim.boot()
        await sim.send_all_status()
        yield sim
    finally:
        await sim.disconnect()
    # Every request the platform sent passed the OCA schema (the library validates each CALL).
    assert sim.errors_sent == [], f"the station answered the platform with CALLERRORs: {sim.errors_sent}"


async def operator_action(api: Api, identity: str, action: str, **params) -> dict:
    """What an operator does through the API: send the action, then read its outcome."""
    sent = await act(api, identity, action, **params)
    return await final(api, sent["id"])


async def listed(api: Api, path: str, **params) -> list[dict]:
    return await asyncio.to_thread(api.results, path, **params)
