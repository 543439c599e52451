"""Security remote actions carried by the commands framework (Command rows, Celery, the consumer).

``certificates.actions`` registers every ``security_*`` action with ``security_call`` as its builder
and ``certificates.security_commands.security_command_finished`` as its listener. Payload limits follow the
OCA schemas (the library validates each request before sending).
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

# The password travels sealed (commands.secrets: "sealed" is a secret parameter of PASSWORD).
from commands.secrets import seal, unseal  # noqa: F401  (seal is re-exported for callers and tests)
from stations.models import OcppVersion, password_hex

INSTALL_CA = "security_install_ca"
CERTIFICATE_IDS = "security_certificate_ids"
DELETE_CERTIFICATE = "security_delete_certificate"
NETWORK_PROFILE = "security_network_profile"
GET_PRIORITY = "security_get_priority"
PASSWORD = "security_password"
TRIGGER_CSR = "security_trigger_csr"
ACTIONS = {INSTALL_CA, CERTIFICATE_IDS, DELETE_CERTIFICATE, NETWORK_PROFILE, GET_PRIORITY, PASSWORD, TRIGGER_CSR}

# 1.6 Security Whitepaper CertificateUseEnumType vs 2.0.1 InstallCertificateUseEnumType.
CA_TYPE = {OcppVersion.V16: "CentralSystemRootCertificate", OcppVersion.V201: "CSMSRootCertificate"}


def security_call(command, *, version: str):
    """The ``ocpp`` library request for a ``security_*`` command, built at send time."""
    from certificates.authority import ca_certificate_pem

    action, p = command.action, command.parameters
    v16 = version == OcppVersion.V16
    if version not in (OcppVersion.V16, OcppVersion.V201):
        raise ValueError(f"Unsupported OCPP version {version!r}.")
    if action == INSTALL_CA:
        # The PEM is read now, not stored in the command: the CA the platform serves today.
        pem = ca_certificate_pem()
        mod = call16 if v16 else call201
        return mod.InstallCertificate(certificate_type=CA_TYPE[version], certificate=pem)
    if action == CERTIFICATE_IDS:
        if v16:
            return call16.GetInstalledCertificateIds(certificate_type=p.get("certificate_type") or CA_TYPE[version])
        types = p.get("certificate_types")
        return call201.GetInstalledCertificateIds(certificate_type=types or None)
    if action == DELETE_CERTIFICATE:
        mod = call16 if v16 else call201
        return mod.DeleteCertificate(certificate_hash_data=_snake(p["certificate_hash_data"]))
    if action == PASSWORD:
        # Built without the database (this runs on the consumer's event loop): the command carries
        # the new password sealed, and the outcome hook wipes it once the station answered.
        if not p.get("sealed"):
            raise ValueError("This password rotation is no longer pending.")
        password = unseal(p["sealed"])
        if v16:
            # 1.6 Security Whitepaper §3: AuthorizationKey takes the hex form.
            return call16.ChangeConfiguration(key="AuthorizationKey", value=password_hex(password))
        return call201.SetVariables(
            set_variable_data=[
                {
                    "attribute_value": password,
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                }
            ]
        )
    if action == TRIGGER_CSR:
        if v16:
            return call16.ExtendedTriggerMessage(requested_message="SignChargePointCertificate")
        return call201.TriggerMessage(requested_message="SignChargingStationCertificate")
    if v16:
        raise ValueError(f"{action} exists only in OCPP 2.0.1.")
    if action == GET_PRIORITY:
        return call201.GetVariables(
            get_variable_data=[
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}
            ]
        )
    if action == NETWORK_PROFILE:
        return call201.SetNetworkProfile(
            configuration_slot=p["slot"],
            connection_data={
                "ocpp_version": "OCPP20",
                "ocpp_transport": "JSON",
                "ocpp_csms_url": p["url"],
                "message_timeout": settings.OCPP_CALL_TIMEOUT,
                "security_profile": p["security_profile"],
                "ocpp_interface": p.get("interface") or "Wired0",
            },
        )
    raise ValueError(f"Unknown security action {action!r}.")


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    names = {
        "hashAlgorithm": "hash_algorithm",
        "issuerNameHash": "issuer_name_hash",
        "issuerKeyHash": "issuer_key_hash",
        "serialNumber": "serial_number",
    }
    return {names.get(k, k): v for k, v in data.items()}
