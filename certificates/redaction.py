"""Keep station passwords out of the message log.

The log stores every frame as sent; a password rotation's frame carries the new password (1.6
ChangeConfiguration AuthorizationKey in hex, 2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword).
Both are write-only on the station (1.6 Security Whitepaper §3; 2.0.1 Part 2 A01.FR.xx): the log
keeps that the value was set, not the value.
"""
from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"


def redact_secrets(action: str, payload: Any) -> Any:
    if not isinstance(payload, dict):
        return payload
    if action == "ChangeConfiguration" and payload.get("key") == "AuthorizationKey":
        return {**payload, "value": REDACTED}
    if action == "SetVariables":
        items = payload.get("setVariableData")
        if isinstance(items, list) and any(_is_password(item) for item in items):
            return {
                **payload,
                "setVariableData": [
                    {**item, "attributeValue": REDACTED} if _is_password(item) else item for item in items
                ],
            }
    return payload


def _is_password(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and (item.get("variable") or {}).get("name") == "BasicAuthPassword"
        and (item.get("component") or {}).get("name") == "SecurityCtrlr"
    )
