"""Writes for security profiles 2 and 3, one concern per module (this module keeps the names callers import).

- ``certificates.authority``: the platform's PKI on disk (init, import, current CA);
- ``certificates.signing``: SignCertificate (sign a station's CSR, record the delivery);
- ``certificates.installed``: the certificates a station reported as installed;
- ``certificates.admission``: which profile a connection is on, and whether it may stay;
- ``certificates.passwords``: station passwords and their rotation;
- ``certificates.security_commands``: the security remote actions and their outcome listener.
"""
from __future__ import annotations

from certificates.admission import (
    Admission,
    station_admission,
    station_connection_secured,
    with_admission_state,
    station_security_profile_raise,
)
from certificates.authority import (
    ca_certificate_pem,
    ca_hash_data,
    pki_add_rsa_server_certificate,
    pki_current,
    pki_exists,
    pki_import,
    pki_init,
    pki_paths,
    pki_rsa_missing,
)
from certificates.installed import installed_certificates_replace
from certificates.passwords import (
    password_generate,
    password_rotation_finish,
    password_rotation_note,
    password_rotation_start,
    station_password_check,
    station_pending_password_check,
)
from certificates.security_commands import (
    certificate_delete,
    certificate_install_ca,
    certificates_refresh,
    password_rotation_send,
    security_command_create,
    security_command_dispatch,
    security_command_finished,
    security_command_send,
)
from certificates.signing import certificate_request_delivered, certificate_request_sign

__all__ = [
    "Admission",
    "ca_certificate_pem",
    "ca_hash_data",
    "certificate_delete",
    "certificate_install_ca",
    "certificate_request_delivered",
    "certificate_request_sign",
    "certificates_refresh",
    "installed_certificates_replace",
    "password_generate",
    "password_rotation_finish",
    "password_rotation_note",
    "password_rotation_send",
    "password_rotation_start",
    "pki_current",
    "pki_exists",
    "pki_add_rsa_server_certificate",
    "pki_import",
    "pki_init",
    "pki_paths",
    "pki_rsa_missing",
    "security_command_create",
    "security_command_dispatch",
    "security_command_finished",
    "security_command_send",
    "station_admission",
    "station_connection_secured",
    "with_admission_state",
    "station_password_check",
    "station_pending_password_check",
    "station_security_profile_raise",
]
