from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from certificates.models import CertificateRequest, InstalledCertificate, UpgradeRecord, UpgradeStep
from commands.models import Command

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def pki_dir(settings, tmp_path):
    settings.PKI_DIR = tmp_path / "pki"
    call_command("init_pki")


def test_the_security_page_of_another_networks_station_is_404(operator_b, station_a):
    client = client_for(operator_b)
    assert client.get("/api/charging_stations/CP-A-1/security/").status_code == 404
    for action in ("upgrade", "rotate_password", "install_ca", "refresh_certificates", "delete_certificate"):
        assert client.post(f"/api/charging_stations/CP-A-1/security/{action}/", {"target_profile": 2}).status_code == 404


def test_a_viewer_reads_but_cannot_act(viewer_a, station_a):
    client = client_for(viewer_a)
    body = client.get("/api/charging_stations/CP-A-1/security/").json()
    assert body["minimum_profile"] == 1 and body["connection"] is None
    assert client.post("/api/charging_stations/CP-A-1/security/rotate_password/").status_code == 403
    assert not Command.objects.exists()


def test_upgrading_an_offline_station_is_refused_with_the_reason(operator_a, station_a, pki_dir, settings):
    settings.OCPP_TLS_PUBLIC_URL = "wss://csms.example.com/ocpp/"
    station_a.ocpp_version = "2.0.1"
    station_a.save()
    response = client_for(operator_a).post("/api/charging_stations/CP-A-1/security/upgrade/", {"target_profile": 3})
    assert response.status_code == 400
    assert response.json() == {"detail": "The station is offline."}
    assert not UpgradeRecord.objects.exists()


def test_a_password_rotation_for_an_offline_station_fails_and_the_old_password_stays(operator_a, station_a):
    from conftest import STATION_PASSWORD

    response = client_for(operator_a).post("/api/charging_stations/CP-A-1/security/rotate_password/")
    assert response.status_code == 202
    assert response.json()["status"] == "failed"
    assert "offline" in response.json()["detail"]
    station_a.refresh_from_db()
    assert station_a.check_password(STATION_PASSWORD)
    command = Command.objects.get()
    assert "sealed" not in command.parameters


def test_upgrade_records_are_scoped(operator_b, operator_a, station_a):
    upgrade = UpgradeRecord.objects.create(station=station_a, from_profile=1, target_profile=2, target_url="wss://x/")
    UpgradeStep.objects.create(upgrade=upgrade, key="install_ca", name="Install")
    assert client_for(operator_b).get(f"/api/security_upgrades/{upgrade.pk}/").status_code == 404
    assert client_for(operator_b).get("/api/security_upgrades/").json()["results"] == []
    mine = client_for(operator_a).get(f"/api/security_upgrades/{upgrade.pk}/").json()
    assert mine["station"] == "CP-A-1" and mine["steps"][0]["key"] == "install_ca"


def test_another_networks_certificate_cannot_be_deleted_through_my_station(operator_a, station_a, station_b):
    theirs = InstalledCertificate.objects.create(
        station=station_b, certificate_type="CSMSRootCertificate", hash_algorithm="SHA256", issuer_name_hash="a",
        issuer_key_hash="b", serial_number="1", reported_at="2026-01-01T00:00:00Z",
    )
    response = client_for(operator_a).post("/api/charging_stations/CP-A-1/security/delete_certificate/", {"id": theirs.pk})
    assert response.status_code == 404
    assert not Command.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/certificates/upgraderecord/{upgrade}/change/",
        "/admin/certificates/certificaterequest/{request}/change/",
    ],
)
def test_admin_pages_of_another_network_are_404(client, operator_b, station_a, path):
    upgrade = UpgradeRecord.objects.create(station=station_a, from_profile=1, target_profile=2, target_url="wss://x/")
    request = CertificateRequest.objects.create(station=station_a, csr="x", status="refused")
    operator_b.is_staff = True
    operator_b.save()
    client.force_login(operator_b)
    assert client.get(path.format(upgrade=upgrade.pk, request=request.pk)).status_code == 404
    listing = client.get("/admin/certificates/upgraderecord/")
    assert listing.status_code == 200 and "CP-A-1" not in listing.content.decode()


