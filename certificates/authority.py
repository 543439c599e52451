"""The platform's PKI on disk: create or import the CA and the TLS server certificate, load it (reloaded
when its files change), and what stations need of it (the CA's PEM and hash data)."""
from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from certificates import pki


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
    rsa_cert, rsa_key = _rsa_server_certificate(ca_cert=ca_cert, ca_key=ca_key, hostnames=hostnames)
    _write(paths, ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    _write_rsa(paths, cert=rsa_cert, key=rsa_key)
    return pki.load_pki(paths)


def pki_rsa_missing(*, paths: pki.PkiPaths | None = None) -> bool:
    """A PKI made before the RSA server certificate existed: the rest is there, the RSA pair is not."""
    paths = paths or pki_paths()
    core = (paths.ca_cert, paths.ca_key, paths.server_cert, paths.server_key)
    return all(p.exists() for p in core) and not (paths.server_rsa_cert.exists() and paths.server_rsa_key.exists())


def pki_add_rsa_server_certificate(*, paths: pki.PkiPaths | None = None) -> pki.Pki:
    """Add the RSA server certificate to an existing PKI, from its CA, for its server certificate's names."""
    paths = paths or pki_paths()
    current = pki.load_pki(paths)
    rsa_cert, rsa_key = _rsa_server_certificate(
        ca_cert=current.ca_cert, ca_key=current.ca_key, hostnames=pki.server_hostnames(current.server_cert)
    )
    _write_rsa(paths, cert=rsa_cert, key=rsa_key)
    _cache.clear()
    return pki.load_pki(paths)


def _rsa_server_certificate(*, ca_cert, ca_key, hostnames: list[str]) -> tuple:
    # 2.0.1 A00.FR.318 lists TLS_RSA_WITH_AES_128/256_GCM beside the ECDHE_ECDSA suites: a station
    # may offer only those, and they need an RSA server key. nginx serves both certificates and
    # picks the one matching the suite (deploy/nginx-switch.conf).
    key = pki.generate_key("rsa")
    return pki.build_server_certificate(key=key, ca_cert=ca_cert, ca_key=ca_key, hostnames=hostnames), key


def pki_import(
    *,
    ca_cert_pem: bytes,
    ca_key_pem: bytes,
    server_cert_pem: bytes,
    server_key_pem: bytes,
    server_rsa_cert_pem: bytes | None = None,
    server_rsa_key_pem: bytes | None = None,
    force: bool = False,
    paths: pki.PkiPaths | None = None,
) -> pki.Pki:
    """Take an operator's own CA and server certificate, after checking they belong together.

    Without an RSA server certificate of the operator's, one is made from the imported CA for the
    names of the imported server certificate.
    """
    paths = paths or pki_paths()
    _refuse_overwrite(paths, force=force)
    ca_cert = pki.load_certificate(ca_cert_pem, what="CA certificate")
    ca_key = pki.load_private_key(ca_key_pem, what="CA key")
    server_cert = pki.load_certificate(server_cert_pem, what="server certificate")
    server_key = pki.load_private_key(server_key_pem, what="server key")
    pki.check_pair(ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    if (server_rsa_cert_pem is None) != (server_rsa_key_pem is None):
        raise pki.PkiError("importing an RSA server certificate needs both its certificate and its key")
    if server_rsa_cert_pem is not None:
        rsa_cert = pki.load_certificate(server_rsa_cert_pem, what="RSA server certificate")
        rsa_key = pki.load_private_key(server_rsa_key_pem, what="RSA server key")
        if not isinstance(rsa_key, rsa.RSAPrivateKey):
            raise pki.PkiError("the RSA server key is not an RSA key")
        pki.check_pair(ca_cert=ca_cert, ca_key=ca_key, server_cert=rsa_cert, server_key=rsa_key)
    else:
        rsa_cert, rsa_key = _rsa_server_certificate(
            ca_cert=ca_cert, ca_key=ca_key, hostnames=pki.server_hostnames(server_cert)
        )
    _write(paths, ca_cert=ca_cert, ca_key=ca_key, server_cert=server_cert, server_key=server_key)
    _write_rsa(paths, cert=rsa_cert, key=rsa_key)
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


def _write_rsa(paths: pki.PkiPaths, *, cert, key) -> None:
    pki.write_file(paths.server_rsa_key, pki.key_pem(key), private=True)
    pki.write_file(paths.server_rsa_cert, pki.cert_pem(cert), private=False)


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
