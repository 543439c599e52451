"""Writes of the displays app: what the station answered to the platform's display commands and what
it reported in NotifyDisplayMessages (O03/O04)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from displays.models import DisplayMessage
from stations import bounds
from stations.models import Station


#: Messages kept per station: a display holds tens (DisplayMessageCtrlr.DisplayMessages).
MAX_MESSAGES_PER_STATION = 1000


@dataclass(frozen=True)
class ReportedMessage:
    """One MessageInfoType, numbers bounded and times parsed at the gateway's edge."""

    message_id: int
    priority: str
    state: str
    start_at: datetime | None
    end_at: datetime | None
    transaction_id: str
    content: str
    message_format: str
    language: str
    display_component: str
    display_component_instance: str


def _upsert(*, station: Station, message: ReportedMessage, source: str, report_request_id: int | None = None) -> DisplayMessage:
    row, _ = DisplayMessage.objects.update_or_create(
        station=station,
        message_id=message.message_id,
        defaults={
            "priority": message.priority,
            "state": message.state,
            "start_at": message.start_at,
            "end_at": message.end_at,
            "transaction_id": message.transaction_id,
            "content": message.content,
            "message_format": message.message_format,
            "language": message.language,
            "display_component": message.display_component,
            "display_component_instance": message.display_component_instance,
            "source": source,
            "report_request_id": report_request_id,
        },
    )
    return row


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return bounds.ocpp_datetime(value)
    except (TypeError, ValueError):
        return None


def display_message_set_answered(*, command) -> None:
    """SetDisplayMessage Accepted (O01/O02/O06): the station has this message under its id."""
    if command.status != "accepted":
        return
    p = command.parameters
    _upsert(
        station=command.station,
        message=ReportedMessage(
            message_id=p["message_id"],
            priority=p["priority"],
            state=p.get("state", ""),
            start_at=_parse(p.get("start_date_time")),
            end_at=_parse(p.get("end_date_time")),
            transaction_id=p.get("transaction_id", ""),
            content=p["content"],
            message_format=p["message_format"],
            language=p.get("language", ""),
            display_component=p.get("display_component", ""),
            display_component_instance=p.get("display_component_instance", ""),
        ),
        source="set",
    )


def display_message_clear_answered(*, command) -> None:
    """ClearDisplayMessage Accepted or Unknown (O05): the station no longer has the message."""
    if command.result in ("Accepted", "Unknown"):
        DisplayMessage.objects.filter(station=command.station, message_id=command.parameters["message_id"]).delete()


def _unfiltered(parameters: dict) -> bool:
    return not (parameters.get("ids") or parameters.get("priority") or parameters.get("state"))


def display_messages_get_answered(*, command) -> None:
    """GetDisplayMessages answered Unknown (O03/O04): the station has no message matching the request."""
    if command.result != "Unknown":
        return
    p = command.parameters
    messages = DisplayMessage.objects.filter(station=command.station, updated_at__lt=command.sent_at or timezone.now())
    if _unfiltered(p):
        messages.delete()
    elif p.get("ids") and not p.get("priority") and not p.get("state"):
        messages.filter(message_id__in=p["ids"]).delete()


def display_messages_report_store(*, station: Station, request_id: int, tbc: bool, messages: list[ReportedMessage]) -> int:
    """A NotifyDisplayMessages part: its messages replace the stored ones with the same ids; the last part
    of a report of every message drops the messages the station no longer listed."""
    from commands.models import Command

    with transaction.atomic():
        stored = DisplayMessage.objects.filter(station=station)
        ids = [m.message_id for m in messages]
        new_ids = set(ids) - set(stored.filter(message_id__in=ids).values_list("message_id", flat=True))
        if new_ids and stored.count() + len(new_ids) > MAX_MESSAGES_PER_STATION:
            # A station reporting ever new ids would grow the table without end: refused as a whole.
            raise bounds.TooMany("display messages of the station", stored.count() + len(new_ids), MAX_MESSAGES_PER_STATION, ocpp_version="2.0.1")
        for message in messages:
            _upsert(station=station, message=message, source="report", report_request_id=request_id)
        if not tbc:
            request = Command.objects.filter(pk=request_id, station=station, action="get_display_messages").first()
            if request is not None and _unfiltered(request.parameters):
                # Rows changed since the request was sent (a SetDisplayMessage meanwhile) stay.
                DisplayMessage.objects.filter(station=station, updated_at__lt=request.sent_at or request.created_at).exclude(
                    report_request_id=request_id
                ).delete()
    return len(messages)
