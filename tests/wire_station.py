"""Simulated stations that keep every frame the CSMS sent them, camelCase, as it was on the wire: the
end-to-end tests assert the CSMS's messages field by field against these (the `ocpp` library has
already validated each one against the OCA schemas before the station's handler ran)."""
from __future__ import annotations

import json
from typing import Any

from simulator.v16 import Station16
from simulator.v201 import Station201


class WireMixin:
    """Keeps every frame the CSMS sent (CALLs and CALLRESULTs) as JSON, camelCase, as on the wire."""

    def keep_wire(self) -> None:
        self.wire: list[list[Any]] = []

    async def route_message(self, raw: str) -> None:
        if not hasattr(self, "wire"):
            self.keep_wire()
        self.wire.append(json.loads(raw))
        await super().route_message(raw)

    def calls(self, action: str) -> list[dict[str, Any]]:
        """The payloads of the CALLs of ``action`` the CSMS sent, in order."""
        return [frame[3] for frame in getattr(self, "wire", []) if frame[0] == 2 and frame[2] == action]

    def last_result(self) -> dict[str, Any]:
        """The payload of the latest CALLRESULT the CSMS sent (the answer to this station's last request)."""
        return next(frame[2] for frame in reversed(self.wire) if frame[0] == 3)


class WireStation16(WireMixin, Station16):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keep_wire()


class WireStation201(WireMixin, Station201):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keep_wire()
