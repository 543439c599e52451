"""The base of every remote action's parameter form, validated once for every entry point.

Each action's owner subclasses ``ActionForm`` (see ``commands.registry``). The admin renders these
forms; the API, the console and the ``station_action`` command feed them the request's parameters
and return their field errors. Limits follow the OCPP 1.6 and 2.0.1 JSON schemas, so a command that
passes here also passes the library's schema validation when it is sent.
"""
from __future__ import annotations

from typing import Any

from django import forms

from stations.models import OcppVersion, Station

V16 = OcppVersion.V16.value
V201 = OcppVersion.V201.value


def station_ocpp_version(station: Station) -> str:
    """The version the station speaks, or "" when the platform does not know it yet.

    ``ocpp_version`` is set when an operator forces a version; otherwise the version is the one the
    consumer negotiated, and the consumer checks the parameters again when it builds the request.
    """
    return station.ocpp_version or ""


def choices(values: list[str], blank: str | None = None) -> list[tuple[str, str]]:
    return ([("", blank)] if blank is not None else []) + [(v, v) for v in values]


class ActionForm(forms.Form):
    """Base: knows the station and its OCPP version; ``parameters()`` is what the Command stores."""

    def __init__(self, *args, station: Station, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.station = station
        self.version = station_ocpp_version(station)

    def only_for(self, field: str, version: str) -> None:
        """Refuse a field the station's version has no place for."""
        if self.version and self.version != version and self.cleaned_data.get(field) not in (None, ""):
            self.add_error(field, f"Only OCPP {version} stations take this; this station speaks OCPP {self.version}.")

    def require_for(self, field: str, version: str) -> None:
        if self.version == version and self.cleaned_data.get(field) in (None, ""):
            self.add_error(field, f"OCPP {version} requires this.")

    def require_evse_for_connector(self) -> None:
        # OCPP 2.0.1 EVSEType: a connectorId only means something within its EVSE.
        if self.cleaned_data.get("connector_id") is not None and self.cleaned_data.get("evse_id") is None:
            self.add_error("evse_id", "A connector belongs to an EVSE: give its EVSE id too.")

    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def form_fields(form_class: type[ActionForm]) -> list[dict[str, Any]]:
    """The form's fields as the API and the admin describe them (name, type, required, choices, help)."""
    fields = []
    for name, field in form_class.base_fields.items():
        item: dict[str, Any] = {
            "name": name,
            "label": str(field.label or name.replace("_", " ")),
            "type": type(field).__name__.removesuffix("Field").lower() or "char",
            "required": field.required,
            "help_text": str(field.help_text or ""),
        }
        if isinstance(field, forms.ChoiceField):
            item["choices"] = [value for value, _ in field.choices if value != ""]
        if getattr(field, "max_length", None):
            item["max_length"] = field.max_length
        if getattr(field, "min_value", None) is not None:
            item["min_value"] = field.min_value
        fields.append(item)
    return fields
