"""Writes for security profiles 2 and 3: the PKI, CSR signing, admission, password rotation."""
from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates import pki
from certificates.models import (
    CertificateRequest,
    CertificateRequestStatus,
    ConnectionSecurity,
    InstalledCertificate,
    PasswordRotation,
    PasswordRotationStatus,
)
from certificates.proxy import TlsInfo
from stations.models import STATION_PASSWORD_HASHER, OcppVersion, SecurityProfile, Station

# --- the PKI --------------------------------------------------------------------------------------


def pki_paths() -> pki.PkiPaths:
    return pki.PkiPaths(Path(settings.PKI_DIR))


def pki_exists(*, paths: pki.PkiPaths | None = None) -> bool:
    paths = paths or pki_paths()
    return any(p.exists() for p in paths.all())


def pki_init(
    *,
    hostnames: list[str],
    organization: str = "",
    ca_name: str = "",
    key_type: str = "ec",
    force: bool = False,
    paths: pki.PkiPaths | None = None,
) -> pki.Pki:
    """Create the platform CA and the TLS server certificate it signs."""
    paths = paths or pki_paths()
    _refuse_overwrite(paths, force=force)
    ca_key = pki.generate_key(key_type)
    ca_cert = pki.build_ca(key=ca_key, common_name=ca_name or f"{organization or 'Switch'} CSMS Root CA", organization=organization)
    server_key = pki.generate_key(key_type)
    server_cert = pki.build_server_certificate(key=server_key, ca_cert=ca_cert, ca_key=ca_key, hostnames=hostnames)
    _write(paths, ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    return pki.load_pki(paths)


def pki_import(
    *,
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    server_cert_pem: bytes,
    server_key_pem: bytes,
    force: bool = False,
    paths: pki.PkiPaths | None = None,
) -> pki.Pki:
    """Take an operator's own CA and server certificate, after checking they belong together."""
    paths = paths or pki_paths()
    _refuse_overwrite(paths, force=force)
    ca_cert = pki.load_certificate(ca_cert_pem, what="CA certificate")
    ca_key = pki.load_private_key(ca_key_pem, what="CA key")
    server_cert = pki.load_certificate(server_cert_pem, what="server certificate")
    server_key = pki.load_private_key(server_key_pem, what="server key")
    pki.check_pair(ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    _write(paths, ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    return pki.load_pki(paths)


def _refuse_overwrite(paths: pki.PkiPaths, *, force: bool) -> None:
    # Stations trust this CA once it is installed on them: replacing it by accident would lock
    # every profile-2/3 station out.
    if pki_exists(paths=paths) and not force:
        raise pki.PkiError(f"a PKI already exists in {paths.directory}; pass --force to replace it")


def _write(paths: pki.PkiPaths, *, ca_cert, ca_key, server_cert, server_key) -> None:
    pki.write_file(paths.ca_key, pki.key_pem(ca_key), private=True)
    pki.write_file(paths.server_key, pki.key_pem(server_key), private=True)
    pki.write_file(paths.ca_cert, pki.cert_pem(ca_cert), private=False)
    # nginx's ssl_certificate wants the leaf then the chain up to (not including) the root.
    pki.write_file(paths.server_cert, pki.cert_pem(server_cert), private=False)
    _cache.clear()


_cache: dict[tuple, pki.Pki] = {}


def pki_current() -> pki.Pki:
    """The PKI on disk, reloaded when its files change (init_pki --force while serving)."""
    paths = pki_paths()
    try:
        key = (str(paths.directory), *(p.stat().st_mtime_ns for p in (paths.ca_cert, paths.ca_key, paths.server_cert)))
    except FileNotFoundError:
        raise pki.PkiError(f"no PKI in {paths.directory}: run `manage.py init_pki`") from None
    if key not in _cache:
        _cache.clear()
        _cache[key] = pki.load_pki(paths)
    return _cache[key]


def ca_certificate_pem() -> str:
    return pki.cert_pem(pki_current().ca_cert).decode("ascii")


def ca_hash_data() -> dict[str, str]:
    return pki.certificate_hash_data(pki_current().ca_cert)


# --- SignCertificate --------------------------------------------------------------------------------


def certificate_request_sign(
    *, station: Station, csr: str, ocpp_version: str, certificate_type: str = "ChargingStationCertificate"
) -> CertificateRequest:
    """Record a station's CSR and sign it, or record why not.

    The caller answers SignCertificate Accepted only for an ISSUED request and then sends
    CertificateSigned with ``request.certificate`` (2.0.1 A02.FR.06: after the response).
    """
    request = CertificateRequest(
        station=station, ocpp_version=ocpp_version, certificate_type=certificate_type, csr=csr[:20000]
    )
    if certificate_type not in ("ChargingStationCertificate", "ChargePointCertificate"):
        # V2GCertificate requests go to a V2G PKI (ISO 15118), which this platform does not run.
        request.status = CertificateRequestStatus.REFUSED
        request.detail = f"{certificate_type} is signed by a V2G PKI, not by this platform"
        request.save()
        return request
    try:
        ca = pki_current()
        cert = pki.sign_csr(
            csr_pem=csr, ca_cert=ca.ca_cert, ca_key=ca.ca_key, identity=station.identity,
            days=settings.PKI_STATION_CERT_DAYS,
        )
    except (pki.CsrRefused, pki.PkiError) as exc:
        request.status = CertificateRequestStatus.REFUSED
        request.detail = str(exc)[:300]
        request.save()
        from certificates.upgrades import upgrade_certificate_delivered

        # An upgrade to profile 3 waiting for this certificate fails now, with the reason.
        upgrade_certificate_delivered(request=request)
        return request
    request.status = CertificateRequestStatus.ISSUED
    request.certificate = pki.cert_pem(cert).decode("ascii")
    request.serial_number = format(cert.serial_number, "x")
    request.common_name = station.identity
    request.not_after = cert.not_valid_after_utc
    request.save()
    return request


def certificate_request_delivered(*, request: CertificateRequest, status: str, detail: str = "") -> CertificateRequest:
    """Record the station's CertificateSignedResponse (Accepted / Rejected) or a failed delivery."""
    if status == "Accepted":
        request.status = CertificateRequestStatus.DELIVERED
        request.delivered_at = timezone.now()
    elif status == "Rejected":
        request.status = CertificateRequestStatus.REJECTED
    else:
        request.status = CertificateRequestStatus.FAILED
    request.detail = detail[:300]
    request.save(update_fields=["status", "detail", "delivered_at"])
    from certificates.upgrades import upgrade_certificate_delivered

    upgrade_certificate_delivered(request=request)
    return request


# --- installed certificates (GetInstalledCertificateIds / DeleteCertificate) -------------------------


@transaction.atomic
def installed_certificates_replace(*, station: Station, reported: list[dict], certificate_types: list[str] | None = None) -> list[InstalledCertificate]:
    """Replace what the platform knows of the station's certificates with what it just reported.

    ``reported`` holds 2.0.1 CertificateHashDataChainType items ({"certificateType", "certificateHashData"})
    or 1.6 CertificateHashDataType items with ``certificateType`` added by the caller.
    """
    existing = InstalledCertificate.objects.filter(station=station)
    if certificate_types:
        existing = existing.filter(certificate_type__in=certificate_types)
    existing.delete()
    try:
        platform_ca = ca_hash_data()
    except pki.PkiError:
        platform_ca = None
    now = timezone.now()
    rows = []
    for item in reported:
        data = item.get("certificateHashData", item)
        row = InstalledCertificate(
            station=station,
            certificate_type=item.get("certificateType", ""),
            hash_algorithm=data["hashAlgorithm"],
            issuer_name_hash=data["issuerNameHash"].lower(),
            issuer_key_hash=data["issuerKeyHash"].lower(),
            serial_number=data["serialNumber"].lower().lstrip("0") or "0",
            reported_at=now,
        )
        row.is_platform_ca = bool(
            platform_ca
            and row.issuer_name_hash == platform_ca["issuerNameHash"]
            and row.issuer_key_hash == platform_ca["issuerKeyHash"]
            and row.serial_number == platform_ca["serialNumber"]
        )
        rows.append(row)
    return InstalledCertificate.objects.bulk_create(rows, ignore_conflicts=True)


# --- admission: which profile a connection is on, and whether it may stay -------------------------


@dataclass(frozen=True)
class Admission:
    profile: int | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.profile is not None


def station_admission(
    *,
    station: Station,
    tls: TlsInfo,
    password: str | None,
    password_check: Callable[[Station, str], bool] | None = None,
) -> Admission:
    """Decide a station's websocket handshake (OCPP 2.0.1 Part 2 A00.FR.2xx-4xx; 1.6 Whitepaper §2).

    Profile 1: plain ws + Basic. Profile 2: TLS + Basic. Profile 3: TLS + a client certificate the
    terminator verified against the platform CA with CN == identity; no password. A station whose
    recorded minimum is higher than the profile it arrives on is refused: no downgrade
    (A00.FR.206; Whitepaper "a Charge Point SHALL NOT fall back to a lower profile").

    ``password_check`` verifies the current password (the gateway passes its cached check); a
    password pending in a rotation is tried after it.
    """
    if tls.has_verified_certificate:
        if tls.client_cn != station.identity:
            return Admission(None, f"client certificate is for {tls.client_cn!r}, not {station.identity!r}")
        profile = SecurityProfile.TLS_CLIENT_CERT
    elif tls.presented_bad_certificate:
        return Admission(None, f"client certificate did not verify against the platform CA ({tls.client_verify})")
    elif password is None:
        return Admission(None, "no HTTP Basic credentials and no client certificate")
    elif not (
        (password_check(station, password) if password_check else station.check_password(password))
        or station_pending_password_check(station=station, password=password)
    ):
        return Admission(None, "wrong password")
    else:
        profile = SecurityProfile.TLS_BASIC if tls.tls else SecurityProfile.BASIC
    if profile < station.security_profile:
        return Admission(
            None,
            f"downgrade refused: connected on security profile {profile}, "
            f"the station requires at least {station.security_profile}",
        )
    return Admission(int(profile))


def station_connection_secured(*, station: Station, profile: int, client_cn: str | None = None) -> None:
    """Record the profile of the connection just admitted: one UPDATE per connect (reconnect storms)."""
    values = {"profile": profile, "client_certificate_cn": client_cn or "", "connected_at": timezone.now()}
    if not ConnectionSecurity.objects.filter(station=station).update(**values):
        ConnectionSecurity.objects.get_or_create(station=station, defaults=values)
    from certificates.upgrades import upgrade_station_connected

    upgrade_station_connected(station=station, profile=profile)


def station_security_profile_raise(*, station: Station, profile: int) -> bool:
    """Raise the recorded minimum profile; never lowers it (that is an operator's explicit edit)."""
    updated = Station.objects.filter(pk=station.pk, security_profile__lt=profile).update(security_profile=profile)
    if updated:
        station.security_profile = profile
    return bool(updated)


# --- passwords -------------------------------------------------------------------------------------

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def password_generate() -> str:
    """20 random alphanumerics: 20 bytes, so 40 hex digits as 1.6 AuthorizationKey and Zaptec want,
    and within 2.0.1 BasicAuthPassword's 16-40 characters."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(20))


def station_password_check(*, station: Station, password: str) -> bool:
    """The current password, or the one pending in a rotation (which its first use completes)."""
    return station.check_password(password) or station_pending_password_check(station=station, password=password)


def station_pending_password_check(*, station: Station, password: str) -> bool:
    rotation = PasswordRotation.objects.filter(station=station, status=PasswordRotationStatus.PENDING).first()
    if rotation and rotation.pending_hash and check_password(password, rotation.pending_hash):
        password_rotation_finish(rotation=rotation, accepted=True, detail="the station logged in with the new password")
        station.refresh_from_db(fields=["password_hash"])
        return True
    return False


@transaction.atomic
def password_rotation_start(*, station: Station, requested_by=None, password: str | None = None) -> tuple[PasswordRotation, str]:
    """A new pending password for the station; the caller sends it and reports the answer."""
    password = password or password_generate()
    PasswordRotation.objects.filter(station=station, status=PasswordRotationStatus.PENDING).update(
        status=PasswordRotationStatus.SUPERSEDED, finished_at=timezone.now(), pending_hash=""
    )
    try:
        rotation = PasswordRotation.objects.create(
            station=station,
            pending_hash=make_password(password, hasher=STATION_PASSWORD_HASHER),
            requested_by=requested_by,
        )
    except IntegrityError:  # a concurrent start won the unique "one pending" constraint
        raise ValueError("another password rotation for this station started at the same time") from None
    return rotation, password


@transaction.atomic
def password_rotation_finish(
    *, rotation: PasswordRotation, accepted: bool, detail: str = "", status: str | None = None
) -> PasswordRotation:
    """Close a pending rotation: Accepted makes the new password the only one; otherwise the old stays.

    An answer that leaves it open (RebootRequired, a timeout: the station may have applied the
    key) is not a finish: keep both passwords working until the station logs in with the new one.
    """
    rotation = PasswordRotation.objects.select_for_update().get(pk=rotation.pk)
    if rotation.status != PasswordRotationStatus.PENDING:
        return rotation
    if accepted:
        # Only now does the old password stop working (field notes: "after a station accepted a
        # new password, the old one must stop working").
        Station.objects.filter(pk=rotation.station_id).update(password_hash=rotation.pending_hash)
        rotation.status = PasswordRotationStatus.ACCEPTED
    else:
        rotation.status = status or PasswordRotationStatus.REJECTED
    rotation.pending_hash = ""
    rotation.detail = detail[:300]
    rotation.finished_at = timezone.now()
    rotation.save(update_fields=["status", "pending_hash", "detail", "finished_at"])
    return rotation


def password_rotation_note(*, rotation: PasswordRotation, detail: str) -> None:
    PasswordRotation.objects.filter(pk=rotation.pk, status=PasswordRotationStatus.PENDING).update(detail=detail[:300])


# --- security remote actions (commands framework) ----------------------------------------------------


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
