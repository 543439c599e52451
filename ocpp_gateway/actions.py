"""The core station-management remote actions (OCPP 1.6 Core profile, 2.0.1 B/C/F/G blocks).

Registered with ``commands.registry`` from ``OcppGatewayConfig.ready()``. They live in the gateway,
the app above both ``stations`` (whose configuration rules the change-configuration form asks) and
``commands`` (whose life cycle carries them): ``stations`` cannot register with ``commands``, which
imports ``stations.models``, without an import cycle. Remote start/stop live in ``sessions.actions``.
"""
from __future__ import annotations

from typing import Any

from django import forms
from ocpp.charge_point import remove_nones
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm, choices
from stations import configuration

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
ATTRIBUTE_TYPES = ["Actual", "Target", "MinSet", "MaxSet"]
V201_ONLY_PARAMETERS = ("evse_id", "component", "variable", "component_instance", "variable_instance", "attribute_type", "id_token_type")
V16_ONLY_PARAMETERS = ("key", "type")


def refuse_parameters(params: dict[str, Any], names: tuple[str, ...], version: str) -> None:
    """The consumer's own check, for a station whose version was unknown when the form ran."""
    given = [n for n in names if params.get(n) not in (None, "")]
    if given:
        raise ValueError(f"OCPP {version} has no place for {', '.join(given)}: the station connected with OCPP {version}.")


def evse(p: dict[str, Any]) -> dict[str, Any] | None:
    if p.get("evse_id") is None:
        return None
    return remove_nones({"id": p["evse_id"], "connector_id": p.get("connector_id")})


def _v16(build):
    def checked(command):
        refuse_parameters(command.parameters, V201_ONLY_PARAMETERS, "1.6")
        return build(command.parameters)

    return checked


def _v201(build):
    def checked(command):
        refuse_parameters(command.parameters, V16_ONLY_PARAMETERS, "2.0.1")
        return build(command.parameters)

    return checked


# --- Reset (1.6 §5.14, 2.0.1 B11/B12) ---------------------------------------------------------------


