"""The security remote actions (OCPP 2.0.1 A01-A05, M03-M05; 1.6 Security Whitepaper), registered with
``commands.registry`` from ``CertificatesConfig.ready()``.

None has an operator form: they are sent by this app's services (password rotation, certificate
pages, the security-profile upgrade), which check their own preconditions first.
"""
from __future__ import annotations

from typing import Any

from certificates import remote
from commands import registry
from stations.models import OcppVersion

V16, V201 = OcppVersion.V16.value, OcppVersion.V201.value

_ACTIONS = [
    # name, label, versions
    (remote.INSTALL_CA, "Install the platform CA", (V16, V201)),
    (remote.CERTIFICATE_IDS, "Read installed certificates", (V16, V201)),
    (remote.DELETE_CERTIFICATE, "Delete a certificate", (V16, V201)),
    (remote.PASSWORD, "Rotate the station password", (V16, V201)),
    (remote.TRIGGER_CSR, "Ask for a client certificate", (V16, V201)),
    (remote.GET_PRIORITY, "Read the network configuration priority", (V201,)),
    (remote.NETWORK_PROFILE, "Set a network profile", (V201,)),
]


def _per_variable(field: str):
    """2.0.1 Get/SetVariables answer per variable (the request carries one); 1.6 answers with status."""

    def read(answer: dict[str, Any]) -> str:
        results = answer.get(field)
        if isinstance(results, list):
            return str(results[0].get("attributeStatus", "")) if results else ""
        return registry.status_word(answer)

    return read


READERS = {remote.PASSWORD: _per_variable("setVariableResult"), remote.GET_PRIORITY: _per_variable("getVariableResult")}


def _builder(version: str):
    return lambda command: remote.security_call(command, version=version)


def _finished(command) -> None:
    from certificates.security_commands import security_command_finished

    security_command_finished(command)


def _upgrade_step_finished(command) -> None:
    from certificates.upgrades import upgrade_command_finished

    upgrade_command_finished(command=command)


def register() -> None:
    for name, label, versions in _ACTIONS:
        extra: dict[str, Any] = {"result": READERS[name]} if name in READERS else {}
        if name == remote.PASSWORD:
            # The new password, sealed at rest and dropped once the station answered.
            extra["secret_parameters"] = ("sealed",)
        registry.register(
            registry.RemoteAction(
                name=name,
                label=label,
                form=None,
                build={version: _builder(version) for version in versions},
                on_final=_finished,
                **extra,
            )
        )
    _register_operator_actions()
    # Any command can be an upgrade step (resets and configuration changes too): the step's command
    # names this listener (certificates.upgrades.UPGRADE_LISTENER).
    registry.register_listener("certificates.upgrade_step", _upgrade_step_finished)


def _register_operator_actions() -> None:
    from certificates import operator_actions as ops

    def per_version(build):
        return {version: (lambda command, version=version: build(command, version=version)) for version in (V16, V201)}

    for name, label, form, build, description in [
        (ops.INSTALL_CERTIFICATE, "Install a root certificate", ops.InstallCertificateForm, ops.install_certificate_call,
         "InstallCertificate: a CSMS, Manufacturer, V2G or MO root certificate (1.6: Central System or Manufacturer) from a PEM."),
        (ops.GET_INSTALLED_CERTIFICATE_IDS, "List installed certificates", ops.GetInstalledCertificateIdsForm,
         ops.get_installed_certificate_ids_call, "GetInstalledCertificateIds, optionally for some certificate types."),
        (ops.DELETE_CERTIFICATE, "Delete an installed certificate", ops.DeleteCertificateForm, ops.delete_certificate_call,
         "DeleteCertificate with the hash data exactly as the station reported it."),
    ]:
        registry.register(
            registry.RemoteAction(
                name=name, label=label, form=form, description=description, build=per_version(build),
                on_final=ops.certificate_command_finished,
            )
        )
