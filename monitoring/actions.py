"""The OCPP 2.0.1 N-block remote actions: variable monitoring (N02-N06) and customer information
(N09/N10), registered with ``commands.registry`` from ``MonitoringConfig.ready()``.

Every one exists in OCPP 2.0.1 only. The requestId of GetMonitoringReport and CustomerInformation is
the Command's id, so the station's Notify… parts find the operator's request.
"""
from __future__ import annotations

import math
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from ocpp.charge_point import remove_nones
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V201, ActionForm, choices
from monitoring.models import MONITOR_TYPES, MONITORING_BASES, MONITORING_CRITERIA
from monitoring.references import (
    REFERENCE_HELP,
    ComponentVariableListField,
    ItemListField,
    component_ocpp,
    reference_clean,
    reference_parse,
    reference_text,
    variable_ocpp,
)

ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"]
HASH_ALGORITHMS = ["SHA256", "SHA384", "SHA512"]
MAX_MONITOR_ID = 2**31 - 1
# A monitor's value is a decimal the station compares its variable with; beyond 1e12 no physical
# quantity of a station lies (stations.bounds), and the 2.0.1 schema gives no bound of its own.
MAX_MONITOR_VALUE = 1e12


# --- SetVariableMonitoring (N04) ------------------------------------------------------------------