class ResetForm(ActionForm):
    when = forms.ChoiceField(
        choices=[("immediate", "Immediately"), ("on_idle", "Once the running session has ended")],
        initial="immediate",
        required=False,
        help_text="OCPP 2.0.1 sends OnIdle; for OCPP 1.6 the platform holds the reset until the session stops.",
    )
    type = forms.ChoiceField(
        choices=choices(["Soft", "Hard"], blank="Soft (default)"),
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


def _reset_hold(command, version: str) -> bool:
    # OCPP 1.6 §5.14 has no OnIdle reset: hold it until the running session ends
    # (commands.services.station_session_ended sends it then, see _session_saved).
    from sessions.models import Session

    return (
        command.parameters.get("when") == "on_idle"
        and version == V16
        and Session.objects.filter(station_id=command.station_id).active().exists()
    )


def _session_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A session that has ended releases the OCPP 1.6 resets held for it.

    Wired to the session record rather than to the StopTransaction handler so that every way a
    session ends (1.6 StopTransaction, 2.0.1 TransactionEvent Ended) is seen; calling the service
    again is harmless, it only sends what is still held.
    """
    from sessions.models import SessionStatus

    if instance.status == SessionStatus.ACTIVE or instance.ended_at is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    from commands.models import Command
    from commands.services import station_session_ended

    if Command.objects.waiting_for_idle().filter(station_id=instance.station_id).exists():
        station_session_ended(station=instance.station)


# --- UnlockConnector (1.6 §5.18, 2.0.1 F05) -------------------------------------------------------------


class UnlockConnectorForm(ActionForm):
    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1: required.")
    connector_id = forms.IntegerField(
        min_value=1, label="connector id", help_text="OCPP 1.6: the station's connectorId; 2.0.1: within the EVSE."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.only_for("evse_id", V201)
        self.require_for("evse_id", V201)
        return cleaned


def _unlock_v201(p: dict[str, Any]):
    if p.get("evse_id") is None:
        raise ValueError("OCPP 2.0.1 UnlockConnector needs an EVSE id.")
    return call201.UnlockConnector(evse_id=p["evse_id"], connector_id=p["connector_id"])


# --- ChangeConfiguration (1.6 §5.3) / SetVariables (2.0.1 B05) ---------------------------------------


class ChangeConfigurationForm(ActionForm):
    key = forms.CharField(max_length=50, required=False, help_text="OCPP 1.6: the configuration key.")
    component = forms.CharField(max_length=50, required=False, help_text="OCPP 2.0.1: the component name.")
    component_instance = forms.CharField(max_length=50, required=False)
    evse_id = forms.IntegerField(min_value=0, required=False, label="EVSE id", help_text="OCPP 2.0.1: the component's EVSE.")
    connector_id = forms.IntegerField(min_value=1, required=False, label="connector id", help_text="OCPP 2.0.1: the component's connector.")
    variable = forms.CharField(max_length=50, required=False, help_text="OCPP 2.0.1: the variable name.")
    variable_instance = forms.CharField(max_length=50, required=False)
    attribute_type = forms.ChoiceField(
        choices=choices(ATTRIBUTE_TYPES, blank="Actual (default)"), required=False, help_text="OCPP 2.0.1 only."
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
            if not cleaned.get("key"):
                self.add_error("key", "This field is required.")
            elif len(cleaned["value"]) > 500:
                self.add_error("value", "OCPP 1.6 values are at most 500 characters.")
        elif version == V201:
            for field in ("component", "variable"):
                if not cleaned.get(field):
                    self.add_error(field, "This field is required.")
            self.require_evse_for_connector()
        else:
            self.add_error("key", "Give a key (OCPP 1.6) or a component and variable (OCPP 2.0.1).")
        if not self.errors:
            # The stations app's rule: read-only entries, passwords, the security profile and
            # write-only (secret) values are not plain configuration.
            refusal = configuration.configuration_write_refusal(station=self.station, parameters=cleaned)
            if refusal is not None:
                self.add_error(*refusal)
        return cleaned

    def parameters(self) -> dict[str, Any]:
        # An empty value is a value: stations accept "" for some keys.
        return {**super().parameters(), "value": self.cleaned_data["value"]}


def _change_configuration_v16(p: dict[str, Any]):
    if not p.get("key"):
        raise ValueError("OCPP 1.6 ChangeConfiguration needs a key.")
    return call16.ChangeConfiguration(key=p["key"], value=p.get("value", ""))


def _change_configuration_v201(p: dict[str, Any]):
    if not (p.get("component") and p.get("variable")):
        raise ValueError("OCPP 2.0.1 SetVariables needs a component and a variable.")
    component = remove_nones({"name": p["component"], "instance": p.get("component_instance") or None, "evse": evse(p)})
    variable = remove_nones({"name": p["variable"], "instance": p.get("variable_instance") or None})
    data = remove_nones(
        {
            "attribute_type": p.get("attribute_type") or None,
            "attribute_value": p.get("value", ""),
            "component": component,
            "variable": variable,
        }
    )
    return call201.SetVariables(set_variable_data=[data])


def _change_configuration_result(answer: dict[str, Any]) -> str:
    # 2.0.1 SetVariablesResponse answers per variable; the request carries one.
    if "setVariableResult" in answer:
        results = answer["setVariableResult"]
        return results[0].get("attributeStatus", "") if results else ""
    return registry.status_word(answer)


def _change_configuration_finished(command) -> None:
    """The station accepted a new value (Accepted or RebootRequired): the stored copy follows."""
    if command.status == "accepted":
        configuration.configuration_store(station=command.station, parameters=command.parameters)


# --- TriggerMessage (1.6 §5.17, 2.0.1 F06) -----------------------------------------------------------


class TriggerMessageForm(ActionForm):
    requested_message = forms.ChoiceField(choices=choices(sorted(set(TRIGGERS_V16) | set(TRIGGERS_V201))))
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


# --- ChangeAvailability (1.6 §5.2, 2.0.1 G03/G04) ------------------------------------------------------


class ChangeAvailabilityForm(ActionForm):
    operational_status = forms.ChoiceField(choices=choices(["Operative", "Inoperative"]))
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


# --- ClearCache (1.6 §5.4, 2.0.1 C11) ---------------------------------------------------------------


class ClearCacheForm(ActionForm):
    pass


def register() -> None:
    from django.db.models.signals import post_save

    from sessions.models import Session

    registry.register(
        registry.RemoteAction(
            name="reset",
            label="Reset",
            description="Restart the station, or one EVSE (OCPP 2.0.1).",
            form=ResetForm,
            build={
                V16: _v16(lambda p: call16.Reset(type=p.get("type") or "Soft")),
                # OCPP 2.0.1 B11/B12: OnIdle waits for running transactions to end.
                V201: _v201(
                    lambda p: call201.Reset(type="OnIdle" if p.get("when") == "on_idle" else "Immediate", evse_id=p.get("evse_id"))
                ),
            },
            hold=_reset_hold,
        )
    )
    post_save.connect(_session_saved, sender=Session, dispatch_uid="ocpp_gateway.actions.session_saved")
    registry.register(
        registry.RemoteAction(
            name="unlock_connector",
            label="Unlock connector",
            description="Release the cable lock of a connector.",
            form=UnlockConnectorForm,
            build={
                V16: _v16(lambda p: call16.UnlockConnector(connector_id=p["connector_id"])),
                V201: _v201(_unlock_v201),
            },
        )
    )
    registry.register(
        registry.RemoteAction(
            name="change_configuration",
            label="Change configuration",
            description="Set a configuration key (OCPP 1.6) or a device model variable (OCPP 2.0.1).",
            form=ChangeConfigurationForm,
            build={V16: _v16(_change_configuration_v16), V201: _v201(_change_configuration_v201)},
            result=_change_configuration_result,
            on_final=_change_configuration_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="trigger_message",
            label="Trigger message",
            description="Ask the station to send a message now.",
            form=TriggerMessageForm,
            build={
                V16: _v16(
                    lambda p: call16.TriggerMessage(requested_message=p["requested_message"], connector_id=p.get("connector_id"))
                ),
                V201: _v201(lambda p: call201.TriggerMessage(requested_message=p["requested_message"], evse=evse(p))),
            },
        )
    )
    registry.register(
        registry.RemoteAction(
            name="change_availability",
            label="Change availability",
            description="Make the station, an EVSE or a connector operative or inoperative.",
            form=ChangeAvailabilityForm,
            build={
                V16: _v16(
                    lambda p: call16.ChangeAvailability(connector_id=p.get("connector_id", 0), type=p["operational_status"])
                ),
                V201: _v201(lambda p: call201.ChangeAvailability(operational_status=p["operational_status"], evse=evse(p))),
            },
        )
    )
    registry.register(
        registry.RemoteAction(
            name="clear_cache",
            label="Clear cache",
            description="Clear the station's authorization cache.",
            form=ClearCacheForm,
            build={V16: _v16(lambda p: call16.ClearCache()), V201: _v201(lambda p: call201.ClearCache())},
        )
    )