def test_the_admin_add_form_offers_only_writable_stations_and_refuses_an_offline_one(client, operator_a, station_a, station_b, pki_dir, settings):
    settings.OCPP_TLS_PUBLIC_URL = "wss://csms.example.com/ocpp/"
    operator_a.is_staff = True
    operator_a.save()
    client.force_login(operator_a)
    page = client.get("/admin/certificates/upgraderecord/add/").content.decode()
    assert "CP-A-1" in page and "CP-B-1" not in page
    response = client.post("/admin/certificates/upgraderecord/add/", {"station": station_a.pk, "target_profile": 2})
    assert response.status_code == 200
    assert "not known yet" in response.content.decode()
    assert not UpgradeRecord.objects.exists()


def test_the_station_page_shows_its_security_and_confirms_certificate_actions(client, operator_a, station_a, pki_dir):
    from certificates.services import station_connection_secured

    station_connection_secured(station=station_a, profile=2)
    CertificateRequest.objects.create(station=station_a, csr="x", status="refused", detail="the CSR's common name (X) is not the station identity CP-A-1")
    operator_a.is_staff = True
    operator_a.save()
    client.force_login(operator_a)
    page = client.get(f"/admin/stations/station/{station_a.pk}/change/").content.decode().replace("&#x27;", "'")
    assert "security profile of the latest connection" in page.lower()
    assert "2 - wss:// with Basic auth" in page
    assert "is not the station identity CP-A-1" in page
    assert "Upgrade the security profile" in page and "Rotate the password" in page

    url = f"/admin/certificates/installedcertificate/station/{station_a.pk}/install_ca/"
    assert "Send to the station" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "station offline" in response.content.decode()
    assert Command.objects.get().action == "security_install_ca"


def test_certificate_actions_on_another_networks_station_are_404(client, operator_b, station_a):
    operator_b.is_staff = True
    operator_b.save()
    client.force_login(operator_b)
    assert client.get(f"/admin/certificates/installedcertificate/station/{station_a.pk}/refresh/").status_code == 404
    assert client.post(f"/admin/certificates/installedcertificate/station/{station_a.pk}/refresh/").status_code == 404
    assert not Command.objects.exists()


def test_rotating_a_password_from_the_admin_records_the_rotation(client, operator_a, station_a):
    from certificates.models import PasswordRotation

    operator_a.is_staff = True
    operator_a.save()
    client.force_login(operator_a)
    response = client.post("/admin/certificates/passwordrotation/add/", {"station": station_a.pk}, follow=True)
    assert response.status_code == 200
    rotation = PasswordRotation.objects.get()
    assert rotation.station == station_a and rotation.requested_by == operator_a
    # The station is offline here: the rotation failed and says so on its page.
    page = client.get(f"/admin/certificates/passwordrotation/{rotation.pk}/change/").content.decode()
    assert "station offline" in page


def test_an_upgrade_page_lists_its_steps(client, operator_a, station_a):
    upgrade = UpgradeRecord.objects.create(
        station=station_a, from_profile=1, target_profile=2, target_url="wss://x/", status="failed",
        error="Step failed: Install the platform CA (InstallCertificate) (Rejected). The station stays on security profile 1.",
    )
    UpgradeStep.objects.create(upgrade=upgrade, key="install_ca", name="Install the platform CA (InstallCertificate)", status="failed", detail="Rejected")
    operator_a.is_staff = True
    operator_a.save()
    client.force_login(operator_a)
    page = client.get(f"/admin/certificates/upgraderecord/{upgrade.pk}/change/").content.decode()
    assert "Install the platform CA (InstallCertificate)" in page
    assert "The station stays on security profile 1." in page
    for path in ("/admin/certificates/upgraderecord/", "/admin/certificates/passwordrotation/",
                 "/admin/certificates/certificaterequest/", "/admin/certificates/installedcertificate/",
                 "/admin/certificates/connectionsecurity/"):
        assert client.get(path).status_code == 200, path