class MonitorListField(ItemListField):
    """Monitors: ``<reference> <type> <value> [severity=N] [transaction] [id=N]`` per line, or objects
    ``{component…, variable…, "type", "value", "severity", "transaction", "id"}``."""

    def parse_line(self, line: str) -> dict[str, Any]:
        words = line.split()
        if len(words) < 3:
            raise ValidationError(f"Write: {REFERENCE_HELP} <type> <value> [severity=N] [transaction] [id=N].")
        item: dict[str, Any] = {**reference_parse(words[0]), "type": words[1], "value": words[2]}
        for word in words[3:]:
            key, sep, value = word.partition("=")
            if word == "transaction":
                item["transaction"] = True
            elif sep and key in ("severity", "id"):
                item[key] = value
            else:
                raise ValidationError(f"Unknown option {word!r}: severity=N, transaction or id=N.")
        return self.clean_item(item)

    def clean_item(self, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise ValidationError("Each monitor is an object.")
        monitor_fields = {"type", "value", "severity", "transaction", "id"}
        reference = reference_clean({k: v for k, v in item.items() if k not in monitor_fields})
        if item.get("type") not in MONITOR_TYPES:
            raise ValidationError(f"type must be one of {', '.join(MONITOR_TYPES)}.")
        try:
            value = float(item.get("value"))
        except (TypeError, ValueError):
            raise ValidationError("value must be a number.") from None
        if not math.isfinite(value) or abs(value) > MAX_MONITOR_VALUE:
            raise ValidationError(f"value must be a finite number within ±{MAX_MONITOR_VALUE:g}.")
        severity = _whole(item.get("severity", 8), "severity", 0, 9)
        transaction = item.get("transaction", False)
        if not isinstance(transaction, bool):
            raise ValidationError("transaction is true or false.")
        monitor = {**reference, "type": item["type"], "value": int(value) if value.is_integer() else value, "severity": severity}
        if transaction:
            monitor["transaction"] = True
        if item.get("id") not in (None, ""):
            monitor["id"] = _whole(item["id"], "id", 0, MAX_MONITOR_ID)
        return monitor

    def line_text(self, item: Any) -> str:
        extra = f" severity={item['severity']}" + (" transaction" if item.get("transaction") else "")
        extra += f" id={item['id']}" if item.get("id") is not None else ""
        return f"{reference_text(item)} {item['type']} {item['value']}{extra}"


def _whole(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a whole number.") from None
    if isinstance(value, float) and not value.is_integer() or not low <= number <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}.")
    return number


class ChunkedForm(ActionForm):
    """Sends at most the station's MonitoringCtrlr.ItemsPerMessage[<message>] items per request (N06.FR.04):
    the rest follows in further commands, each sent once the previous one is answered."""

    message = ""
    list_field = ""

    def parameters(self) -> dict[str, Any]:
        from monitoring.selectors import items_per_message

        parameters = super().parameters()
        limit = items_per_message(station=self.station, message=self.message)
        if limit is not None and len(parameters[self.list_field]) > limit:
            parameters["items_per_message"] = limit
        return parameters


class SetVariableMonitoringForm(ChunkedForm):
    message, list_field = "SetVariableMonitoring", "monitors"
    monitors = MonitorListField(
        help_text=(
            "One monitor per line: <Component[@evse].Variable> <UpperThreshold|LowerThreshold|Delta|Periodic|"
            "PeriodicClockAligned> <value> [severity=0-9, default 8] [transaction] [id=N to replace a monitor]; "
            "e.g. EVSE@1.AvailabilityState Delta 1 severity=8. The API also takes a list of objects."
        ),
    )


def _set_monitoring_data(monitor: dict[str, Any]) -> dict[str, Any]:
    return remove_nones(
        {
            "id": monitor.get("id"),
            "transaction": monitor.get("transaction") or None,
            "value": monitor["value"],
            "type": monitor["type"],
            "severity": monitor["severity"],
            "component": component_ocpp(monitor),
            "variable": variable_ocpp(monitor),
        }
    )


def _chunk(parameters: dict[str, Any], field: str) -> list[Any]:
    items = parameters[field]
    limit = parameters.get("items_per_message")
    return items[:limit] if limit else items


def _set_variable_monitoring(command) -> call201.SetVariableMonitoring:
    return call201.SetVariableMonitoring(set_monitoring_data=[_set_monitoring_data(m) for m in _chunk(command.parameters, "monitors")])


def _all_results(field: str):
    """A word for a per-item answer: the status when every item has the same, else 'n of m Accepted'."""

    def read(answer: dict[str, Any]) -> str:
        results = answer.get(field) if isinstance(answer, dict) else None
        if not isinstance(results, list) or not results:
            return ""
        statuses = [str(r.get("status", "")) for r in results if isinstance(r, dict)]
        if len(set(statuses)) == 1:
            return statuses[0]
        return f"{statuses.count('Accepted')} of {len(statuses)} Accepted"

    return read


def _send_rest(command, field: str) -> None:
    """The items past this command's chunk go in a new command once the station answered this one."""
    from commands.models import CommandStatus
    from commands.services import command_create

    limit = command.parameters.get("items_per_message")
    items = command.parameters.get(field) or []
    if not limit or len(items) <= limit or command.status not in (CommandStatus.ACCEPTED, CommandStatus.REJECTED):
        return
    command_create(
        station=command.station,
        action=command.action,
        parameters={**command.parameters, field: items[limit:]},
        requested_by=command.requested_by,
    )


def _set_variable_monitoring_finished(command) -> None:
    from monitoring.services import monitors_set_answered

    monitors_set_answered(command=command)
    _send_rest(command, "monitors")


# --- ClearVariableMonitoring (N06) -----------------------------------------------------------------


class MonitorIdListField(ItemListField):
    def to_python(self, value: Any) -> list[Any]:
        if isinstance(value, str) and not value.strip().startswith("["):
            value = [word for word in value.replace(",", " ").split()]
        return super().to_python(value)

    def parse_line(self, line: str) -> int:
        return _whole(line, "id", 0, MAX_MONITOR_ID)

    def clean_item(self, item: Any) -> int:
        if isinstance(item, bool):
            raise ValidationError("id must be a whole number.")
        return _whole(item, "id", 0, MAX_MONITOR_ID)

    def line_text(self, item: Any) -> str:
        return str(item)


class ClearVariableMonitoringForm(ChunkedForm):
    message, list_field = "ClearVariableMonitoring", "ids"
    ids = MonitorIdListField(max_items=1000, help_text="The station's monitor ids, separated by commas or spaces.")

    def parameters(self) -> dict[str, Any]:
        from monitoring.selectors import items_per_message

        parameters = super().parameters()
        if len(parameters["ids"]) > 1 and items_per_message(station=self.station, message=self.message) is None:
            # N06.FR.04 (TC_N_18): how many ids the station takes is read first (GetVariables), when the
            # device model did not say (a network that does not read it after boot).
            parameters["read_limit"] = True
        return parameters


ITEMS_PER_CLEAR = {
    "component": {"name": "MonitoringCtrlr"},
    "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"},
}


def _clear_variable_monitoring(command) -> call201.ClearVariableMonitoring | call201.GetVariables:
    if command.parameters.get("read_limit"):
        return call201.GetVariables(get_variable_data=[ITEMS_PER_CLEAR])
    return call201.ClearVariableMonitoring(id=_chunk(command.parameters, "ids"))


def _clear_result(answer: dict[str, Any]) -> str:
    if isinstance(answer, dict) and "getVariableResult" in answer:
        # The limit read before the clear: GetVariables' own status.
        results = answer["getVariableResult"]
        return str(results[0].get("attributeStatus", "")) if results else ""
    return _all_results("clearMonitoringResult")(answer)


