"""Remote start and stop (OCPP 1.6 §5.11/§5.12 RemoteStart/StopTransaction, 2.0.1 F01/F03), registered
with ``commands.registry`` from ``ChargingSessionsConfig.ready()``."""
from __future__ import annotations

from typing import Any

from django import forms
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm, choices

ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]


def _refuse(params: dict[str, Any], names: tuple[str, ...], version: str) -> None:
    given = [n for n in names if params.get(n) not in (None, "")]
    if given:
        raise ValueError(f"OCPP {version} has no place for {', '.join(given)}: the station connected with OCPP {version}.")


class RemoteStartForm(ActionForm):
    id_tag = forms.CharField(max_length=36, label="id token", help_text="OCPP 1.6: at most 20 characters.")
    id_token_type = forms.ChoiceField(
        choices=choices(ID_TOKEN_TYPES, blank="Central (default)"), required=False, help_text="OCPP 2.0.1 only."
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


def _start_v16(command):
    p = command.parameters
    _refuse(p, ("evse_id", "id_token_type"), "1.6")
    return call16.RemoteStartTransaction(id_tag=p["id_tag"], connector_id=p.get("connector_id"))


def _start_v201(command):
    p = command.parameters
    return call201.RequestStartTransaction(
        id_token={"id_token": p["id_tag"], "type": p.get("id_token_type") or "Central"},
        # F01: the station echoes remoteStartId in its TransactionEvent, tying the session to this command.
        remote_start_id=command.pk,
        evse_id=p.get("evse_id"),
    )


class RemoteStopForm(ActionForm):
    transaction_id = forms.CharField(max_length=36, label="transaction id", help_text="OCPP 1.6: a number.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.version == V16 and cleaned.get("transaction_id"):
            try:
                int(cleaned["transaction_id"])
            except ValueError:
                self.add_error("transaction_id", "OCPP 1.6 transaction ids are integers.")
        return cleaned


def _stop_v16(command):
    try:
        return call16.RemoteStopTransaction(transaction_id=int(command.parameters["transaction_id"]))
    except ValueError:
        raise ValueError("OCPP 1.6 transaction ids are integers.") from None


def _stop_v201(command):
    return call201.RequestStopTransaction(transaction_id=str(command.parameters["transaction_id"]))


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name="remote_start",
            label="Remote start",
            description="Start a charging session for an id token (1.6 RemoteStartTransaction, 2.0.1 RequestStartTransaction).",
            form=RemoteStartForm,
            build={V16: _start_v16, V201: _start_v201},
        )
    )
    registry.register(
        registry.RemoteAction(
            name="remote_stop",
            label="Remote stop",
            description="Stop a charging session by its transaction id.",
            form=RemoteStopForm,
            build={V16: _stop_v16, V201: _stop_v201},
        )
    )
