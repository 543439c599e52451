"""Parameter forms of the smart-charging remote actions (commands.registry): every surface (admin,
console, API, station_action) validates through them. Limits follow the OCA JSON schemas and the
rules of 1.6 §3.13 / 2.0.1 K01 and K09 that a station would otherwise refuse."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Max

from commands.forms import V16, V201, ActionForm, choices
from smartcharging.models import ChargingProfile, ProfileKind, RecurrencyKind

PURPOSES = ["ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile"]
PERIODS_HELP = 'Schedule periods as "start:limit" or "start:limit:phases", comma separated, seconds from the schedule start, e.g. "0:32, 3600:16".'
_PERIOD = re.compile(r"^\s*(\d+)\s*:\s*(\d+(?:\.\d+)?)\s*(?::\s*([123]))?\s*$")


def parse_periods(text: str) -> list[dict[str, Any]]:
    """"0:32, 3600:16:1" → [{"start_period": 0, "limit": 32.0}, {"start_period": 3600, "limit": 16.0, "number_phases": 1}]."""
    periods: list[dict[str, Any]] = []
    for part in [p for p in text.split(",") if p.strip()]:
        match = _PERIOD.match(part)
        if not match:
            raise forms.ValidationError(f"{part.strip()!r} is not start:limit or start:limit:phases.")
        start, limit, phases = int(match[1]), float(match[2]), match[3]
        if start > 10**7 or limit > 10**6:
            raise forms.ValidationError(f"{part.strip()!r} is out of range.")
        period: dict[str, Any] = {"start_period": start, "limit": limit}
        if phases:
            period["number_phases"] = int(phases)
        periods.append(period)
    if not periods:
        raise forms.ValidationError("Give at least one period.")
    if periods[0]["start_period"] != 0:
        # 2.0.1 K01.FR.31 (and 1.6 alike): the first period starts at 0.
        raise forms.ValidationError("The first period starts at 0.")
    starts = [p["start_period"] for p in periods]
    if starts != sorted(set(starts)):
        raise forms.ValidationError("Periods are in increasing order of their start.")
    return periods


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def profile_spec_clean(form: forms.Form, cleaned: dict[str, Any], *, version: str) -> dict[str, Any] | None:
    """The version-neutral profile spec from a form's fields, with the OCPP rules as field errors."""
    purpose, kind = cleaned.get("purpose"), cleaned.get("kind") or ProfileKind.ABSOLUTE
    evse_id = cleaned.get("evse_id")
    if purpose == "TxProfile":
        if not cleaned.get("transaction_id"):
            form.add_error("transaction_id", "A TxProfile limits one transaction: give its id (2.0.1 K01.FR.03).")
        if evse_id == 0:
            form.add_error("evse_id", "A TxProfile applies to the EVSE (connector) of its transaction, not 0.")
    elif cleaned.get("transaction_id"):
        form.add_error("transaction_id", "Only a TxProfile names a transaction.")
    if purpose == "ChargingStationMaxProfile" and evse_id not in (None, 0):
        form.add_error("evse_id", "A station maximum profile applies to the whole station: 0.")
    if purpose == "ChargingStationMaxProfile" and kind == ProfileKind.RELATIVE and version == V201:
        form.add_error("kind", "A ChargingStationMaxProfile is Absolute or Recurring, not Relative (2.0.1 K01.FR.38).")
    if kind == ProfileKind.RECURRING and not (cleaned.get("recurrency_kind") and cleaned.get("start_schedule")):
        form.add_error("recurrency_kind", "A recurring profile needs a recurrency kind and a schedule start.")
    if kind != ProfileKind.RECURRING and cleaned.get("recurrency_kind"):
        form.add_error("recurrency_kind", "Only recurring profiles have a recurrency kind.")
    if kind == ProfileKind.RELATIVE and cleaned.get("start_schedule"):
        form.add_error("start_schedule", "A relative profile has no schedule start: it starts with the transaction.")
    if version == V16 and cleaned.get("transaction_id"):
        try:
            int(cleaned["transaction_id"])
        except ValueError:
            form.add_error("transaction_id", "OCPP 1.6 transaction ids are integers.")
    valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
    if valid_from and valid_to and valid_to <= valid_from:
        form.add_error("valid_to", "Ends after it starts.")
    periods = cleaned.get("periods")
    if form.errors or not purpose or not periods:
        return None
    return {
        "stack_level": cleaned.get("stack_level") or 0,
        "purpose": purpose,
        "kind": kind,
        "recurrency_kind": cleaned.get("recurrency_kind") or None,
        "valid_from": _iso(valid_from),
        "valid_to": _iso(valid_to),
        "transaction_id": cleaned.get("transaction_id") or None,
        "start_schedule": _iso(cleaned.get("start_schedule")),
        "duration": cleaned.get("duration"),
        "charging_rate_unit": cleaned.get("charging_rate_unit") or "A",
        "min_charging_rate": cleaned.get("min_charging_rate"),
        "periods": periods,
    }