def _clear_variable_monitoring_finished(command) -> None:
    from monitoring.services import monitoring_limit_read, monitors_clear_answered

    if command.parameters.get("read_limit"):
        monitoring_limit_read(command=command)
        return
    monitors_clear_answered(command=command)
    _send_rest(command, "ids")


# --- SetMonitoringBase (N03), SetMonitoringLevel (N05) ------------------------------------------------


class SetMonitoringBaseForm(ActionForm):
    monitoring_base = forms.ChoiceField(
        choices=choices(MONITORING_BASES),
        help_text="All: pre-configured and custom monitors; FactoryDefault: the factory's (custom ones removed); "
        "HardWiredOnly: only the hard-wired ones.",
    )


class SetMonitoringLevelForm(ActionForm):
    severity = forms.IntegerField(
        min_value=0, max_value=9, help_text="Report events of this severity and more severe: 0 Danger … 9 Debug."
    )


def _monitoring_setting_finished(command) -> None:
    from monitoring.services import monitoring_settings_answered

    monitoring_settings_answered(command=command)


# --- GetMonitoringReport (N02) ------------------------------------------------------------------------


class CommaSeparatedMultipleChoiceField(forms.MultipleChoiceField):
    """Several choices as a list (API, checkboxes) or as one comma-separated text (`station_action -p`)."""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return super().to_python(value)


class GetMonitoringReportForm(ActionForm):
    monitoring_criteria = CommaSeparatedMultipleChoiceField(
        choices=choices(MONITORING_CRITERIA),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only monitors of these kinds; none for every kind.",
    )
    component_variables = ComponentVariableListField(
        required=False,
        variable_required=False,
        help_text=f"Only monitors on these variables, one per line: {REFERENCE_HELP} (a component alone: all its variables). Empty for all.",
    )


def _get_monitoring_report(command) -> call201.GetMonitoringReport:
    p = command.parameters
    component_variable = [
        remove_nones({"component": component_ocpp(item), "variable": variable_ocpp(item) if item.get("variable") else None})
        for item in p.get("component_variables") or []
    ]
    return call201.GetMonitoringReport(
        request_id=command.pk,
        monitoring_criteria=p.get("monitoring_criteria") or None,
        component_variable=component_variable or None,
    )


# --- CustomerInformation (N09, N10) -------------------------------------------------------------------


class CustomerInformationForm(ActionForm):
    report = forms.BooleanField(required=False, help_text="Ask the station to report what it holds about the customer.")
    clear = forms.BooleanField(required=False, help_text="Ask the station to delete what it holds about the customer.")
    id_token = forms.CharField(max_length=36, required=False, label="id token", help_text="The customer's id token…")
    id_token_type = forms.ChoiceField(choices=choices(ID_TOKEN_TYPES, blank="—"), required=False, label="id token type")
    customer_identifier = forms.CharField(max_length=64, required=False, help_text="…or a customer identifier…")
    hash_algorithm = forms.ChoiceField(
        choices=choices(HASH_ALGORITHMS, blank="—"), required=False, help_text="…or the customer's certificate (hash data)."
    )
    issuer_name_hash = forms.CharField(max_length=128, required=False)
    issuer_key_hash = forms.CharField(max_length=128, required=False)
    serial_number = forms.CharField(max_length=40, required=False)
    forget_id_token = forms.BooleanField(
        required=False,
        label="remove the id token",
        help_text="With clear and an id token: delete the token from the network's allow-list and send the change to "
        "the local lists of the network's stations once the station has reported (N10.FR.02).",
    )

    CERTIFICATE_FIELDS = ("hash_algorithm", "issuer_name_hash", "issuer_key_hash", "serial_number")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("report") and not cleaned.get("clear"):
            self.add_error("report", "Ask for a report, a clear, or both.")
        given = {
            "id token": bool(cleaned.get("id_token") or cleaned.get("id_token_type")),
            "customer identifier": bool(cleaned.get("customer_identifier")),
            "certificate": any(cleaned.get(f) for f in self.CERTIFICATE_FIELDS),
        }
        # N10.FR.08 (and N09): the request names the customer by exactly one of the three.
        if sum(given.values()) != 1:
            self.add_error(None, "Name the customer by exactly one of: an id token (with its type), a customer identifier, or a certificate's hash data.")
        elif given["id token"]:
            for name in ("id_token", "id_token_type"):
                if not cleaned.get(name):
                    self.add_error(name, "An id token needs its value and its type.")
        elif given["certificate"]:
            for name in self.CERTIFICATE_FIELDS:
                if not cleaned.get(name):
                    self.add_error(name, "A certificate is named by all four hash fields.")
        if cleaned.get("forget_id_token"):
            self._check_forget(cleaned)
        return cleaned

    def _check_forget(self, cleaned: dict[str, Any]) -> None:
        from monitoring.services import customer_token_removal_refusal

        if not cleaned.get("clear") or not cleaned.get("id_token"):
            self.add_error("forget_id_token", "Only a clear of an id token's customer information removes the token.")
            return
        refusal = customer_token_removal_refusal(station=self.station, token=cleaned["id_token"])
        if refusal:
            self.add_error("forget_id_token", refusal)

    def parameters(self) -> dict[str, Any]:
        # report and clear are required booleans in the request: keep false too.
        parameters = {**super().parameters(), "report": bool(self.cleaned_data.get("report")), "clear": bool(self.cleaned_data.get("clear"))}
        if not parameters.get("forget_id_token"):
            parameters.pop("forget_id_token", None)
        return parameters


