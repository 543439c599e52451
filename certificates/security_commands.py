"""The security remote actions sent by this app's services (password rotation, certificate actions),
and the listener that lands their outcome on the records they serve (registered in certificates.actions)."""
from __future__ import annotations

from django.db import transaction

from certificates.authority import pki_current
from certificates.installed import installed_certificates_replace
from certificates.models import InstalledCertificate, PasswordRotation, PasswordRotationStatus
from certificates.passwords import password_rotation_finish, password_rotation_note, password_rotation_start
from stations.models import OcppVersion, Station


def security_command_create(*, station: Station, action: str, parameters: dict, requested_by=None, listener: str = ""):
    """Record a security action as a Command, not sent yet: the caller links it to its rotation or
    step first (the outcome listener finds it through that link), then calls security_command_dispatch."""
    from commands.services import command_create

    return command_create(
        station=station, action=action, parameters=parameters, requested_by=requested_by, listener=listener, send=False
    )


def security_command_dispatch(*, command) -> None:
    """Queue the command for the station's consumer; an offline station fails it at once (the
    outcome listener then runs like for any other answer)."""
    from commands.services import command_send

    command_send(command=command)


def security_command_send(*, station: Station, action: str, parameters: dict, requested_by=None):
    command = security_command_create(station=station, action=action, parameters=parameters, requested_by=requested_by)
    security_command_dispatch(command=command)
    return command


def password_rotation_send(*, station: Station, requested_by=None) -> PasswordRotation:
    """Generate a new password and push it to the station (1.6 AuthorizationKey / 2.0.1 BasicAuthPassword)."""
    from certificates.remote import PASSWORD

    with transaction.atomic():
        rotation, password = password_rotation_start(station=station, requested_by=requested_by)
        # "sealed" is a secret parameter of the action: the commands app seals it before storing
        # and drops it once the command is final.
        command = security_command_create(
            station=station,
            action=PASSWORD,
            parameters={"rotation_id": rotation.pk, "sealed": password},
            requested_by=requested_by,
        )
        rotation.command = command
        rotation.save(update_fields=["command"])
        security_command_dispatch(command=command)
    rotation.refresh_from_db()
    return rotation


def _password_command_finished(*, command) -> None:
    from commands.models import Command, CommandStatus

    rotation = PasswordRotation.objects.filter(command=command).first()
    if rotation is None:
        return
    # Sent or not, the sealed password is no longer needed in the command.
    Command.objects.filter(pk=command.pk).update(parameters={"rotation_id": rotation.pk})
    answered = command.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED)
    # The commands framework reads "status"; SetVariables answers per variable.
    results = (command.answer or {}).get("setVariableResult") or []
    word = results[0].get("attributeStatus", "") if results else command.result
    if answered and word == "Accepted":
        password_rotation_finish(rotation=rotation, accepted=True, detail="Accepted by the station")
    elif answered and word == "RebootRequired":
        # The station uses the new password after its next boot; both work until then.
        password_rotation_note(rotation=rotation, detail=f"{word}: both passwords work until the station logs in with the new one")
    elif command.status == CommandStatus.TIMED_OUT:
        password_rotation_note(
            rotation=rotation, detail="No answer: both passwords work until the station logs in with the new one"
        )
    elif answered:
        password_rotation_finish(rotation=rotation, accepted=False, detail=f"{word or 'Rejected'} by the station")
    else:
        password_rotation_finish(
            rotation=rotation, accepted=False, status=PasswordRotationStatus.FAILED,
            detail=f"{command.get_status_display()}: {command.error}"[:300],
        )


def certificates_refresh(*, station: Station, requested_by=None):
    """GetInstalledCertificateIds: what the station reports replaces what the platform knew."""
    from certificates.remote import CERTIFICATE_IDS

    return security_command_send(station=station, action=CERTIFICATE_IDS, parameters={}, requested_by=requested_by)


def certificate_install_ca(*, station: Station, requested_by=None):
    from certificates.remote import INSTALL_CA

    pki_current()  # refuse now, with the reason, rather than fail at send time
    return security_command_send(station=station, action=INSTALL_CA, parameters={}, requested_by=requested_by)


def certificate_delete(*, certificate: InstalledCertificate, requested_by=None):
    from certificates.remote import DELETE_CERTIFICATE

    return security_command_send(
        station=certificate.station,
        action=DELETE_CERTIFICATE,
        parameters={"certificate_hash_data": certificate.hash_data(), "installed_certificate_id": certificate.pk},
        requested_by=requested_by,
    )


def security_command_finished(command) -> None:
    """The listener of every ``security_*`` action (certificates.actions): the outcome lands on the
    records the action serves. Upgrade steps hear their commands through their own listener."""
    from certificates import remote
    from commands.models import CommandStatus

    if command.action == remote.PASSWORD:
        _password_command_finished(command=command)
    elif command.action == remote.CERTIFICATE_IDS and (command.status == CommandStatus.ACCEPTED or command.result == "NotFound"):
        answer = command.answer or {}
        if "certificateHashDataChain" in answer or command.station.ocpp_version == OcppVersion.V201:
            # 2.0.1 without certificateType asked for every type: the answer replaces them all.
            installed_certificates_replace(station=command.station, reported=answer.get("certificateHashDataChain") or [])
        else:
            # 1.6 asks for one type at a time: only that type's rows are replaced.
            kind = command.parameters.get("certificate_type") or "CentralSystemRootCertificate"
            installed_certificates_replace(
                station=command.station,
                reported=[{"certificateType": kind, "certificateHashData": d} for d in answer.get("certificateHashData") or []],
                certificate_types=[kind],
            )
    elif command.action == remote.DELETE_CERTIFICATE and command.status == CommandStatus.ACCEPTED:
        InstalledCertificate.objects.filter(pk=command.parameters.get("installed_certificate_id"), station=command.station).delete()
