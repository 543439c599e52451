"""Charging sessions from OCPP 1.6 transactions and 2.0.1 TransactionEvents.

The gateway's handlers call these functions; they hold the business rules. (Placeholder bodies
until the sessions issue lands: they already give spec-valid answers.)
"""
from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from stations.models import Station

_transaction_ids = itertools.count(1)


def id_token_authorize(*, station: Station, id_token: str, token_type: str = "ISO14443") -> str:
    """Return the authorization status for an id token: Accepted, Invalid, Blocked, ..."""
    return "Accepted"


def transaction_start_v16(
    *,
    station: Station,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    timestamp: datetime,
    reservation_id: int | None = None,
) -> tuple[int, str]:
    """1.6 StartTransaction: return (transactionId, idTagInfo.status). Always assigns an id (OCTT)."""
    return next(_transaction_ids), id_token_authorize(station=station, id_token=id_tag)


def transaction_stop_v16(
    *,
    station: Station,
    transaction_id: int,
    meter_stop: int,
    timestamp: datetime,
    reason: str | None = None,
    id_tag: str | None = None,
    transaction_data: list[dict[str, Any]] | None = None,
) -> str | None:
    """1.6 StopTransaction: return idTagInfo.status when an idTag was sent, else None."""
    return id_token_authorize(station=station, id_token=id_tag) if id_tag else None


def meter_values_v16(
    *, station: Station, connector_id: int, transaction_id: int | None, meter_value: list[dict[str, Any]]
) -> None:
    """1.6 MeterValues, with or without a transactionId."""


def transaction_event_v201(*, station: Station, payload: dict[str, Any]) -> str | None:
    """2.0.1 TransactionEvent (payload as sent, camelCase). Return idTokenInfo.status when an idToken was sent."""
    id_token = payload.get("idToken")
    if id_token:
        return id_token_authorize(station=station, id_token=id_token.get("idToken", ""), token_type=id_token.get("type", ""))
    return None


def meter_values_v201(*, station: Station, evse_id: int, meter_value: list[dict[str, Any]]) -> None:
    """2.0.1 MeterValues (outside a transaction)."""
