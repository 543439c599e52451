"""Keep secrets out of the message log.

The log stores every frame as sent; some carry a secret: a password rotation's frame (1.6
ChangeConfiguration AuthorizationKey in hex, 2.0.1 SetVariables SecurityCtrlr.BasicAuthPassword), and
a station that reports one back (GetConfiguration.conf, GetVariablesResponse, NotifyReport with a
WriteOnly attribute). Which values are secret is the stations app's rule
(``stations.configuration.configuration_value_is_secret``); the log keeps that a value was there,
not the value.
"""
from __future__ import annotations

from typing import Any

from stations.configuration import configuration_value_is_secret

REDACTED = "<redacted>"


def redact_secrets(action: str, payload: Any) -> Any:
    """``payload`` of a frame of ``action`` (request or response), with every secret value redacted."""
    if not isinstance(payload, dict):
        return payload
    if action == "ChangeConfiguration" and _secret_key(payload):
        return {**payload, "value": REDACTED} if "value" in payload else payload
    if action == "GetConfiguration" and isinstance(payload.get("configurationKey"), list):
        return _redact_list(payload, "configurationKey", _secret_key, "value")
    if action == "SetVariables" and isinstance(payload.get("setVariableData"), list):
        return _redact_list(payload, "setVariableData", _secret_variable, "attributeValue")
    if action == "GetVariables" and isinstance(payload.get("getVariableResult"), list):
        return _redact_list(payload, "getVariableResult", _secret_variable, "attributeValue")
    if action == "NotifyReport" and isinstance(payload.get("reportData"), list):
        return {**payload, "reportData": [_redact_report(item) for item in payload["reportData"]]}
    return payload


def _secret_key(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("key"), str) and configuration_value_is_secret(key=item["key"])


def _names(item: dict) -> tuple[str, str]:
    component = item.get("component") if isinstance(item.get("component"), dict) else {}
    variable = item.get("variable") if isinstance(item.get("variable"), dict) else {}
    return str(component.get("name") or ""), str(variable.get("name") or "")


def _secret_variable(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    component, variable = _names(item)
    return configuration_value_is_secret(component=component, variable=variable)


def _redact_list(payload: dict, field: str, is_secret, value_field: str) -> dict:
    items = payload[field]
    if not any(is_secret(item) for item in items):
        return payload
    return {
        **payload,
        field: [{**item, value_field: REDACTED} if is_secret(item) and value_field in item else item for item in items],
    }


def _redact_report(item: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("variableAttribute"), list):
        return item
    component, variable = _names(item)
    by_name = configuration_value_is_secret(component=component, variable=variable)
    attributes = [
        {**attribute, "value": REDACTED}
        if isinstance(attribute, dict) and "value" in attribute
        and (by_name or configuration_value_is_secret(component=component, variable=variable, mutability=str(attribute.get("mutability") or "")))
        else attribute
        for attribute in item["variableAttribute"]
    ]
    return {**item, "variableAttribute": attributes}