def _customer_information(command) -> call201.CustomerInformation:
    p = command.parameters
    id_token = {"id_token": p["id_token"], "type": p["id_token_type"]} if p.get("id_token_type") else None
    certificate = None
    if p.get("hash_algorithm"):
        certificate = {
            "hash_algorithm": p["hash_algorithm"],
            "issuer_name_hash": p["issuer_name_hash"],
            "issuer_key_hash": p["issuer_key_hash"],
            "serial_number": p["serial_number"],
        }
    if not (id_token or certificate or p.get("customer_identifier")):
        raise ValueError("CustomerInformation names the customer by an id token, a customer identifier or a certificate.")
    return call201.CustomerInformation(
        request_id=command.pk,
        report=bool(p.get("report")),
        clear=bool(p.get("clear")),
        customer_certificate=certificate,
        id_token=id_token,
        customer_identifier=p.get("customer_identifier") or None,
    )


def register() -> None:
    actions = [
        registry.RemoteAction(
            name="get_monitoring_report",
            label="Get monitoring report",
            description="Ask for the station's monitors (all, or by kind and variable); the report arrives in NotifyMonitoringReport.",
            form=GetMonitoringReportForm,
            build={V201: _get_monitoring_report},
            # EmptyResultSet: the station answered, it has no such monitors.
            accepting=frozenset({"Accepted", "EmptyResultSet"}),
        ),
        registry.RemoteAction(
            name="set_variable_monitoring",
            label="Set variable monitoring",
            description="Add or replace monitors on device model variables.",
            form=SetVariableMonitoringForm,
            build={V201: _set_variable_monitoring},
            result=_all_results("setMonitoringResult"),
            accepting=frozenset({"Accepted"}),
            on_final=_set_variable_monitoring_finished,
        ),
        registry.RemoteAction(
            name="clear_variable_monitoring",
            label="Clear variable monitoring",
            description="Remove monitors by their ids.",
            form=ClearVariableMonitoringForm,
            build={V201: _clear_variable_monitoring},
            result=_clear_result,
            accepting=frozenset({"Accepted"}),
            on_final=_clear_variable_monitoring_finished,
        ),
        registry.RemoteAction(
            name="set_monitoring_base",
            label="Set monitoring base",
            description="Choose which monitors are active: all, the factory's, or only the hard-wired ones.",
            form=SetMonitoringBaseForm,
            build={V201: lambda command: call201.SetMonitoringBase(monitoring_base=command.parameters["monitoring_base"])},
            accepting=frozenset({"Accepted"}),
            on_final=_monitoring_setting_finished,
        ),
        registry.RemoteAction(
            name="set_monitoring_level",
            label="Set monitoring level",
            description="Report only events of this severity or more severe.",
            form=SetMonitoringLevelForm,
            build={V201: lambda command: call201.SetMonitoringLevel(severity=command.parameters["severity"])},
            accepting=frozenset({"Accepted"}),
            on_final=_monitoring_setting_finished,
        ),
        registry.RemoteAction(
            name="customer_information",
            label="Customer information",
            description="Ask the station for, or to delete, what it holds about one customer; the report arrives in NotifyCustomerInformation.",
            form=CustomerInformationForm,
            build={V201: _customer_information},
            accepting=frozenset({"Accepted"}),
        ),
    ]
    for action in actions:
        registry.register(action)
