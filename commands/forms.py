"""The parameters of each remote action, validated once for every entry point.

The admin renders these forms, the API and the ``station_action`` command feed them the request's
parameters and return their field errors. Limits follow the OCPP 1.6 and 2.0.1 JSON schemas, so a
command that passes here also passes the library's schema validation when it is sent.
"""
from __future__ import annotations

from typing import Any

from django import forms

from commands.models import CommandAction
from stations.models import ConfigurationKey, DeviceModelVariable, OcppVersion, Station

V16 = OcppVersion.V16.value
V201 = OcppVersion.V201.value

TRIGGERS_V16 = [
    # OCPP 1.6 §6.51 MessageTrigger (the core TriggerMessage; the security extension's
    # certificate and log triggers go through ExtendedTriggerMessage).
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]
TRIGGERS_V201 = [
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargingStationCertificate",
    "SignV2GCertificate",
    "StatusNotification",
    "TransactionEvent",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
]
ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]
ATTRIBUTE_TYPES = ["Actual", "Target", "MinSet", "MaxSet"]


def station_ocpp_version(station: Station) -> str:
    """The version the station speaks, or "" when the platform does not know it yet.

    ``ocpp_version`` is set when an operator forces a version; otherwise the version is the one the
    consumer negotiated, and the consumer checks the parameters again when it builds the request.
    """
    return station.ocpp_version or ""


def _choices(values: list[str], blank: str | None = None) -> list[tuple[str, str]]:
    return ([("", blank)] if blank is not None else []) + [(v, v) for v in values]


class ActionForm(forms.Form):
    """Base: knows the station and its OCPP version; ``parameters()`` is what the Command stores."""

    action: str = ""
    description: str = ""

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


