from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from certificates import pki
from certificates.services import pki_add_rsa_server_certificate, pki_import, pki_init, pki_paths, pki_rsa_missing


def _default_hostnames() -> list[str]:
    hosts = []
    for url in (settings.OCPP_TLS_PUBLIC_URL, settings.OCPP_PUBLIC_URL):
        host = urlparse(url).hostname if url else None
        if host and host not in hosts:
            hosts.append(host)
    for host in ("localhost", "127.0.0.1"):
        if host not in hosts:
            hosts.append(host)
    return hosts


class Command(BaseCommand):
    help = (
        "Create the platform's CA and TLS server certificate in PKI_DIR (default VAR_DIR/pki), "
        "or import an operator's own with --ca-cert/--ca-key/--server-cert/--server-key."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--hostname", action="append", default=[],
            help="A name (or IP) the TLS server certificate is valid for; repeat for more. "
            "Default: the hosts of OCPP_TLS_PUBLIC_URL and OCPP_PUBLIC_URL, localhost, 127.0.0.1.",
        )
        parser.add_argument("--organization", default="", help="O= of the CA's subject.")
        parser.add_argument("--ca-name", default="", help="CN= of the CA's subject.")
        parser.add_argument(
            "--key-type", choices=["ec", "rsa"], default="ec",
            help="The CA's and server.pem's key: ECDSA P-256 (default) or RSA 2048. server-rsa.pem is RSA either way; "
            "with rsa the TLS_ECDHE_ECDSA suites OCPP 2.0.1 A00.FR.318 requires are not offered.",
        )
        parser.add_argument("--ca-cert", type=Path, help="Import: the CA certificate (PEM).")
        parser.add_argument("--ca-key", type=Path, help="Import: the CA private key (unencrypted PEM).")
        parser.add_argument("--server-cert", type=Path, help="Import: the TLS server certificate (PEM).")
        parser.add_argument("--server-key", type=Path, help="Import: the TLS server key (unencrypted PEM).")
        parser.add_argument(
            "--server-rsa-cert", type=Path,
            help="Import (optional): an RSA TLS server certificate (PEM) for the TLS_RSA suites; made from the CA if absent.",
        )
        parser.add_argument("--server-rsa-key", type=Path, help="Import (optional): its key (unencrypted PEM).")
        parser.add_argument("--force", action="store_true", help="Replace an existing PKI (stations trusting the old CA are locked out).")

    def handle(self, *args, **opts) -> None:
        imports = [opts["ca_cert"], opts["ca_key"], opts["server_cert"], opts["server_key"]]
        try:
            if any(imports):
                if not all(imports):
                    raise CommandError("importing needs all four of --ca-cert, --ca-key, --server-cert and --server-key")
                try:
                    data = [path.read_bytes() for path in imports]
                except OSError as exc:
                    raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
                rsa_paths = [opts["server_rsa_cert"], opts["server_rsa_key"]]
                if any(rsa_paths) and not all(rsa_paths):
                    raise CommandError("an RSA server certificate needs both --server-rsa-cert and --server-rsa-key")
                try:
                    rsa_data = [path.read_bytes() for path in rsa_paths] if all(rsa_paths) else [None, None]
                except OSError as exc:
                    raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
                result = pki_import(
                    ca_cert_pem=data[0], ca_key_pem=data[1], server_cert_pem=data[2], server_key_pem=data[3],
                    server_rsa_cert_pem=rsa_data[0], server_rsa_key_pem=rsa_data[1], force=opts["force"],
                )
                verb = "Imported"
            elif pki_rsa_missing() and not opts["force"]:
                # A PKI from before the RSA certificate: add it, keep the CA stations already trust.
                result = pki_add_rsa_server_certificate()
                verb = "Added the RSA server certificate to"
            else:
                result = pki_init(
                    hostnames=opts["hostname"] or _default_hostnames(),
                    organization=opts["organization"],
                    ca_name=opts["ca_name"],
                    key_type=opts["key_type"],
                    force=opts["force"],
                )
                verb = "Created"
        except pki.PkiError as exc:
            raise CommandError(str(exc)) from None
        paths = pki_paths()
        ca = result.ca_cert
        self.stdout.write(
            f"{verb} the PKI in {paths.directory}:\n"
            f"  CA certificate   {paths.ca_cert}  ({ca.subject.rfc4514_string()}, until {ca.not_valid_after_utc:%Y-%m-%d})\n"
            f"  CA key           {paths.ca_key}  (0600)\n"
            f"  server cert      {paths.server_cert}\n"
            f"  server key       {paths.server_key}  (0600)\n"
            f"  RSA server cert  {paths.server_rsa_cert}  (the TLS_RSA_WITH_AES_*_GCM suites)\n"
            f"  RSA server key   {paths.server_rsa_key}  (0600)\n"
            "Stations and nginx's ssl_client_certificate take the CA certificate; it is also served at /pki/ca.pem."
        )
