"""The platform's certificate authority: keys, certificates and CSR signing with `cryptography`.

Pure functions over `cryptography` objects plus the file layout in ``settings.PKI_DIR``:

    ca.pem / ca.key           the CA stations trust (InstallCertificate CSMSRootCertificate) and
                              the one that signs station certificates (SignCertificate)
    server.pem / server.key   the TLS terminator's certificate (nginx or daphne), signed by the CA
    server-rsa.pem / .key     the same names with an RSA 2048 key, beside it: the TLS_RSA_WITH_AES_*_GCM
                              suites of 2.0.1 A00.FR.318 (TC_A_04, TC_A_07) need an RSA certificate

Private keys are written 0600 and never leave the directory. Keys are ECDSA P-256 by default:
OCPP 2.0.1 Part 2 A00.FR.318 and the 1.6 Security Whitepaper list ECDHE-ECDSA suites first, and
every station we know takes a P-256 chain; `--key-type rsa` gives RSA 2048 for older ones.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CA_DAYS = 3650
SERVER_DAYS = 825
STATION_DAYS = 365
# Backdate notBefore a little: a station whose clock runs a few minutes behind would otherwise
# refuse a certificate issued "in the future".
CLOCK_SKEW = dt.timedelta(minutes=10)


class PkiError(Exception):
    """The PKI files are missing, unreadable or do not belong together."""


class CsrRefused(Exception):
    """A station's CSR the platform will not sign; the message says why (shown on the station)."""


@dataclass(frozen=True)
class PkiPaths:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def server_rsa_cert(self) -> Path:
        return self.directory / "server-rsa.pem"

    @property
    def server_rsa_key(self) -> Path:
        return self.directory / "server-rsa.key"

    def all(self) -> tuple[Path, ...]:
        return (self.ca_cert, self.ca_key, self.server_cert, self.server_key, self.server_rsa_cert, self.server_rsa_key)


# --- keys and files ------------------------------------------------------------------------------


