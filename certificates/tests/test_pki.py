from __future__ import annotations

import datetime as dt
import stat

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import CommandError, call_command

from certificates import pki
from certificates.services import certificate_request_sign, pki_current, pki_paths


@pytest.fixture
def pki_dir(settings, tmp_path):
    settings.PKI_DIR = tmp_path / "pki"
    return settings.PKI_DIR


def test_init_pki_creates_a_ca_and_a_server_certificate_with_private_keys_0600(pki_dir, capsys):
    call_command("init_pki", "--hostname", "csms.example.com", "--hostname", "127.0.0.1", "--organization", "Switch BV")

    paths = pki_paths()
    for key in (paths.ca_key, paths.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pki_dir.stat().st_mode) == 0o700
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert pki.signed_by(server, ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["csms.example.com"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert ExtendedKeyUsageOID.SERVER_AUTH in server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert "Switch BV" in ca.subject.rfc4514_string()
    assert "Created the PKI" in capsys.readouterr().out


def test_init_pki_refuses_to_replace_an_existing_ca_without_force(pki_dir):
    call_command("init_pki")
    first = pki_paths().ca_cert.read_bytes()
    with pytest.raises(CommandError, match="already exists"):
        call_command("init_pki")
    assert pki_paths().ca_cert.read_bytes() == first
    call_command("init_pki", "--force", "--key-type", "rsa")
    assert pki_paths().ca_cert.read_bytes() != first


def _operator_files(tmp_path, *, mismatched_key: bool = False):
    ca_key = pki.generate_key("rsa")
    ca = pki.build_ca(key=ca_key, common_name="Operator Root")
    server_key = pki.generate_key()
    server = pki.build_server_certificate(key=server_key, ca_cert=ca, ca_key=ca_key, hostnames=["csms.operator.net"])
    files = {
        "ca-cert": pki.cert_pem(ca),
        "ca-key": pki.key_pem(pki.generate_key() if mismatched_key else ca_key),
        "server-cert": pki.cert_pem(server),
        "server-key": pki.key_pem(server_key),
    }
    args = []
    for name, data in files.items():
        path = tmp_path / f"{name}.pem"
        path.write_bytes(data)
        args += [f"--{name}", str(path)]
    return args, ca


def test_init_pki_imports_an_operators_own_ca_and_server_certificate(pki_dir, tmp_path):
    args, ca = _operator_files(tmp_path)
    call_command("init_pki", *args)
    assert pki_current().ca_cert == ca
    assert stat.S_IMODE(pki_paths().ca_key.stat().st_mode) == 0o600


def test_init_pki_refuses_an_import_whose_key_does_not_match(pki_dir, tmp_path):
    args, _ = _operator_files(tmp_path, mismatched_key=True)
    with pytest.raises(CommandError, match="CA key does not belong"):
        call_command("init_pki", *args)
    assert not pki_paths().ca_cert.exists()


def test_init_pki_import_needs_all_four_files(pki_dir, tmp_path):
    args, _ = _operator_files(tmp_path)
    with pytest.raises(CommandError, match="all four"):
        call_command("init_pki", *args[:4])


def test_the_ca_certificate_is_public_at_pki_ca_pem(pki_dir, client):
    assert client.get("/pki/ca.pem").status_code == 404
    call_command("init_pki")
    response = client.get("/pki/ca.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert x509.load_pem_x509_certificate(response.content) == pki_current().ca_cert
    assert b"PRIVATE KEY" not in response.content


@pytest.mark.django_db
def test_a_csr_with_the_station_identity_is_signed_by_the_platform_ca(pki_dir, station_a):
    call_command("init_pki")
    key = pki.generate_key()
    request = certificate_request_sign(station=station_a, ocpp_version="2.0.1", csr=pki.build_csr(key=key, common_name="CP-A-1", organization="Acme"))

    assert request.status == "issued", request.detail
    cert = x509.load_pem_x509_certificate(request.certificate.encode())
    assert pki.signed_by(cert, pki_current().ca_cert)
    assert pki.common_names(cert.subject) == ["CP-A-1"]
    assert ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=360)
    assert request.serial_number == format(cert.serial_number, "x")


@pytest.mark.django_db
def test_a_csr_for_another_identity_is_refused(pki_dir, station_a):
    call_command("init_pki")
    request = certificate_request_sign(station=station_a, ocpp_version="2.0.1", csr=pki.build_csr(key=pki.generate_key(), common_name="CP-B-1"))
    assert request.status == "refused"
    assert request.detail == "the CSR's common name (CP-B-1) is not the station identity CP-A-1"
    assert request.certificate == ""


@pytest.mark.django_db
def test_garbage_and_v2g_requests_are_refused(pki_dir, station_a):
    call_command("init_pki")
    assert certificate_request_sign(station=station_a, ocpp_version="2.0.1", csr="not a csr").detail == "the CSR is not a PEM-encoded PKCS#10 request"
    v2g = certificate_request_sign(
        station=station_a, ocpp_version="2.0.1", csr=pki.build_csr(key=pki.generate_key(), common_name="CP-A-1"), certificate_type="V2GCertificate"
    )
    assert v2g.status == "refused"
    assert "V2G" in v2g.detail


@pytest.mark.django_db
def test_without_a_pki_a_csr_is_refused_with_the_reason(pki_dir, station_a):
    request = certificate_request_sign(station=station_a, ocpp_version="2.0.1", csr=pki.build_csr(key=pki.generate_key(), common_name="CP-A-1"))
    assert request.status == "refused"
    assert "init_pki" in request.detail


def test_certificate_hash_data_matches_openssl_ocsp_style_hashes():
    key = pki.generate_key()
    ca = pki.build_ca(key=key, common_name="Root")
    data = pki.certificate_hash_data(ca)
    # issuerKeyHash covers the public key bits: for P-256 an uncompressed point of 65 bytes.
    from cryptography.hazmat.primitives import hashes, serialization

    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(point)
    assert data["issuerKeyHash"] == digest.finalize().hex()
    assert data["serialNumber"] == format(ca.serial_number, "x")
    assert data["hashAlgorithm"] == "SHA256"


def test_init_pki_makes_an_rsa_server_certificate_beside_the_ecdsa_one(pki_dir):
    """2.0.1 A00.FR.318: the TLS_RSA_WITH_AES_*_GCM suites need an RSA server key (TC_A_04, TC_A_07)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    call_command("init_pki", "--hostname", "csms.example.com", "--hostname", "127.0.0.1")
    paths = pki_paths()
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    ecdsa = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    rsa_cert = x509.load_pem_x509_certificate(paths.server_rsa_cert.read_bytes())
    assert isinstance(ecdsa.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(rsa_cert.public_key(), rsa.RSAPublicKey) and rsa_cert.public_key().key_size >= 2048
    assert pki.signed_by(rsa_cert, ca)
    assert pki.server_hostnames(rsa_cert) == ["csms.example.com", "127.0.0.1"]
    # Static RSA key exchange encrypts with the key: keyEncipherment must be allowed.
    assert rsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment is True
    assert stat.S_IMODE(paths.server_rsa_key.stat().st_mode) == 0o600
    assert isinstance(pki.load_private_key(paths.server_rsa_key.read_bytes()), rsa.RSAPrivateKey)


def test_init_pki_adds_the_rsa_certificate_to_an_older_pki_and_keeps_its_ca(pki_dir):
    call_command("init_pki", "--hostname", "csms.example.com")
    paths = pki_paths()
    ca_before = paths.ca_cert.read_bytes()
    paths.server_rsa_cert.unlink()
    paths.server_rsa_key.unlink()
    call_command("init_pki")
    assert paths.ca_cert.read_bytes() == ca_before
    rsa_cert = x509.load_pem_x509_certificate(paths.server_rsa_cert.read_bytes())
    assert pki.server_hostnames(rsa_cert) == ["csms.example.com"]
    with pytest.raises(CommandError, match="already exists"):
        call_command("init_pki")


def test_an_import_without_an_rsa_certificate_gets_one_from_the_imported_ca(pki_dir, tmp_path):
    args, ca = _operator_files(tmp_path)
    call_command("init_pki", *args)
    rsa_cert = x509.load_pem_x509_certificate(pki_paths().server_rsa_cert.read_bytes())
    assert pki.signed_by(rsa_cert, ca)
    assert pki.server_hostnames(rsa_cert) == ["csms.operator.net"]


def test_an_import_takes_the_operators_rsa_certificate_and_refuses_a_wrong_one(pki_dir, tmp_path):
    args, ca = _operator_files(tmp_path)
    ca_key = pki.load_private_key((tmp_path / "ca-key.pem").read_bytes())
    rsa_key = pki.generate_key("rsa")
    rsa_cert = pki.build_server_certificate(key=rsa_key, ca_cert=ca, ca_key=ca_key, hostnames=["rsa.operator.net"])
    (tmp_path / "rsa.pem").write_bytes(pki.cert_pem(rsa_cert))
    (tmp_path / "rsa.key").write_bytes(pki.key_pem(rsa_key))
    (tmp_path / "ec.key").write_bytes(pki.key_pem(pki.generate_key()))

    with pytest.raises(CommandError, match="both --server-rsa-cert and --server-rsa-key"):
        call_command("init_pki", *args, "--server-rsa-cert", str(tmp_path / "rsa.pem"))
    with pytest.raises(CommandError, match="not an RSA key"):
        call_command("init_pki", *args, "--server-rsa-cert", str(tmp_path / "rsa.pem"), "--server-rsa-key", str(tmp_path / "ec.key"))
    assert not pki_paths().ca_cert.exists()
    call_command("init_pki", *args, "--server-rsa-cert", str(tmp_path / "rsa.pem"), "--server-rsa-key", str(tmp_path / "rsa.key"))
    assert x509.load_pem_x509_certificate(pki_paths().server_rsa_cert.read_bytes()) == rsa_cert
