"""Rules for writing a station's configuration (1.6 configuration keys, 2.0.1 device model variables).

Stations owns the configuration it stores, so the rules of what an operator may write live here and
every surface asks them: the change-configuration action's form (admin, API, console, station_action)
refuses, the console and the admin only hide the edit link.
"""
from __future__ import annotations

from typing import Any

from stations.models import ConfigurationKey, DeviceModelVariable, Station

ROTATE = "Use the station's password rotation (Security → Rotate password) instead."
UPGRADE = "Use the security-profile upgrade instead (it installs the CA and switches the station safely)."

#: OCPP 1.6 keys (CiString, compared case-insensitively) that are not plain configuration.
#: AuthorizationKey is the Basic-auth password (1.6 Security Whitepaper §3): written as plain
#: configuration the station takes it, the platform keeps the old hash and the next login is refused.
#: SecurityProfile moves the station to a profile the platform has not prepared (Whitepaper §2.4).
PROTECTED_KEYS_V16 = {"authorizationkey": ROTATE, "securityprofile": UPGRADE}
#: OCPP 2.0.1 (component, variable): BasicAuthPassword (A01); SecurityProfile (ReadOnly in the
#: standard device model: a 2.0.1 station changes profile through SetNetworkProfile, A05).
PROTECTED_VARIABLES_V201 = {("securityctrlr", "basicauthpassword"): ROTATE, ("securityctrlr", "securityprofile"): UPGRADE}
WRITE_ONLY = "WriteOnly"
#: Values that are secrets: the platform never stores, logs or shows them (1.6 Security Whitepaper §3:
#: AuthorizationKey is write-only; 2.0.1 A01: BasicAuthPassword, and any WriteOnly attribute).
SECRET_KEYS_V16 = {"authorizationkey"}
SECRET_VARIABLES_V201 = {("securityctrlr", "basicauthpassword")}


def configuration_value_is_secret(*, key: str = "", component: str = "", variable: str = "", mutability: str = "") -> bool:
    """Whether a configuration value must never be stored, logged or shown in clear."""
    if key:
        return key.strip().casefold() in SECRET_KEYS_V16
    return mutability == WRITE_ONLY or ((component or "").casefold(), (variable or "").casefold()) in SECRET_VARIABLES_V201


def configuration_key_protected_reason(*, key: str) -> str:
    """Why an OCPP 1.6 key cannot be written as plain configuration, or ""."""
    reason = PROTECTED_KEYS_V16.get((key or "").strip().casefold())
    return f"{key} is a security setting, not plain configuration. {reason}" if reason else ""


def device_model_variable_protected_reason(*, component: str, variable: str, mutability: str = "") -> str:
    """Why a 2.0.1 variable cannot be written as plain configuration, or ""."""
    reason = PROTECTED_VARIABLES_V201.get(((component or "").casefold(), (variable or "").casefold()))
    if reason:
        return f"{component}.{variable} is a security setting, not plain configuration. {reason}"
    if mutability == WRITE_ONLY:
        # A write-only value is a secret (2.0.1 Part 2 §4.2, mutability WriteOnly): the command record
        # would hold it in clear, and the platform could never show what it set.
        return f"{component}.{variable} is write-only on this station (a secret): the platform does not send secrets as configuration."
    return ""


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


def configuration_write_refusal(*, station: Station, parameters: dict[str, Any]) -> tuple[str, str] | None:
    """(field, reason) when ``parameters`` (a change-configuration request) may not be written, else None.

    Read-only entries, security settings (passwords, the security profile) and write-only values
    are refused. Works on the cleaned parameters of either version.
    """
    if parameters.get("key"):
        reason = configuration_key_protected_reason(key=parameters["key"])
        if reason:
            return "key", reason
        stored = ConfigurationKey.objects.filter(station=station, key=parameters["key"]).first()
        if stored is not None and stored.readonly:
            return "key", f"{stored.key} is read-only on this station."
        return None
    if not (parameters.get("component") and parameters.get("variable")):
        return None
    stored = device_model_variable_lookup(station=station, parameters=parameters)
    if stored is not None and stored.mutability == "ReadOnly":
        return "variable", f"{stored.component}.{stored.variable} is read-only on this station."
    reason = device_model_variable_protected_reason(
        component=parameters["component"], variable=parameters["variable"], mutability=stored.mutability if stored else ""
    )
    if reason:
        return "variable", reason
    # Another attribute of a write-only variable (e.g. Target) is as secret as its Actual value.
    if DeviceModelVariable.objects.filter(
        station=station, component=parameters["component"], variable=parameters["variable"], mutability=WRITE_ONLY
    ).exists():
        return "variable", device_model_variable_protected_reason(
            component=parameters["component"], variable=parameters["variable"], mutability=WRITE_ONLY
        )
    return None


def configuration_entry_writable(*, key: str = "", component: str = "", variable: str = "", readonly: bool = False, mutability: str = "") -> bool:
    """Whether the console and the admin offer an edit for a stored entry (display only; the form enforces)."""
    if key:
        return not readonly and not configuration_key_protected_reason(key=key)
    return mutability != "ReadOnly" and not device_model_variable_protected_reason(
        component=component, variable=variable, mutability=mutability
    )


def configuration_store(*, station: Station, parameters: dict[str, Any]) -> None:
    """The station accepted a new value (Accepted or RebootRequired): the stored copy follows."""
    value = parameters.get("value", "")
    if parameters.get("key"):
        ConfigurationKey.objects.update_or_create(station=station, key=parameters["key"], defaults={"value": value})
        return
    lookup = {
        "station": station,
        "component": parameters["component"],
        "component_instance": parameters.get("component_instance") or "",
        "evse_id": parameters.get("evse_id"),
        "connector_id": parameters.get("connector_id"),
        "variable": parameters["variable"],
        "variable_instance": parameters.get("variable_instance") or "",
        "attribute_type": parameters.get("attribute_type") or "Actual",
    }
    if not DeviceModelVariable.objects.filter(**lookup).update(value=value):
        DeviceModelVariable.objects.create(**lookup, value=value)