class SetChargingProfileForm(ActionForm):
    template = forms.IntegerField(
        required=False, min_value=1, help_text="A charging profile template of this network (its id); the fields below override it."
    )
    evse_id = forms.IntegerField(min_value=0, label="EVSE / connector id", help_text="0 = the whole station. OCPP 1.6: the connectorId.")
    profile_id = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, label="charging profile id", help_text="Default: the next free id on this station."
    )
    purpose = forms.ChoiceField(choices=choices(PURPOSES, blank="(from the template)"), required=False)
    kind = forms.ChoiceField(choices=choices([k.value for k in ProfileKind], blank="Absolute (default)"), required=False)
    recurrency_kind = forms.ChoiceField(choices=choices([k.value for k in RecurrencyKind], blank="(none)"), required=False)
    stack_level = forms.IntegerField(required=False, min_value=0, max_value=1000)
    transaction_id = forms.CharField(required=False, max_length=36, help_text="TxProfile only.")
    valid_from = forms.DateTimeField(required=False)
    valid_to = forms.DateTimeField(required=False)
    start_schedule = forms.DateTimeField(required=False)
    duration = forms.IntegerField(required=False, min_value=0, max_value=10**7, help_text="Seconds.")
    charging_rate_unit = forms.ChoiceField(choices=choices(["A", "W"], blank="(from the template, else A)"), required=False)
    min_charging_rate = forms.FloatField(required=False, min_value=0, max_value=10**6)
    periods = forms.CharField(required=False, max_length=2000, help_text=PERIODS_HELP)

    def clean_periods(self) -> list[dict[str, Any]] | None:
        text = self.cleaned_data.get("periods") or ""
        return parse_periods(text) if text.strip() else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        template_id = cleaned.get("template")
        if template_id:
            template = (
                ChargingProfile.objects.templates().filter(network_id=self.station.network_id, pk=template_id).first()
            )
            if template is None:
                self.add_error("template", "No charging profile template with this id in the station's network.")
                return cleaned
            from_template = {
                "purpose": template.purpose, "kind": template.kind, "recurrency_kind": template.recurrency_kind,
                "stack_level": template.stack_level, "valid_from": template.valid_from, "valid_to": template.valid_to,
                "start_schedule": template.start_schedule, "duration": template.duration,
                "charging_rate_unit": template.charging_rate_unit, "min_charging_rate": template.min_charging_rate,
                "periods": template.periods,
            }
            for name, value in from_template.items():
                if cleaned.get(name) in (None, ""):
                    cleaned[name] = value
        if not cleaned.get("purpose"):
            self.add_error("purpose", "Choose a purpose (or a template).")
        if not cleaned.get("periods") and "periods" not in self.errors:
            self.add_error("periods", "Give the schedule periods (or a template).")
        spec = profile_spec_clean(self, cleaned, version=self.version)
        if spec is not None:
            spec["id"] = cleaned.get("profile_id") or self._next_profile_id()
            cleaned["spec"] = spec
        return cleaned

    def _next_profile_id(self) -> int:
        highest = ChargingProfile.objects.filter(station=self.station).aggregate(m=Max("profile_id"))["m"]
        return (highest or 0) + 1

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {"evse_id": self.cleaned_data["evse_id"], "profile": self.cleaned_data["spec"]}
        if self.cleaned_data.get("template"):
            params["template"] = self.cleaned_data["template"]
        return params


class ClearChargingProfileForm(ActionForm):
    profile_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, label="charging profile id")
    evse_id = forms.IntegerField(required=False, min_value=0, label="EVSE / connector id")
    purpose = forms.ChoiceField(choices=choices(PURPOSES, blank="(any)"), required=False)
    stack_level = forms.IntegerField(required=False, min_value=0, max_value=1000)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.version == V201 and not any(cleaned.get(n) not in (None, "") for n in ("profile_id", "evse_id", "purpose", "stack_level")):
            # An id or at least one criterion: clearing every profile at once is not a default.
            self.add_error("profile_id", "Give a profile id or at least one criterion (EVSE, purpose, stack level).")
        return cleaned


class GetCompositeScheduleForm(ActionForm):
    evse_id = forms.IntegerField(min_value=0, label="EVSE / connector id", help_text="0 = the station's grid connection.")
    duration = forms.IntegerField(min_value=1, max_value=7 * 86400, initial=3600, help_text="Seconds from now.")
    charging_rate_unit = forms.ChoiceField(choices=choices(["A", "W"], blank="(the station's choice)"), required=False)


class GetChargingProfilesForm(ActionForm):
    evse_id = forms.IntegerField(required=False, min_value=0, label="EVSE id", help_text="Empty: every EVSE.")
    purpose = forms.ChoiceField(choices=choices(PURPOSES + ["ChargingStationExternalConstraints"], blank="(any)"), required=False)
    stack_level = forms.IntegerField(required=False, min_value=0, max_value=1000)
    profile_ids = forms.CharField(required=False, max_length=200, help_text="Comma-separated profile ids.")
    limit_sources = forms.MultipleChoiceField(
        required=False, choices=[(s, s) for s in ("EMS", "Other", "SO", "CSO")], help_text="chargingLimitSource values."
    )

    def clean_profile_ids(self) -> list[int] | None:
        text = self.cleaned_data.get("profile_ids") or ""
        try:
            ids = [int(p) for p in text.split(",") if p.strip()]
        except ValueError:
            raise forms.ValidationError("Profile ids are integers, comma separated.") from None
        return ids or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(cleaned.get(n) not in (None, "", []) for n in ("purpose", "stack_level", "profile_ids", "limit_sources")):
            # K09.FR.03: profile ids, or at least one of stack level, limit source, purpose.
            self.add_error("purpose", "Give profile ids or at least one of purpose, stack level, limit sources (K09.FR.03).")
        return cleaned

    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}
