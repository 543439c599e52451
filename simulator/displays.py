"""A simulated 2.0.1 station's display (O01-O06), mixed into Station201.

Messages live in ``self.display_messages`` (id → MessageInfo as the CSMS sent it). What the display
supports is in ``supported_priorities`` / ``supported_states`` / ``supported_formats``; a message for
a transaction the station does not run is UnknownTransaction. ``station.scripted[action]`` (see
simulator.monitoring) overrides the next answer.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ocpp.routing import after, on
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201


class DisplayMixin201:
    display_part_size = 4

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from simulator.v201 import Variable

        self.display_messages: dict[int, dict[str, Any]] = {}
        if not hasattr(self, "scripted"):
            self.scripted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.supported_priorities = {"AlwaysFront", "InFront", "NormalCycle"}
        self.supported_states = {"Charging", "Faulted", "Idle", "Unavailable"}
        self.supported_formats = {"ASCII", "HTML", "URI", "UTF8"}
        for var in [
            Variable("DisplayMessageCtrlr", "Available", "true", mutability="ReadOnly", data_type="boolean"),
            Variable("DisplayMessageCtrlr", "DisplayMessages", "20", mutability="ReadOnly", data_type="integer"),
            Variable("DisplayMessageCtrlr", "SupportedFormats", "ASCII,HTML,URI,UTF8", mutability="ReadOnly", data_type="MemberList"),
            Variable("DisplayMessageCtrlr", "SupportedPriorities", "AlwaysFront,InFront,NormalCycle", mutability="ReadOnly", data_type="MemberList"),
        ]:
            self.variables[var.key] = var

    def _scripted(self, action: str) -> dict[str, Any] | None:
        queue = self.scripted.get(action)
        return queue.pop(0) if queue else None

    @on("SetDisplayMessage")
    def on_set_display_message(self, message: dict[str, Any], **kwargs):
        scripted = self._scripted("SetDisplayMessage")
        running = {c.transaction_id for c in self.connectors.values() if c.transaction_id is not None}
        if scripted:
            status = scripted["status"]
        elif message["priority"] not in self.supported_priorities:
            status = "NotSupportedPriority"
        elif message.get("state") and message["state"] not in self.supported_states:
            status = "NotSupportedState"
        elif message["message"]["format"] not in self.supported_formats:
            status = "NotSupportedMessageFormat"
        elif message.get("transaction_id") and message["transaction_id"] not in running:
            status = "UnknownTransaction"  # O02.FR.?
        else:
            # O06: a message with a known id replaces it.
            self.display_messages[message["id"]] = message
            status = "Accepted"
        return result201.SetDisplayMessage(status=status)

    @on("GetDisplayMessages")
    def on_get_display_messages(self, request_id: int, id: list[int] | None = None, priority: str | None = None, state: str | None = None, **kwargs):
        scripted = self._scripted("GetDisplayMessages")
        found = [
            m for m in self.display_messages.values()
            if (not id or m["id"] in id) and (not priority or m["priority"] == priority) and (not state or m.get("state") == state)
        ]
        status = scripted["status"] if scripted else ("Accepted" if found else "Unknown")
        self._display_report = (request_id, found if status == "Accepted" else None)
        return result201.GetDisplayMessages(status=status)

    @after("GetDisplayMessages")
    def after_get_display_messages(self, **kwargs):
        request_id, found = self._display_report
        if found is not None:
            self.spawn(self.send_display_messages(request_id, found))

    async def send_display_messages(self, request_id: int, messages: list[dict[str, Any]]) -> None:
        parts = [messages[i:i + self.display_part_size] for i in range(0, len(messages), self.display_part_size)] or [[]]
        for n, part in enumerate(parts):
            await self.request(call201.NotifyDisplayMessages(request_id=request_id, message_info=part or None, tbc=n < len(parts) - 1))

    @on("ClearDisplayMessage")
    def on_clear_display_message(self, id: int, **kwargs):
        scripted = self._scripted("ClearDisplayMessage")
        if scripted:
            return result201.ClearDisplayMessage(status=scripted["status"])
        return result201.ClearDisplayMessage(status="Accepted" if self.display_messages.pop(id, None) is not None else "Unknown")