def generate_key(key_type: str = "ec") -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key type {key_type!r}: use 'ec' or 'rsa'")


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_file(path: Path, data: bytes, *, private: bool) -> None:
    """Write atomically; a private file is 0600 from its first byte (mkstemp creates it so)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_certificate(data: bytes, *, what: str = "certificate") -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError:
            raise PkiError(f"the {what} is not a PEM or DER X.509 certificate") from None


def load_private_key(data: bytes, *, what: str = "key") -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise PkiError(f"the {what} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise PkiError(f"the {what} must be an EC or RSA key")
    return key


def _same_public_key(cert: x509.Certificate, key: PrivateKey) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- building certificates ----------------------------------------------------------------------


def _name(common_name: str, organization: str = "") -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _hash_for(key: PrivateKey) -> hashes.HashAlgorithm:
    return hashes.SHA256()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_ca(*, key: PrivateKey, common_name: str, organization: str = "", days: int = CA_DAYS) -> x509.Certificate:
    now = _now()
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(_name(common_name, organization))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=days))
        # pathlen 0: the platform CA signs leaves only, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, _hash_for(key))
    )


def _leaf_builder(
    *, subject: x509.Name, public_key, ca_cert: x509.Certificate, ca_key: PrivateKey, days: int, usage: x509.ObjectIdentifier
) -> x509.CertificateBuilder:
    now = _now()
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=is_rsa, data_encipherment=False,
                key_agreement=not is_rsa, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )


def build_server_certificate(
    *, key: PrivateKey, ca_cert: x509.Certificate, ca_key: PrivateKey, hostnames: list[str], days: int = SERVER_DAYS
) -> x509.Certificate:
    if not hostnames:
        raise ValueError("a server certificate needs at least one host name")
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            names.append(x509.DNSName(host))
    builder = _leaf_builder(
        subject=_name(hostnames[0]), public_key=key.public_key(), ca_cert=ca_cert, ca_key=ca_key, days=days,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
    ).add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, _hash_for(ca_key))


def server_hostnames(cert: x509.Certificate) -> list[str]:
    """The names and addresses a server certificate is valid for (its subjectAltName), in order."""
    sans = _extension(cert, x509.SubjectAlternativeName)
    if sans is None:
        return common_names(cert.subject)
    return [str(n.value) for n in sans if isinstance(n, (x509.DNSName, x509.IPAddress))]


def common_names(name: x509.Name) -> list[str]:
    return [str(attr.value) for attr in name.get_attributes_for_oid(NameOID.COMMON_NAME)]


def sign_csr(
    *, csr_pem: str, ca_cert: x509.Certificate, ca_key: PrivateKey, identity: str, days: int = STATION_DAYS
) -> x509.Certificate:
    """Sign a station's CSR (OCPP 2.0.1 A02/A03, 1.6 Security Whitepaper use case A02).

    The subject's CN must be the station's identity: profile 3 identifies a station by exactly
    that CN (2.0.1 Part 2 A00.FR.417), so a CSR for another name would let one station speak as
    another.
    """
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii", errors="strict"))
    except (ValueError, UnicodeEncodeError):
        raise CsrRefused("the CSR is not a PEM-encoded PKCS#10 request") from None
    if not csr.is_signature_valid:
        raise CsrRefused("the CSR's signature does not verify")
    names = common_names(csr.subject)
    if names != [identity]:
        shown = ", ".join(names) or "none"
        raise CsrRefused(f"the CSR's common name ({shown}) is not the station identity {identity}")
    public_key = csr.public_key()
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < 2048:
        raise CsrRefused(f"the CSR's RSA key has {public_key.key_size} bits; at least 2048 are required")
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise CsrRefused("the CSR's key must be EC or RSA")
    builder = _leaf_builder(
        subject=csr.subject, public_key=public_key, ca_cert=ca_cert, ca_key=ca_key, days=days,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    return builder.sign(ca_key, _hash_for(ca_key))


def build_csr(*, key: PrivateKey, common_name: str, organization: str = "") -> str:
    """A CSR as a station builds one; for the simulator and tests."""
    csr = x509.CertificateSigningRequestBuilder().subject_name(_name(common_name, organization)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_hash_data(cert: x509.Certificate, issuer: x509.Certificate | None = None) -> dict[str, str]:
    """CertificateHashDataType (2.0.1 §2.6, 1.6 Security Whitepaper §6.3) with SHA256.

    issuerKeyHash hashes the issuer's public key bits (as OCSP's CertID does); a self-signed
    certificate is its own issuer.
    """
    issuer = issuer or cert
    issuer_name_der = cert.issuer.public_bytes()
    issuer_key = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_bits = _subject_public_key_bits(issuer_key)
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": _sha256_hex(issuer_name_der),
        "issuerKeyHash": _sha256_hex(key_bits),
        "serialNumber": format(cert.serial_number, "x"),
    }


def _sha256_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def _subject_public_key_bits(spki_der: bytes) -> bytes:
    """The BIT STRING contents of a SubjectPublicKeyInfo (what issuerKeyHash covers)."""

    def read_tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
        tag = buf[pos]
        length = buf[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(buf[pos : pos + count], "big")
            pos += count
        return tag, pos, length

    _, pos, _ = read_tlv(spki_der, 0)  # SEQUENCE
    _, alg_pos, alg_len = read_tlv(spki_der, pos)  # AlgorithmIdentifier
    tag, bits_pos, bits_len = read_tlv(spki_der, alg_pos + alg_len)
    if tag != 0x03:
        raise ValueError("not a SubjectPublicKeyInfo")
    return spki_der[bits_pos + 1 : bits_pos + bits_len]  # drop the unused-bits byte


# --- the platform's set of files -----------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    paths: PkiPaths
    ca_cert: x509.Certificate
    ca_key: PrivateKey
    server_cert: x509.Certificate


def check_pair(*, ca_cert: x509.Certificate, ca_key: PrivateKey, server_cert: x509.Certificate, server_key: PrivateKey) -> None:
    """Refuse files that do not belong together, before anything is written or served."""
    basic = _extension(ca_cert, x509.BasicConstraints)
    if basic is None or not basic.ca:
        raise PkiError("the CA certificate is not a CA (basicConstraints CA:TRUE is missing)")
    if not _same_public_key(ca_cert, ca_key):
        raise PkiError("the CA key does not belong to the CA certificate")
    if not _same_public_key(server_cert, server_key):
        raise PkiError("the server key does not belong to the server certificate")
    if not signed_by(server_cert, ca_cert):
        raise PkiError("the server certificate is not signed by the CA certificate")
    now = _now()
    for what, cert in (("CA", ca_cert), ("server", server_cert)):
        if cert.not_valid_after_utc <= now:
            raise PkiError(f"the {what} certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")


def _extension(cert: x509.Certificate, kind: type):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def load_pki(paths: PkiPaths) -> Pki:
    missing = [p.name for p in (paths.ca_cert, paths.ca_key, paths.server_cert) if not p.exists()]
    if missing:
        raise PkiError(f"no PKI in {paths.directory} (missing {', '.join(missing)}): run `manage.py init_pki`")
    return Pki(
        paths=paths,
        ca_cert=load_certificate(paths.ca_cert.read_bytes(), what="CA certificate"),
        ca_key=load_private_key(paths.ca_key.read_bytes(), what="CA key"),
        server_cert=load_certificate(paths.server_cert.read_bytes(), what="server certificate"),
    )
