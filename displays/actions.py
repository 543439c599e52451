"""The OCPP 2.0.1 O-block remote actions (display messages), registered with ``commands.registry``
from ``DisplaysConfig.ready()``. OCPP 2.0.1 only; GetDisplayMessages' requestId is the Command's id,
so the NotifyDisplayMessages parts find the operator's request."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from ocpp.charge_point import remove_nones
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V201, ActionForm, choices
from displays.models import FORMATS, PRIORITIES, STATES
from monitoring.references import ItemListField

MAX_MESSAGE_ID = 2**31 - 1


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


class SetDisplayMessageForm(ActionForm):
    message_id = forms.IntegerField(
        min_value=0, max_value=MAX_MESSAGE_ID, required=False, label="message id",
        help_text="The id of a message the station has replaces it (O06); empty for a new id.",
    )
    priority = forms.ChoiceField(choices=choices(PRIORITIES), initial="NormalCycle")
    state = forms.ChoiceField(choices=choices(STATES, blank="Any state"), required=False, help_text="Show only while the station is in this state.")
    start_date_time = forms.DateTimeField(required=False, help_text="Show from (ISO 8601, UTC if no offset).")
    end_date_time = forms.DateTimeField(required=False, help_text="Remove after (ISO 8601, UTC if no offset).")
    transaction_id = forms.CharField(max_length=36, required=False, help_text="Show only during this transaction (O02).")
    content = forms.CharField(max_length=512, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), strip=False)
    message_format = forms.ChoiceField(choices=choices(FORMATS, blank="UTF8 (default)"), required=False, label="format")
    language = forms.CharField(max_length=8, required=False, help_text="RFC 5646 language code, e.g. en or nl-NL.")
    display_component = forms.CharField(max_length=50, required=False, help_text="The display to use, when the station has several.")
    display_component_instance = forms.CharField(max_length=50, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["message_format"] = cleaned.get("message_format") or "UTF8"
        start, end = cleaned.get("start_date_time"), cleaned.get("end_date_time")
        if start and end and end <= start:
            self.add_error("end_date_time", "The end comes after the start.")
        if cleaned.get("display_component_instance") and not cleaned.get("display_component"):
            self.add_error("display_component", "An instance belongs to a display component: name it.")
        if not (cleaned.get("content") or "").strip():
            self.add_error("content", "This field is required.")
        return cleaned

    def parameters(self) -> dict[str, Any]:
        from displays.selectors import next_message_id

        parameters = super().parameters()
        for name in ("start_date_time", "end_date_time"):
            if name in parameters:
                parameters[name] = _iso(parameters[name])
        if parameters.get("message_id") is None:
            parameters["message_id"] = next_message_id(station=self.station)
        return parameters


def message_info(p: dict[str, Any]) -> dict[str, Any]:
    display = None
    if p.get("display_component"):
        display = remove_nones({"name": p["display_component"], "instance": p.get("display_component_instance") or None})
    return remove_nones(
        {
            "id": p["message_id"],
            "priority": p["priority"],
            "state": p.get("state") or None,
            "start_date_time": p.get("start_date_time"),
            "end_date_time": p.get("end_date_time"),
            # O01.FR.04: a message that belongs to no transaction has no transactionId.
            "transaction_id": p.get("transaction_id") or None,
            "message": remove_nones({"format": p["message_format"], "language": p.get("language") or None, "content": p["content"]}),
            "display": display,
        }
    )


def _set_display_message(command) -> call201.SetDisplayMessage:
    return call201.SetDisplayMessage(message=message_info(command.parameters))


def _set_finished(command) -> None:
    from displays.services import display_message_set_answered

    display_message_set_answered(command=command)


class MessageIdListField(ItemListField):
    def to_python(self, value: Any) -> list[Any]:
        if isinstance(value, str) and not value.strip().startswith("["):
            value = value.replace(",", " ").split()
        return super().to_python(value)

    def parse_line(self, line: str) -> int:
        return self.clean_item(line)

    def clean_item(self, item: Any) -> int:
        try:
            number = int(item) if not isinstance(item, (bool, float)) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 0 <= number <= MAX_MESSAGE_ID:
            raise ValidationError(f"A message id is a whole number from 0 to {MAX_MESSAGE_ID}.")
        return number

    def line_text(self, item: Any) -> str:
        return str(item)


class GetDisplayMessagesForm(ActionForm):
    ids = MessageIdListField(required=False, max_items=100, help_text="Only these message ids (commas or spaces); empty for all.")
    priority = forms.ChoiceField(choices=choices(PRIORITIES, blank="Any priority"), required=False)
    state = forms.ChoiceField(choices=choices(STATES, blank="Any state"), required=False)


def _get_display_messages(command) -> call201.GetDisplayMessages:
    p = command.parameters
    return call201.GetDisplayMessages(
        request_id=command.pk, id=p.get("ids") or None, priority=p.get("priority") or None, state=p.get("state") or None
    )


def _get_finished(command) -> None:
    from displays.services import display_messages_get_answered

    display_messages_get_answered(command=command)


class ClearDisplayMessageForm(ActionForm):
    message_id = forms.IntegerField(min_value=0, max_value=MAX_MESSAGE_ID, label="message id")


def _clear_finished(command) -> None:
    from displays.services import display_message_clear_answered

    display_message_clear_answered(command=command)


def register() -> None:
    for action in [
        registry.RemoteAction(
            name="set_display_message",
            label="Set display message",
            description="Show a message on the station's display (O01/O02), or replace one by its id (O06).",
            form=SetDisplayMessageForm,
            build={V201: _set_display_message},
            accepting=frozenset({"Accepted"}),
            on_final=_set_finished,
        ),
        registry.RemoteAction(
            name="get_display_messages",
            label="Get display messages",
            description="Ask which messages the station has (all, or by id, priority, state); they arrive in NotifyDisplayMessages.",
            form=GetDisplayMessagesForm,
            build={V201: _get_display_messages},
            # Unknown: the station answered, it has no such message (O03/O04).
            accepting=frozenset({"Accepted", "Unknown"}),
            on_final=_get_finished,
        ),
        registry.RemoteAction(
            name="clear_display_message",
            label="Clear display message",
            description="Remove a message from the station's display.",
            form=ClearDisplayMessageForm,
            build={V201: lambda command: call201.ClearDisplayMessage(id=command.parameters["message_id"])},
            accepting=frozenset({"Accepted"}),
            on_final=_clear_finished,
        ),
    ]:
        registry.register(action)
