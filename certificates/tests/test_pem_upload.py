"""A root certificate's PEM picked as a file: in the admin, the console and the API (multipart), the
command carries the file's text, exactly as if it had been pasted."""
from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certificates import pki
from commands.models import Command

PEM = pki.cert_pem(pki.build_ca(key=pki.generate_key("ec"), common_name="Uploaded root")).decode("ascii")


def pem_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("root.pem", PEM.encode("ascii"), content_type="application/x-pem-file")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sent_certificate(station) -> dict:
    return Command.objects.get(station=station, action="install_certificate").parameters


def test_the_admin_takes_the_pem_as_a_file(station_a, operator_a):
    url = reverse("admin:commands_station_action", args=[station_a.pk, "install_certificate"])
    page = client_for(operator_a).get(url)
    assert 'enctype="multipart/form-data"' in page.content.decode() and 'type="file" name="certificate"' in page.content.decode()
    response = client_for(operator_a).post(url, {"certificate_type": "CSMSRootCertificate", "certificate": pem_file()})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert sent_certificate(station_a) == {"certificate_type": "CSMSRootCertificate", "certificate": PEM}


def test_the_console_dialog_takes_the_pem_as_a_file(station_a, operator_a):
    client = client_for(operator_a)
    response = client.post(
        f"/console/stations/{station_a.identity}/actions/install_certificate/",
        {"certificate_type": "ManufacturerRootCertificate", "certificate": pem_file()},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201, response.content
    assert sent_certificate(station_a)["certificate"] == PEM


def test_the_api_takes_the_pem_as_a_multipart_file(station_a, operator_a):
    response = client_for(operator_a).post(
        f"/api/charging_stations/{station_a.identity}/actions/install_certificate/",
        {"certificate_type": "V2GRootCertificate", "certificate": pem_file()},
    )
    assert response.status_code == 201, response.content
    assert sent_certificate(station_a)["certificate"] == PEM


def test_a_file_that_is_not_a_pem_is_a_field_error(station_a, operator_a):
    response = client_for(operator_a).post(
        f"/api/charging_stations/{station_a.identity}/actions/install_certificate/",
        {"certificate_type": "CSMSRootCertificate", "certificate": SimpleUploadedFile("x.bin", b"\x00\x01binary")},
    )
    assert response.status_code == 400
    assert "certificate" in response.json()
