"""The gateway's O-block handler, mixed into ocpp_gateway's ChargePoint201: NotifyDisplayMessages
(O03/O04). Numbers are bounded (stations.bounds) before anything is stored; the answer goes once
the part is stored."""
from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from displays.services import ReportedMessage, _parse, display_messages_report_store
from stations import bounds

# Messages one NotifyDisplayMessages may carry: a display holds tens; beyond this the frame is refused.
MAX_MESSAGES_PER_FRAME = 200
MAX_REQUEST_ID = 2**63 - 1


def _messages(message_info: list[dict[str, Any]]) -> list[ReportedMessage]:
    if len(message_info) > MAX_MESSAGES_PER_FRAME:
        raise bounds.TooMany("messageInfo", len(message_info), MAX_MESSAGES_PER_FRAME, ocpp_version="2.0.1")
    messages = []
    for info in message_info:
        display = info.get("display") or {}
        if display.get("evse"):
            bounds.evse_id(display["evse"]["id"], field="display.evse.id")
        content = info["message"]
        messages.append(
            ReportedMessage(
                message_id=bounds.bounded_int(info["id"], field="messageInfo.id", low=0, high=2**31 - 1),
                priority=info["priority"],
                state=info.get("state") or "",
                start_at=_parse(info.get("startDateTime")),
                end_at=_parse(info.get("endDateTime")),
                transaction_id=info.get("transactionId") or "",
                content=content["content"],
                message_format=content["format"],
                language=content.get("language") or "",
                display_component=display.get("name") or "",
                display_component_instance=display.get("instance") or "",
            )
        )
    return messages


class DisplayHandlers201:
    """The consumer's ChargePoint provides consumer and payload (the CALL's camelCase payload)."""

    @on(Action.notify_display_messages)
    async def on_notify_display_messages(self, **kwargs):
        payload = self.payload
        await database_sync_to_async(display_messages_report_store)(
            station=self.consumer.station,
            request_id=bounds.bounded_int(payload["requestId"], field="requestId", low=-MAX_REQUEST_ID, high=MAX_REQUEST_ID),
            tbc=bool(payload.get("tbc", False)),
            messages=_messages(payload.get("messageInfo") or []),
        )
        return call_result.NotifyDisplayMessages()
