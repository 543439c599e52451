"""Station-initiated DataTransfer (1.6 §4.3, 2.0.1 P02), answered as the specifications say.

A vendorId the platform has no agreement for is answered UnknownVendorId, without data (1.6 §4.3,
2.0.1 P02.FR.06; TC_P_02_CSMS). ``OCPP_DATA_TRANSFER_VENDORS`` names the vendors whose data the
platform keeps, each optionally with the message ids it takes (``com.example:Status|Ping``); another
message id of a configured vendor is UnknownMessageId (P02.FR.07). Accepted data is stored as a
station event (shown on the station's maintenance tab) before the answer: Accepted means kept.
"""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from stations.models import Station
from stations.services import station_events_record

#: Characters of the data kept: a frame is bounded (OCPP_MAX_FRAME_BYTES), the event row too.
MAX_DATA_CHARS = 10_000


def data_transfer_vendors() -> dict[str, frozenset[str]]:
    """Configured vendorId (case-folded: 1.6 CiString) → the message ids it takes (empty: any)."""
    vendors: dict[str, frozenset[str]] = {}
    for entry in settings.OCPP_DATA_TRANSFER_VENDORS:
        vendor, _, messages = entry.partition(":")
        vendors[vendor.strip().casefold()] = frozenset(m.strip() for m in messages.split("|") if m.strip())
    return vendors


def data_transfer_received(*, station: Station, vendor_id: str, message_id: str | None, data: Any) -> str:
    """The status to answer with; the data of a configured vendor is stored first."""
    allowed = data_transfer_vendors().get((vendor_id or "").casefold())
    if allowed is None:
        return "UnknownVendorId"
    if allowed and (message_id or "") not in allowed:
        return "UnknownMessageId"
    text = data if isinstance(data, str) or data is None else json.dumps(data, ensure_ascii=False)
    text = text or ""
    station_events_record(
        station=station,
        source="DataTransfer",
        events=[
            {
                "type": (message_id or "")[:50],
                "component": {"name": vendor_id[:120]},
                "actualValue": text[:MAX_DATA_CHARS],
                "vendorId": vendor_id,
                "messageId": message_id,
                "truncated": len(text) > MAX_DATA_CHARS,
            }
        ],
    )
    return "Accepted"
