"""ReserveNow and CancelReservation (OCPP 1.6 §5.13/§5.3, 2.0.1 H01/H02), registered with
``commands.registry`` from ``ReservationsConfig.ready()``."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm, choices
from reservations.models import Reservation
from reservations.services import cancel_command_finished, reservation_command_finished
from sessions.models import ID_TOKEN_TYPES, IdToken

# 2.0.1 ConnectorEnumType, as the ReserveNowRequest schema lists it.
CONNECTOR_TYPES = [
    "cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A", "s309-3P-16A",
    "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph",
    "Pan", "wInductive", "wResonant", "Undetermined", "Unknown",
]


class ReserveNowForm(ActionForm):
    id_token = forms.CharField(max_length=36, label="id token", help_text="Who may use the reservation (1.6: at most 20 characters).")
    id_token_type = forms.ChoiceField(
        choices=choices(ID_TOKEN_TYPES, blank="as on the allow-list (ISO14443 if not listed)"), required=False,
        help_text="OCPP 2.0.1 only.",
    )
    group_id_token = forms.CharField(
        max_length=36, required=False, label="group id token",
        help_text="Tokens of this group may use it too (2.0.1 groupIdToken, 1.6 parentIdTag). Default: the token's group on the allow-list.",
    )
    evse_id = forms.IntegerField(min_value=1, required=False, label="EVSE id", help_text="OCPP 2.0.1: empty reserves any EVSE.")
    connector_type = forms.ChoiceField(
        choices=choices(CONNECTOR_TYPES, blank="any"), required=False, label="connector type",
        help_text="OCPP 2.0.1: reserve an EVSE with this connector type.",
    )
    connector_id = forms.IntegerField(
        min_value=0, required=False, label="connector id", help_text="OCPP 1.6: 0 reserves any connector (if the station supports it)."
    )
    expires_in_minutes = forms.IntegerField(min_value=1, max_value=7 * 24 * 60, initial=30, label="expires in (minutes)")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.only_for("id_token_type", V201)
        self.only_for("evse_id", V201)
        self.only_for("connector_type", V201)
        self.only_for("connector_id", V16)
        self.require_for("connector_id", V16)
        if self.version == V16:
            for field in ("id_token", "group_id_token"):
                if len(cleaned.get(field) or "") > 20:
                    self.add_error(field, "OCPP 1.6 idTags are at most 20 characters.")
        token = cleaned.get("id_token")
        if token:
            listed = (
                IdToken.objects.filter(network_id=self.station.network_id, token__iexact=token).select_related("group").first()
            )
            if self.version != V16 and not cleaned.get("id_token_type"):
                cleaned["id_token_type"] = listed.token_type if listed and listed.token_type else "ISO14443"
            if not cleaned.get("group_id_token") and listed is not None and listed.group is not None:
                cleaned["group_id_token"] = listed.group.token
        minutes = cleaned.pop("expires_in_minutes", None)
        if minutes:
            expiry = timezone.now().replace(microsecond=0) + timedelta(minutes=minutes)
            cleaned["expiry_date_time"] = expiry.isoformat().replace("+00:00", "Z")
        return cleaned


def _reserve_v16(command) -> call16.ReserveNow:
    p = command.parameters
    if p.get("connector_id") is None:
        raise ValueError("OCPP 1.6 ReserveNow needs a connector id (0 for any connector).")
    return call16.ReserveNow(
        connector_id=p["connector_id"], expiry_date=p["expiry_date_time"], id_tag=p["id_token"],
        reservation_id=command.pk, parent_id_tag=p.get("group_id_token"),
    )


def _reserve_v201(command) -> call201.ReserveNow:
    p = command.parameters
    group = p.get("group_id_token")
    return call201.ReserveNow(
        id=command.pk,
        expiry_date_time=p["expiry_date_time"],
        id_token={"id_token": p["id_token"], "type": p.get("id_token_type") or "ISO14443"},
        connector_type=p.get("connector_type"),
        evse_id=p.get("evse_id"),
        group_id_token={"id_token": group, "type": "Central"} if group else None,
    )


class CancelReservationForm(ActionForm):
    reservation_id = forms.IntegerField(min_value=1, label="reservation id")

    def clean_reservation_id(self) -> int:
        reservation_id = self.cleaned_data["reservation_id"]
        reservation = Reservation.objects.filter(station=self.station, reservation_id=reservation_id).first()
        if reservation is None:
            raise forms.ValidationError("This station has no reservation with this id.")
        if reservation.ended_at is not None or reservation.status != "reserved":
            raise forms.ValidationError(f"This reservation is over ({reservation.get_status_display()}).")
        return reservation_id


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name="reserve_now",
            label="Reserve now",
            description="Reserve an EVSE or connector for an id token (or its group) until an expiry time.",
            form=ReserveNowForm,
            build={V16: _reserve_v16, V201: _reserve_v201},
            on_final=reservation_command_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="cancel_reservation",
            label="Cancel reservation",
            description="End a reservation the station holds.",
            form=CancelReservationForm,
            build={
                V16: lambda command: call16.CancelReservation(reservation_id=command.parameters["reservation_id"]),
                V201: lambda command: call201.CancelReservation(reservation_id=command.parameters["reservation_id"]),
            },
            on_final=cancel_command_finished,
        )
    )
