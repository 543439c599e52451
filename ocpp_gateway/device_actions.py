"""Provisioning remote actions: read and write a station's configuration, reports, network profiles,
vendor data (OCPP 2.0.1 B06-B09, P01/P02; 1.6 §5.8, §5.6 DataTransfer, Security Whitepaper
ExtendedTriggerMessage).

Registered with ``commands.registry`` from ``OcppGatewayConfig.ready()`` (beside ``actions``): the
gateway sits above ``stations`` (whose configuration rules the forms ask and whose device model the
answers fill) and ``commands``. The trigger of 2.0.1/1.6 core messages is ``actions.trigger_message``.

A list of variables is written one per line (the API also takes a JSON list of such lines, or of
objects with the parameter names)::

    Component[(instance)][@evse[/connector]].Variable[(instance)][:AttributeType][=value]

e.g. ``OCPPCommCtrlr.OfflineThreshold``, ``EVSE@1.AvailabilityState``,
``SampledDataCtrlr.TxEndedMeasurands:Target=Energy.Active.Import.Register``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from ocpp.charge_point import remove_nones
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm, choices
from stations import configuration

ATTRIBUTE_TYPES = ("Actual", "Target", "MinSet", "MaxSet")
REPORT_BASES = ["ConfigurationInventory", "FullInventory", "SummaryInventory"]
COMPONENT_CRITERIA = ["Active", "Available", "Enabled", "Problem"]
#: 1.6 Security Whitepaper §8 MessageTriggerEnumType (ExtendedTriggerMessage).
EXTENDED_TRIGGERS_V16 = [
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
]
#: 2.0.1 OCPPInterfaceEnumType.
OCPP_INTERFACES = [f"{kind}{n}" for kind in ("Wired", "Wireless") for n in range(4)]
#: More entries than this in one request are refused even when the station did not report its limit
#: (2.0.1 DeviceDataCtrlr.ItemsPerMessage<GetVariables/SetVariables>; B06.FR.05 / B05.FR.06).
MAX_ITEMS = 50
#: What the answers hold in place of a secret a station disclosed.
REDACTED = "<redacted>"

_LINE = re.compile(
    r"^(?P<component>[^.()@/:=\s]+)(?:\((?P<component_instance>[^)]*)\))?"
    r"(?:@(?P<evse_id>\d+)(?:/(?P<connector_id>\d+))?)?"
    r"(?:\.(?P<variable>[^.()@:=\s]+)(?:\((?P<variable_instance>[^)]*)\))?)?"
    r"(?::(?P<attribute_type>[A-Za-z]+))?$"
)
_KEYS = ("component", "component_instance", "evse_id", "connector_id", "variable", "variable_instance", "attribute_type", "value")


def variable_label(entry: dict[str, Any]) -> str:
    """The one-line form of a parsed entry (the syntax the form reads), for messages and results."""
    text = entry["component"]
    if entry.get("component_instance"):
        text += f"({entry['component_instance']})"
    if entry.get("evse_id") is not None:
        text += f"@{entry['evse_id']}"
        if entry.get("connector_id") is not None:
            text += f"/{entry['connector_id']}"
    if entry.get("variable"):
        text += f".{entry['variable']}"
        if entry.get("variable_instance"):
            text += f"({entry['variable_instance']})"
    if entry.get("attribute_type"):
        text += f":{entry['attribute_type']}"
    return text


class VariableListField(forms.Field):
    """Component/variable entries: lines of text (admin, console, station_action) or a JSON list (API)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def __init__(self, *, with_value: bool = False, variable_required: bool = True, **kwargs) -> None:
        self.with_value = with_value
        self.variable_required = variable_required
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(
                variable_label(v) + (f"={v.get('value', '')}" if self.with_value else "") if isinstance(v, dict) else str(v)
                for v in value
            )
        return value

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in self.empty_values:
            return []
        items = value if isinstance(value, list) else str(value).splitlines()
        entries, errors = [], []
        for number, item in enumerate(items, start=1):
            if isinstance(item, str) and not item.strip():
                continue
            try:
                entries.append(self._entry(item))
            except forms.ValidationError as exc:
                errors.append(f"Entry {number}: {' '.join(exc.messages)}")
        if errors:
            raise forms.ValidationError(errors)
        if len(entries) > MAX_ITEMS:
            raise forms.ValidationError(f"At most {MAX_ITEMS} entries in one request.")
        return entries

    def _entry(self, item: Any) -> dict[str, Any]:
        if isinstance(item, dict):
            unknown = sorted(set(item) - set(_KEYS))
            if unknown:
                raise forms.ValidationError(f"unknown keys {', '.join(unknown)}; allowed: {', '.join(_KEYS)}.")
            raw = {k: item.get(k) for k in _KEYS if item.get(k) not in (None, "")}
        elif isinstance(item, str):
            text, value = item.strip(), None
            if self.with_value:
                if "=" not in text:
                    raise forms.ValidationError(f"{text!r} has no value: write Component.Variable=value.")
                text, value = text.split("=", 1)
                text = text.strip()
            match = _LINE.match(text)
            if match is None:
                raise forms.ValidationError(
                    f"{text!r} is not Component[(instance)][@evse[/connector]].Variable[(instance)][:AttributeType]."
                )
            raw = {k: v for k, v in match.groupdict().items() if v not in (None, "")}
            if value is not None:
                raw["value"] = value
        else:
            raise forms.ValidationError("each entry is a line of text or an object.")
        return self._checked(raw)

    def _checked(self, raw: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        # Names and instances are string(50) in the 2.0.1 ComponentType/VariableType schemas.
        for name in ("component", "component_instance", "variable", "variable_instance"):
            if raw.get(name) not in (None, ""):
                text = str(raw[name]).strip()
                if len(text) > 50:
                    raise forms.ValidationError(f"{name.replace('_', ' ')} is at most 50 characters.")
                entry[name] = text
        if not entry.get("component"):
            raise forms.ValidationError("a component name is required.")
        if self.variable_required and not entry.get("variable"):
            raise forms.ValidationError(f"{entry['component']}: a variable name is required.")
        for name, low in (("evse_id", 0), ("connector_id", 1)):
            if raw.get(name) not in (None, ""):
                try:
                    number = int(raw[name])
                except (TypeError, ValueError):
                    raise forms.ValidationError(f"{name.replace('_', ' ')} is a whole number.") from None
                if not low <= number <= 2**31 - 1:
                    raise forms.ValidationError(f"{name.replace('_', ' ')} is between {low} and {2**31 - 1}.")
                entry[name] = number
        if entry.get("connector_id") is not None and entry.get("evse_id") is None:
            raise forms.ValidationError("a connector belongs to an EVSE: write Component@evse/connector.")
        if raw.get("attribute_type") not in (None, ""):
            if raw["attribute_type"] not in ATTRIBUTE_TYPES:
                raise forms.ValidationError(f"attribute type is one of {', '.join(ATTRIBUTE_TYPES)}.")
            entry["attribute_type"] = raw["attribute_type"]
        if self.with_value:
            value = raw.get("value")
            if value is None:
                raise forms.ValidationError(f"{variable_label(entry)} has no value.")
            # SetVariableDataType.attributeValue is string(1000).
            if len(str(value)) > 1000:
                raise forms.ValidationError(f"{variable_label(entry)}: a value is at most 1000 characters.")
            entry["value"] = str(value)
        return entry


class ListField(forms.Field):
    """A list of names: a JSON list, or text separated by commas or lines."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 60})

    def __init__(self, *, max_length: int, allowed: list[str] | None = None, **kwargs) -> None:
        self.item_max_length = max_length
        self.allowed = allowed
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        if value in self.empty_values:
            return []
        items = value if isinstance(value, list) else re.split(r"[,\n]", str(value))
        names = [str(i).strip() for i in items if str(i).strip()]
        for name in names:
            if len(name) > self.item_max_length:
                raise forms.ValidationError(f"{name[:20]}…: at most {self.item_max_length} characters.")
            if self.allowed is not None and name not in self.allowed:
                raise forms.ValidationError(f"{name} is not one of {', '.join(self.allowed)}.")
        if len(names) > MAX_ITEMS:
            raise forms.ValidationError(f"At most {MAX_ITEMS} entries in one request.")
        return list(dict.fromkeys(names))


def _station_items_limit(station, instance: str) -> int | None:
    """The station's reported DeviceDataCtrlr.ItemsPerMessage<instance>, if its device model holds it."""
    from stations.models import DeviceModelVariable

    row = (
        DeviceModelVariable.objects.filter(
            station=station, component="DeviceDataCtrlr", variable="ItemsPerMessage", variable_instance=instance, attribute_type="Actual"
        )
        .order_by("pk")
        .first()
    )
    try:
        return int(row.value) if row is not None else None
    except ValueError:
        return None


def _check_items_limit(form: ActionForm, field: str, instance: str) -> None:
    entries = form.cleaned_data.get(field) or []
    limit = _station_items_limit(form.station, instance)
    if limit is not None and len(entries) > limit:
        form.add_error(field, f"This station takes at most {limit} entries in one {instance} request (DeviceDataCtrlr.ItemsPerMessage).")


def _component(entry: dict[str, Any]) -> dict[str, Any]:
    evse = None
    if entry.get("evse_id") is not None:
        evse = remove_nones({"id": entry["evse_id"], "connector_id": entry.get("connector_id")})
    return remove_nones({"name": entry["component"], "instance": entry.get("component_instance"), "evse": evse})


def _variable(entry: dict[str, Any]) -> dict[str, Any]:
    return remove_nones({"name": entry["variable"], "instance": entry.get("variable_instance")})


def _entry_key(component: dict[str, Any], variable: dict[str, Any], attribute_type: str | None) -> tuple:
    evse = component.get("evse") or {}
    return (
        component.get("name"),
        component.get("instance") or "",
        evse.get("id"),
        evse.get("connectorId", evse.get("connector_id")),
        variable.get("name"),
        variable.get("instance") or "",
        attribute_type or "Actual",
    )


def _with_command(build):
    def checked(command):
        return build(command.parameters, command)

    return checked


def _per_variable_result(field: str):
    """A Get/SetVariables answer as one word: the shared status, or how many of how many were accepted."""

    def read(answer: dict[str, Any]) -> str:
        results = answer.get(field) if isinstance(answer, dict) else None
        if not isinstance(results, list) or not results:
            return registry.status_word(answer)
        statuses = [str(r.get("attributeStatus", "")) for r in results]
        if len(set(statuses)) == 1:
            return statuses[0]
        if set(statuses) <= {"Accepted", "RebootRequired"}:
            return "RebootRequired"
        accepted = sum(s in ("Accepted", "RebootRequired") for s in statuses)
        return f"{accepted} of {len(statuses)} accepted"

    return read


def _redact_answer(command, secret: Callable[[dict[str, Any]], bool]) -> None:
    """Replace disclosed secret values in the stored answer: the record is shown to operators."""
    answer = command.answer
    changed = False
    for item in (answer or {}).get("getVariableResult", []) or []:
        if "attributeValue" in item and secret(item):
            item["attributeValue"] = REDACTED
            changed = True
    for item in (answer or {}).get("configurationKey", []) or []:
        if item.get("value") and configuration.configuration_value_is_secret(key=str(item.get("key", ""))):
            item["value"] = REDACTED
            changed = True
    if changed:
        type(command).objects.filter(pk=command.pk).update(answer=answer)
        command.answer = answer


def _variable_is_secret(station, item: dict[str, Any]) -> bool:
    from stations.models import DeviceModelVariable

    component = (item.get("component") or {}).get("name", "")
    variable = (item.get("variable") or {}).get("name", "")
    return configuration.configuration_value_is_secret(component=component, variable=variable) or DeviceModelVariable.objects.filter(
        station=station, component=component, variable=variable, mutability=configuration.WRITE_ONLY
    ).exists()


# --- GetVariables (2.0.1 B06) -----------------------------------------------------------------------


class GetVariablesForm(ActionForm):
    variables = VariableListField(
        help_text="One per line: Component[(instance)][@evse[/connector]].Variable[(instance)][:AttributeType], "
        "e.g. OCPPCommCtrlr.OfflineThreshold. The attribute type is Actual unless given."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        entries = cleaned.get("variables") or []
        if "variables" in cleaned and not entries:
            self.add_error("variables", "Give at least one component and variable.")
        for entry in entries:
            # A write-only value (a password) is never read back (2.0.1 B06.FR.04: the station
            # answers Rejected anyway); asking is an operator's mistake worth a clear word.
            if configuration.configuration_value_is_secret(component=entry["component"], variable=entry["variable"]):
                self.add_error("variables", f"{variable_label(entry)} is a secret: stations never disclose it.")
        _check_items_limit(self, "variables", "GetVariables")
        return cleaned


def _get_variables_v201(p: dict[str, Any], command) -> Any:
    entries = p.get("variables") or []
    if not entries:
        raise ValueError("GetVariables needs at least one component and variable.")
    return call201.GetVariables(
        get_variable_data=[
            remove_nones({"component": _component(e), "variable": _variable(e), "attribute_type": e.get("attribute_type")})
            for e in entries
        ]
    )


def _get_variables_finished(command) -> None:
    """Every value the station returned (Accepted) becomes the stored device model value."""
    from stations.device_reports import device_model_values_store

    if not isinstance(command.answer, dict):
        return
    _redact_answer(command, lambda item: _variable_is_secret(command.station, item))
    results = [r for r in command.answer.get("getVariableResult") or [] if r.get("attributeValue") != REDACTED]
    device_model_values_store(station=command.station, results=results)


# --- SetVariables (2.0.1 B05), several in one request -------------------------------------------------


class SetVariablesForm(ActionForm):
    variables = VariableListField(
        with_value=True,
        help_text="One per line: Component[(instance)][@evse[/connector]].Variable[(instance)][:AttributeType]=value, "
        "e.g. OCPPCommCtrlr.OfflineThreshold=123.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        entries = cleaned.get("variables") or []
        if "variables" in cleaned and not entries:
            self.add_error("variables", "Give at least one Component.Variable=value.")
        for entry in entries:
            # The stations app's rule for every configuration write: read-only entries, passwords,
            # the security profile and write-only (secret) values are refused.
            refusal = configuration.configuration_write_refusal(station=self.station, parameters=entry)
            if refusal is not None:
                self.add_error("variables", f"{variable_label(entry)}: {refusal[1]}")
        _check_items_limit(self, "variables", "SetVariables")
        return cleaned


def _set_variables_v201(p: dict[str, Any], command) -> Any:
    entries = p.get("variables") or []
    if not entries:
        raise ValueError("SetVariables needs at least one component, variable and value.")
    return call201.SetVariables(
        set_variable_data=[
            remove_nones(
                {
                    "attribute_type": e.get("attribute_type"),
                    "attribute_value": e.get("value", ""),
                    "component": _component(e),
                    "variable": _variable(e),
                }
            )
            for e in entries
        ]
    )


def _set_variables_finished(command) -> None:
    """The values the station accepted (Accepted or RebootRequired) become the stored ones."""
    if not isinstance(command.answer, dict):
        return
    entries = command.parameters.get("variables") or []
    by_key = {
        _entry_key(_component(e), _variable(e), e.get("attribute_type")): e
        for e in entries
    }
    for result in command.answer.get("setVariableResult") or []:
        if result.get("attributeStatus") not in ("Accepted", "RebootRequired"):
            continue
        entry = by_key.get(_entry_key(result.get("component") or {}, result.get("variable") or {}, result.get("attributeType")))
        if entry is not None:
            configuration.configuration_store(station=command.station, parameters=entry)


# --- GetBaseReport (2.0.1 B07) / GetReport (B08) ----------------------------------------------------


class GetBaseReportForm(ActionForm):
    report_base = forms.ChoiceField(
        choices=choices(REPORT_BASES),
        help_text="ConfigurationInventory: the settable variables; FullInventory: everything; SummaryInventory: "
        "availability and problems. The data arrives in NotifyReport parts and fills the device model.",
    )


def _get_base_report_v201(p: dict[str, Any], command) -> Any:
    # The command's id is the requestId: unique per platform, and the NotifyReport parts name it.
    return call201.GetBaseReport(request_id=command.pk, report_base=p["report_base"])


class GetReportForm(ActionForm):
    component_criteria = ListField(
        max_length=20,
        allowed=COMPONENT_CRITERIA,
        required=False,
        help_text=f"Report only components that are: {', '.join(COMPONENT_CRITERIA)} (comma separated).",
    )
    component_variables = VariableListField(
        variable_required=False,
        required=False,
        help_text="One per line: Component[(instance)][@evse[/connector]][.Variable[(instance)]], "
        "e.g. EVSE@1 or OCPPCommCtrlr.HeartbeatInterval.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not cleaned.get("component_criteria") and not cleaned.get("component_variables"):
            # B08: a GetReport without either is a FullInventory; say which action does that.
            self.add_error("component_criteria", "Give criteria or components (for everything use Get base report).")
        for entry in cleaned.get("component_variables") or []:
            if entry.get("attribute_type"):
                self.add_error("component_variables", f"{variable_label(entry)}: a report takes no attribute type.")
        _check_items_limit(self, "component_variables", "GetReport")
        return cleaned


def _get_report_v201(p: dict[str, Any], command) -> Any:
    component_variable = [
        remove_nones({"component": _component(e), "variable": _variable(e) if e.get("variable") else None})
        for e in p.get("component_variables") or []
    ]
    return call201.GetReport(
        request_id=command.pk,
        component_criteria=p.get("component_criteria") or None,
        component_variable=component_variable or None,
    )


def _report_requested(report_base: str | None):
    def finished(command) -> None:
        from stations.device_reports import device_model_report_requested

        if command.status == "accepted":
            device_model_report_requested(
                station=command.station, request_id=command.pk, report_base=report_base or command.parameters.get("report_base", "")
            )

    return finished


def notify_report_received(*, station, payload: dict[str, Any], boot_request_id: int | None):
    """A NotifyReport part: into the device model and its report row (2.0.1 B07/B08).

    The first part of a FullInventory (the one read after boot, or an operator's) replaces what the
    device model held; other reports update the variables they name.
    """
    from commands.models import Command
    from stations.device_reports import device_model_report_part
    from stations.services import parse_ocpp_datetime

    request_id = payload.get("requestId")
    command = (
        Command.objects.filter(station=station, pk=request_id, action__in=("get_base_report", "get_report")).only("action", "parameters").first()
        if isinstance(request_id, int) and 0 < request_id <= 2**63 - 1
        else None
    )
    report_base = ""
    if command is not None:
        report_base = command.parameters.get("report_base", "") if command.action == "get_base_report" else "Custom"
    elif boot_request_id is not None and request_id == boot_request_id:
        report_base = "FullInventory"
    generated_at = payload.get("generatedAt")
    return device_model_report_part(
        station=station,
        request_id=request_id,
        seq_no=payload.get("seqNo"),
        tbc=bool(payload.get("tbc", False)),
        generated_at=parse_ocpp_datetime(generated_at) if generated_at else None,
        report_data=payload.get("reportData") or [],
        replace=report_base == "FullInventory",
        report_base=report_base,
    )


# --- GetConfiguration (1.6 §5.8) ---------------------------------------------------------------------


class GetConfigurationForm(ActionForm):
    keys = ListField(
        max_length=50,
        required=False,
        help_text="Configuration keys, comma separated; empty for every key the station has. "
        "The answer updates the stored configuration keys.",
    )


def _get_configuration_v16(p: dict[str, Any], command) -> Any:
    return call16.GetConfiguration(key=p.get("keys") or None)


def _get_configuration_result(answer: dict[str, Any]) -> str:
    # GetConfiguration.conf has no status: a key the station does not know comes back in unknownKey.
    unknown = answer.get("unknownKey") or [] if isinstance(answer, dict) else []
    return "Accepted" if not unknown else f"{len(unknown)} unknown key{'s' if len(unknown) > 1 else ''}"


def _get_configuration_finished(command) -> None:
    from stations.device_reports import configuration_keys_merge
    from stations.services import station_configuration_store

    if not isinstance(command.answer, dict):
        return
    _redact_answer(command, lambda item: False)
    keys = [
        {"key": k.get("key", ""), "readonly": k.get("readonly", False), "value": "" if k.get("value") == REDACTED else k.get("value", "")}
        for k in command.answer.get("configurationKey") or []
        if k.get("key")
    ]
    if command.parameters.get("keys"):
        configuration_keys_merge(station=command.station, keys=keys)
    else:
        # Every key the station has: what it no longer reports is gone.
        station_configuration_store(station=command.station, keys=keys)


# --- SetNetworkProfile (2.0.1 B09) --------------------------------------------------------------------


class SetNetworkProfileForm(ActionForm):
    configuration_slot = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, help_text="A slot of OCPPCommCtrlr.NetworkConfigurationPriority's valuesList."
    )
    ocpp_csms_url = forms.CharField(
        max_length=512, label="CSMS URL", help_text="ws:// for security profile 1, wss:// for 2 and 3 (the station appends its identity)."
    )
    security_profile = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2"), (3, "3")])
    ocpp_interface = forms.ChoiceField(choices=choices(OCPP_INTERFACES, blank="Wired0 (default)"), required=False)
    message_timeout = forms.IntegerField(
        min_value=1, max_value=3600, required=False, help_text="Seconds; empty for the platform's call timeout."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        url, profile = cleaned.get("ocpp_csms_url") or "", cleaned.get("security_profile")
        if url and not re.match(r"^wss?://[^\s/]+", url):
            self.add_error("ocpp_csms_url", "A websocket URL: ws://host/path or wss://host/path.")
        elif url and profile is not None:
            # 2.0.1 A00.FR.2xx: profiles 2 and 3 run over TLS, profile 1 without.
            if profile >= 2 and not url.startswith("wss://"):
                self.add_error("ocpp_csms_url", f"Security profile {profile} connects with TLS: use a wss:// URL.")
            if profile == 1 and not url.startswith("ws://"):
                self.add_error("ocpp_csms_url", "Security profile 1 connects without TLS: use a ws:// URL.")
        minimum = getattr(self.station, "security_profile", None)
        if profile is not None and minimum is not None and profile < minimum:
            # A lower profile would leave the station unable to connect: the platform refuses it (A05.FR.07).
            self.add_error("security_profile", f"This station may not connect below security profile {minimum}.")
        return cleaned


def _set_network_profile_v201(p: dict[str, Any], command) -> Any:
    return call201.SetNetworkProfile(
        configuration_slot=p["configuration_slot"],
        connection_data={
            "ocpp_version": "OCPP20",
            "ocpp_transport": "JSON",
            "ocpp_csms_url": p["ocpp_csms_url"],
            "message_timeout": p.get("message_timeout") or settings.OCPP_CALL_TIMEOUT,
            "security_profile": p["security_profile"],
            "ocpp_interface": p.get("ocpp_interface") or "Wired0",
        },
    )


# --- ExtendedTriggerMessage (1.6 Security Whitepaper §5.7 / F06) ------------------------------------


class ExtendedTriggerMessageForm(ActionForm):
    requested_message = forms.ChoiceField(choices=choices(EXTENDED_TRIGGERS_V16))
    connector_id = forms.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, label="connector id", help_text="For MeterValues and StatusNotification."
    )


def _extended_trigger_v16(p: dict[str, Any], command) -> Any:
    return call16.ExtendedTriggerMessage(requested_message=p["requested_message"], connector_id=p.get("connector_id"))


# --- DataTransfer (1.6 §5.6, 2.0.1 P01) ----------------------------------------------------------------


class DataTransferForm(ActionForm):
    # 1.6 CiString255 / 2.0.1 string(255); messageId CiString50 / string(50).
    vendor_id = forms.CharField(max_length=255, label="vendor id")
    message_id = forms.CharField(max_length=50, required=False, label="message id")
    data = forms.CharField(
        required=False,
        strip=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Sent as text; the station's answer (status and data) is shown with the command.",
    )


def _data_transfer(module):
    def build(p: dict[str, Any], command) -> Any:
        return module.DataTransfer(vendor_id=p["vendor_id"], message_id=p.get("message_id") or None, data=p.get("data") or None)

    return build


def register() -> None:
    def action(name, label, description, form, build, **extra):
        registry.register(
            registry.RemoteAction(
                name=name, label=label, description=description, form=form,
                build={version: _with_command(builder) for version, builder in build.items()}, **extra,
            )
        )

    action(
        "get_variables", "Get variables", "Read device model variables (several in one request); the values are stored.",
        GetVariablesForm, {V201: _get_variables_v201},
        result=_per_variable_result("getVariableResult"), accepting=frozenset({"Accepted"}), on_final=_get_variables_finished,
    )
    action(
        "set_variables", "Set variables", "Write several device model variables in one request.",
        SetVariablesForm, {V201: _set_variables_v201},
        result=_per_variable_result("setVariableResult"), accepting=frozenset({"Accepted", "RebootRequired"}),
        on_final=_set_variables_finished,
    )
    action(
        "get_base_report", "Get base report", "Ask for a base report; it arrives in NotifyReport parts and fills the device model.",
        GetBaseReportForm, {V201: _get_base_report_v201},
        accepting=frozenset({"Accepted"}), on_final=_report_requested(None),
    )
    action(
        "get_report", "Get report", "Ask for a report on components matching criteria or on named components and variables.",
        GetReportForm, {V201: _get_report_v201},
        accepting=frozenset({"Accepted"}), on_final=_report_requested("Custom"),
    )
    action(
        "get_configuration", "Get configuration", "Read every configuration key, or the named ones; the values are stored.",
        GetConfigurationForm, {V16: _get_configuration_v16},
        result=_get_configuration_result, accepting=frozenset({"Accepted"}), on_final=_get_configuration_finished,
    )
    action(
        "set_network_profile", "Set network profile", "Store a connection profile in one of the station's configuration slots.",
        SetNetworkProfileForm, {V201: _set_network_profile_v201}, accepting=frozenset({"Accepted"}),
    )
    action(
        "extended_trigger_message", "Extended trigger message",
        "Ask the station to send a message now, including certificate signing and log status (1.6 security extension).",
        ExtendedTriggerMessageForm, {V16: _extended_trigger_v16}, accepting=frozenset({"Accepted"}),
    )
    action(
        "data_transfer", "Data transfer", "Send vendor-specific data; the station's answer and data are shown.",
        DataTransferForm, {V16: _data_transfer(call16), V201: _data_transfer(call201)}, accepting=frozenset({"Accepted"}),
    )