class ResetForm(ActionForm):
    action = CommandAction.RESET
    description = "Restart the station, or one EVSE (OCPP 2.0.1)."

    when = forms.ChoiceField(
        choices=[("immediate", "Immediately"), ("on_idle", "Once the running session has ended")],
        initial="immediate",
        required=False,
        help_text="OCPP 2.0.1 sends OnIdle; for OCPP 1.6 the platform holds the reset until the session stops.",
    )
    type = forms.ChoiceField(
        choices=_choices(["Soft", "Hard"], blank="Soft (default)"),
        required=False,
        help_text="OCPP 1.6 only: Soft stops sessions gracefully first, Hard restarts at once.",
    )
    evse_id = forms.IntegerField(
        min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1 only: reset this EVSE, not the station."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["when"] = cleaned.get("when") or "immediate"
        self.only_for("type", V16)
        self.only_for("evse_id", V201)
        return cleaned


class UnlockConnectorForm(ActionForm):
    action = CommandAction.UNLOCK_CONNECTOR
    description = "Release the cable lock of a connector."

    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1: required.")
    connector_id = forms.IntegerField(
        min_value=1, label="connector id", help_text="OCPP 1.6: the station's connectorId; 2.0.1: within the EVSE."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.only_for("evse_id", V201)
        self.require_for("evse_id", V201)
        return cleaned


class ChangeConfigurationForm(ActionForm):
    action = CommandAction.CHANGE_CONFIGURATION
    description = "Set a configuration key (OCPP 1.6) or a device model variable (OCPP 2.0.1)."

    key = forms.CharField(max_length=50, required=False, help_text="OCPP 1.6: the configuration key.")
    component = forms.CharField(max_length=50, required=False, help_text="OCPP 2.0.1: the component name.")
    component_instance = forms.CharField(max_length=50, required=False)
    evse_id = forms.IntegerField(min_value=0, required=False, label="EVSE id", help_text="OCPP 2.0.1: the component's EVSE.")
    connector_id = forms.IntegerField(min_value=1, required=False, label="connector id", help_text="OCPP 2.0.1: the component's connector.")
    variable = forms.CharField(max_length=50, required=False, help_text="OCPP 2.0.1: the variable name.")
    variable_instance = forms.CharField(max_length=50, required=False)
    attribute_type = forms.ChoiceField(
        choices=_choices(ATTRIBUTE_TYPES, blank="Actual (default)"), required=False, help_text="OCPP 2.0.1 only."
    )
    # 1.6 CiString500; 2.0.1 SetVariableData.attributeValue is string(1000).
    value = forms.CharField(max_length=1000, required=False, strip=False, widget=forms.TextInput)

    V16_ONLY = ("key",)
    V201_ONLY = ("component", "component_instance", "evse_id", "connector_id", "variable", "variable_instance", "attribute_type")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field in self.V16_ONLY:
            self.only_for(field, V16)
        for field in self.V201_ONLY:
            self.only_for(field, V201)
        if cleaned.get("value") is None:
            cleaned["value"] = ""
        version = self.version or (V16 if cleaned.get("key") else V201 if cleaned.get("component") else "")
        if version == V16:
            self._clean_v16(cleaned)
        elif version == V201:
            self._clean_v201(cleaned)
        else:
            self.add_error("key", "Give a key (OCPP 1.6) or a component and variable (OCPP 2.0.1).")
        return cleaned

    def parameters(self) -> dict[str, Any]:
        # An empty value is a value: stations accept "" for some keys.
        return {**super().parameters(), "value": self.cleaned_data["value"]}

    def _clean_v16(self, cleaned: dict[str, Any]) -> None:
        if not cleaned.get("key"):
            self.add_error("key", "This field is required.")
            return
        if len(cleaned["value"]) > 500:
            self.add_error("value", "OCPP 1.6 values are at most 500 characters.")
        stored = ConfigurationKey.objects.filter(station=self.station, key=cleaned["key"]).first()
        if stored is not None and stored.readonly:
            self.add_error("key", f"{stored.key} is read-only on this station.")

    def _clean_v201(self, cleaned: dict[str, Any]) -> None:
        for field in ("component", "variable"):
            if not cleaned.get(field):
                self.add_error(field, "This field is required.")
        self.require_evse_for_connector()
        if self.errors:
            return
        stored = device_model_variable_lookup(station=self.station, parameters=cleaned)
        if stored is not None and stored.mutability == "ReadOnly":
            self.add_error("variable", f"{stored.component}.{stored.variable} is read-only on this station.")


def device_model_variable_lookup(*, station: Station, parameters: dict[str, Any]) -> DeviceModelVariable | None:
    """The stored attribute a SetVariables request addresses, if the station reported it."""
    return (
        DeviceModelVariable.objects.filter(
            station=station,
            component=parameters["component"],
            component_instance=parameters.get("component_instance") or "",
            evse_id=parameters.get("evse_id"),
            connector_id=parameters.get("connector_id"),
            variable=parameters["variable"],
            variable_instance=parameters.get("variable_instance") or "",
            attribute_type=parameters.get("attribute_type") or "Actual",
        )
        .order_by("pk")
        .first()
    )


class TriggerMessageForm(ActionForm):
    action = CommandAction.TRIGGER_MESSAGE
    description = "Ask the station to send a message now."

    requested_message = forms.ChoiceField(choices=_choices(sorted(set(TRIGGERS_V16) | set(TRIGGERS_V201))))
    evse_id = forms.IntegerField(min_value=0, required=False, label="EVSE id", help_text="OCPP 2.0.1 only.")
    connector_id = forms.IntegerField(min_value=1, required=False, label="connector id")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        message = cleaned.get("requested_message")
        allowed = {V16: TRIGGERS_V16, V201: TRIGGERS_V201}.get(self.version)
        if message and allowed is not None and message not in allowed:
            self.add_error("requested_message", f"OCPP {self.version} stations cannot be asked for {message}.")
        self.only_for("evse_id", V201)
        if self.version == V201:
            self.require_evse_for_connector()
        return cleaned


class RemoteStartForm(ActionForm):
    action = CommandAction.REMOTE_START
    description = "Start a charging session for an id token (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction)."

    id_tag = forms.CharField(max_length=36, label="id token", help_text="OCPP 1.6: at most 20 characters.")
    id_token_type = forms.ChoiceField(
        choices=_choices(ID_TOKEN_TYPES, blank="Central (default)"), required=False, help_text="OCPP 2.0.1 only."
    )
    connector_id = forms.IntegerField(min_value=1, required=False, label="connector id", help_text="OCPP 1.6 only.")
    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1 only.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.version == V16 and len(cleaned.get("id_tag") or "") > 20:
            self.add_error("id_tag", "OCPP 1.6 idTag is at most 20 characters.")
        self.only_for("id_token_type", V201)
        self.only_for("connector_id", V16)
        self.only_for("evse_id", V201)
        return cleaned


class RemoteStopForm(ActionForm):
    action = CommandAction.REMOTE_STOP
    description = "Stop a charging session by its transaction id."

    transaction_id = forms.CharField(max_length=36, label="transaction id", help_text="OCPP 1.6: a number.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.version == V16 and cleaned.get("transaction_id"):
            try:
                int(cleaned["transaction_id"])
            except ValueError:
                self.add_error("transaction_id", "OCPP 1.6 transaction ids are integers.")
        return cleaned


class ChangeAvailabilityForm(ActionForm):
    action = CommandAction.CHANGE_AVAILABILITY
    description = "Make the station, an EVSE or a connector operative or inoperative."

    operational_status = forms.ChoiceField(choices=_choices(["Operative", "Inoperative"]))
    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1: empty for the whole station.")
    connector_id = forms.IntegerField(
        min_value=0, required=False, label="connector id", help_text="OCPP 1.6: 0 or empty for the whole station."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.only_for("evse_id", V201)
        if self.version == V201:
            self.require_evse_for_connector()
        return cleaned


class ClearCacheForm(ActionForm):
    action = CommandAction.CLEAR_CACHE
    description = "Clear the station's authorization cache."


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        ResetForm,
        UnlockConnectorForm,
        ChangeConfigurationForm,
        TriggerMessageForm,
        RemoteStartForm,
        RemoteStopForm,
        ChangeAvailabilityForm,
        ClearCacheForm,
    )
}
