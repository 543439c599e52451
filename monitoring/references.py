"""Component/variable references (OCPP 2.0.1 ComponentType + VariableType) as operators write them.

The API takes a list of objects ``{"component": "EVSE", "evse_id": 1, "variable": "AvailabilityState"}``;
the console and ``station_action`` take text, one reference per line:
``Component[:instance][@evse[/connector]].Variable[:instance]``, e.g. ``EVSE@1.AvailabilityState``,
``ChargingStation.Power``, ``OCPPCommCtrlr.MessageTimeout:Default``. Both become the same
snake_case dict, which the request builders turn into the OCPP shape.
"""
from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from ocpp.charge_point import remove_nones

from stations import bounds

REFERENCE_FIELDS = ("component", "component_instance", "evse_id", "connector_id", "variable", "variable_instance")
_NAME = r"[A-Za-z0-9_\-*]{1,50}"
_REFERENCE = re.compile(
    rf"^(?P<component>{_NAME})(?::(?P<component_instance>[^\s.@:]{{1,50}}))?"
    rf"(?:@(?P<evse_id>\d{{1,3}})(?:/(?P<connector_id>\d{{1,2}}))?)?"
    rf"(?:\.(?P<variable>{_NAME})(?::(?P<variable_instance>\S{{1,50}}))?)?$"
)
REFERENCE_HELP = "Component[:instance][@evse[/connector]].Variable[:instance], e.g. EVSE@1.AvailabilityState"


def reference_parse(text: str, *, variable_required: bool = True) -> dict[str, Any]:
    match = _REFERENCE.match(text.strip())
    if match is None or (variable_required and match.group("variable") is None):
        raise ValidationError(f"{text.strip()!r} is not a reference: write {REFERENCE_HELP}.")
    return reference_clean({k: v for k, v in match.groupdict().items() if v is not None}, variable_required=variable_required)


def reference_clean(item: Any, *, variable_required: bool = True) -> dict[str, Any]:
    """One reference, checked against the 2.0.1 schema limits (CiString50, EVSE/connector ids).

    ``variable_required=False``: a component alone (GetMonitoringReport's ComponentVariableType: every
    variable of the component)."""
    if not isinstance(item, dict):
        raise ValidationError("Each reference is an object with component and variable.")
    unknown = sorted(set(item) - set(REFERENCE_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown fields {', '.join(unknown)}; allowed: {', '.join(REFERENCE_FIELDS)}.")
    if not variable_required and item.get("variable") in (None, ""):
        if item.get("variable_instance"):
            raise ValidationError("A variable instance needs its variable.")
        item = {**item, "variable": "-"}  # checked below like a named one, then dropped
        clean = reference_clean(item)
        del clean["variable"]
        return clean
    clean: dict[str, Any] = {}
    for name in ("component", "variable"):
        value = item.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 50:
            raise ValidationError(f"{name} is required: a name of at most 50 characters.")
        clean[name] = value.strip()
    for name in ("component_instance", "variable_instance"):
        value = item.get(name)
        if value not in (None, ""):
            if not isinstance(value, str) or len(value) > 50:
                raise ValidationError(f"{name} is at most 50 characters.")
            clean[name] = value
    for name, high in (("evse_id", bounds.MAX_EVSE_ID), ("connector_id", bounds.MAX_CONNECTOR_ID)):
        value = item.get(name)
        if value in (None, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} must be a whole number.") from None
        if not 0 <= number <= high:
            raise ValidationError(f"{name} must be between 0 and {high}.")
        clean[name] = number
    if "connector_id" in clean and "evse_id" not in clean:
        # OCPP 2.0.1 EVSEType: a connectorId only means something within its EVSE.
        raise ValidationError("A connector belongs to an EVSE: give its EVSE id too.")
    return clean


def reference_text(item: dict[str, Any]) -> str:
    text = item["component"] + (f":{item['component_instance']}" if item.get("component_instance") else "")
    if item.get("evse_id") is not None:
        text += f"@{item['evse_id']}" + (f"/{item['connector_id']}" if item.get("connector_id") is not None else "")
    if not item.get("variable"):
        return text
    return text + "." + item["variable"] + (f":{item['variable_instance']}" if item.get("variable_instance") else "")


def component_ocpp(item: dict[str, Any]) -> dict[str, Any]:
    evse = None
    if item.get("evse_id") is not None:
        evse = remove_nones({"id": item["evse_id"], "connector_id": item.get("connector_id")})
    return remove_nones({"name": item["component"], "instance": item.get("component_instance") or None, "evse": evse})


def variable_ocpp(item: dict[str, Any]) -> dict[str, Any]:
    return remove_nones({"name": item["variable"], "instance": item.get("variable_instance") or None})


class ItemListField(forms.Field):
    """A list: JSON from the API (a list, or its text), or one item per line from a textarea.

    ``parse_line`` reads one text line, ``clean_item`` one API object; both raise ValidationError,
    reported with the item's position.
    """

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def __init__(self, *, max_items: int = 100, **kwargs) -> None:
        self.max_items = max_items
        super().__init__(**kwargs)

    def parse_line(self, line: str) -> dict[str, Any]:
        raise NotImplementedError

    def clean_item(self, item: Any) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> list[Any]:
        if value in (None, "", []):
            return []
        items: list[Any]
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except ValueError:
                    raise ValidationError("Not valid JSON.") from None
                if not isinstance(items, list):
                    raise ValidationError("Give a list.")
                return self._each(items, self.clean_item)
            lines = [line for line in text.splitlines() if line.strip()]
            return self._each(lines, self.parse_line)
        if isinstance(value, list):
            return self._each(value, lambda item: self.parse_line(item) if isinstance(item, str) else self.clean_item(item))
        raise ValidationError("Give a list.")

    def _each(self, items: list[Any], read) -> list[Any]:
        if len(items) > self.max_items:
            raise ValidationError(f"At most {self.max_items} items in one request.")
        cleaned = []
        for position, item in enumerate(items, start=1):
            try:
                cleaned.append(read(item))
            except ValidationError as exc:
                raise ValidationError(f"Item {position}: {' '.join(exc.messages)}") from None
        return cleaned

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(self.line_text(item) for item in value)
        return value

    def line_text(self, item: Any) -> str:
        return json.dumps(item)


class ComponentVariableListField(ItemListField):
    def __init__(self, *, variable_required: bool = True, **kwargs) -> None:
        self.variable_required = variable_required
        super().__init__(**kwargs)

    def parse_line(self, line: str) -> dict[str, Any]:
        return reference_parse(line, variable_required=self.variable_required)

    def clean_item(self, item: Any) -> dict[str, Any]:
        return reference_clean(item, variable_required=self.variable_required)

    def line_text(self, item: Any) -> str:
        return reference_text(item)
