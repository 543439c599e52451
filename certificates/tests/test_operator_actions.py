"""The certificate management actions: forms per OCPP version, and hash data kept and echoed exactly."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from certificates import installed, pki
from certificates.installed import installed_certificates_forget, installed_certificates_replace
from certificates.models import InstalledCertificate
from certificates.operator_actions import (
    DeleteCertificateForm,
    GetInstalledCertificateIdsForm,
    InstallCertificateForm,
    delete_certificate_call,
    get_installed_certificate_ids_call,
    install_certificate_call,
)

PEM = pki.cert_pem(pki.build_ca(key=pki.generate_key("ec"), common_name="Root")).decode("ascii")
REPORTED = {"hashAlgorithm": "SHA384", "issuerNameHash": "AB" * 48, "issuerKeyHash": "0C" * 48, "serialNumber": "00FF"}


def at_version(station, version: str):
    station.ocpp_version = version
    station.save(update_fields=["ocpp_version"])
    return station


@pytest.mark.parametrize(
    ("version", "certificate_type", "ok"),
    [
        ("2.0.1", "V2GRootCertificate", True),
        ("2.0.1", "MORootCertificate", True),
        ("2.0.1", "CentralSystemRootCertificate", False),
        ("1.6", "CentralSystemRootCertificate", True),
        ("1.6", "ManufacturerRootCertificate", True),
        ("1.6", "CSMSRootCertificate", False),
    ],
)
def test_install_takes_the_root_types_of_the_stations_version(station_a, version, certificate_type, ok):
    form = InstallCertificateForm({"certificate_type": certificate_type, "certificate": PEM}, station=at_version(station_a, version))
    assert form.is_valid() is ok, form.errors
    if ok:
        request = install_certificate_call(SimpleNamespace(parameters=form.parameters(), pk=1), version=version)
        assert (request.certificate_type, request.certificate) == (certificate_type, PEM)


def test_install_refuses_what_is_not_one_pem_certificate(station_a):
    for text in ("hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", PEM + PEM):
        form = InstallCertificateForm({"certificate_type": "CSMSRootCertificate", "certificate": text}, station=station_a)
        assert not form.is_valid() and "certificate" in form.errors


def test_list_types_from_a_list_or_a_comma_separated_string(station_a):
    station = at_version(station_a, "2.0.1")
    for value in (["CSMSRootCertificate", "V2GCertificateChain"], "CSMSRootCertificate, V2GCertificateChain"):
        form = GetInstalledCertificateIdsForm({"certificate_types": value}, station=station)
        assert form.is_valid(), form.errors
        assert form.parameters() == {"certificate_types": ["CSMSRootCertificate", "V2GCertificateChain"]}
    empty = GetInstalledCertificateIdsForm({}, station=station)
    assert empty.is_valid() and get_installed_certificate_ids_call(SimpleNamespace(parameters={}), version="2.0.1").certificate_type is None
    assert not GetInstalledCertificateIdsForm({"certificate_types": "Nope"}, station=station).is_valid()


def test_16_lists_exactly_one_type(station_a):
    station = at_version(station_a, "1.6")
    assert not GetInstalledCertificateIdsForm({}, station=station).is_valid()
    assert not GetInstalledCertificateIdsForm({"certificate_types": "CentralSystemRootCertificate,ManufacturerRootCertificate"}, station=station).is_valid()
    form = GetInstalledCertificateIdsForm({"certificate_types": "ManufacturerRootCertificate"}, station=station)
    assert form.is_valid()
    assert get_installed_certificate_ids_call(SimpleNamespace(parameters=form.parameters()), version="1.6").certificate_type == "ManufacturerRootCertificate"


def test_reported_hash_data_is_kept_and_echoed_byte_for_byte(station_a, station_b, monkeypatch):
    monkeypatch.setattr(installed, "ca_hash_data", lambda: {k: v.lower().lstrip("0") if k == "serialNumber" else v.lower() for k, v in REPORTED.items()})
    installed_certificates_replace(
        station=station_a, reported=[{"certificateType": "CSMSRootCertificate", "certificateHashData": REPORTED}]
    )
    row = InstalledCertificate.objects.get(station=station_a)
    assert row.hash_data() == REPORTED
    # Recognised as the platform's CA whatever the spelling, but never rewritten.
    assert row.is_platform_ca
    form = DeleteCertificateForm({"installed_certificate": row.pk}, station=station_a)
    assert form.is_valid(), form.errors
    request = delete_certificate_call(SimpleNamespace(parameters=form.parameters()), version="2.0.1")
    assert request.certificate_hash_data == {
        "hash_algorithm": "SHA384", "issuer_name_hash": "AB" * 48, "issuer_key_hash": "0C" * 48, "serial_number": "00FF",
    }
    # Another station's certificate id is not this station's.
    assert not DeleteCertificateForm({"installed_certificate": row.pk}, station=station_b).is_valid()
    assert installed_certificates_forget(station=station_a, hash_data={**REPORTED, "serialNumber": "ff"}) == 1


def test_delete_by_hash_data_needs_all_four_fields(station_a):
    assert not DeleteCertificateForm({"hash_algorithm": "SHA256", "serial_number": "01"}, station=station_a).is_valid()
    form = DeleteCertificateForm(
        {"hash_algorithm": "SHA256", "issuer_name_hash": "Aa", "issuer_key_hash": "Bb", "serial_number": "01"}, station=station_a
    )
    assert form.is_valid() and form.parameters()["certificate_hash_data"]["issuerNameHash"] == "Aa"
