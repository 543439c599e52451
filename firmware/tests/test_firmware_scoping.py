"""Every way to a firmware image or update, per persona: another network's object is a 404."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from firmware.models import Firmware, FirmwareUpdate
from firmware.services import firmware_update_request
from firmware.tests.conftest import IMAGE

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def update_a(station_a, firmware_a):
    return firmware_update_request(stations=[station_a], firmware=firmware_a, send=False)[0]


@pytest.fixture
def update_b(station_b, firmware_b):
    return firmware_update_request(stations=[station_b], firmware=firmware_b, send=False)[0]


# --- the queryset ---


def test_for_user_includes_shared_images_for_reading_only(
    account_admin, operator_a, viewer_a, operator_b, firmware_a, firmware_b, firmware_shared
):
    assert set(Firmware.objects.for_user(account_admin)) == {firmware_a, firmware_b, firmware_shared}
    assert set(Firmware.objects.for_user(operator_a)) == {firmware_a, firmware_shared}
    assert set(Firmware.objects.for_user(viewer_a)) == {firmware_a, firmware_shared}
    assert set(Firmware.objects.for_user(operator_b)) == {firmware_b, firmware_shared}
    assert set(Firmware.objects.for_user(operator_a, write=True)) == {firmware_a}
    assert set(Firmware.objects.for_user(viewer_a, write=True)) == set()
    assert set(Firmware.objects.for_user(account_admin, write=True)) == {firmware_a, firmware_b, firmware_shared}


def test_anonymous_users_see_no_image_not_even_shared_ones(firmware_shared):
    from django.contrib.auth.models import AnonymousUser

    assert not Firmware.objects.for_user(AnonymousUser()).exists()
    assert not Firmware.objects.for_user(None).exists()


# --- the API ---


def test_api_list_and_retrieve(operator_a, operator_b, firmware_a, firmware_b, firmware_shared):
    listed = api(operator_a).get("/api/firmware/").json()["results"]
    assert {f["id"] for f in listed} == {firmware_a.pk, firmware_shared.pk}
    assert api(operator_a).get(f"/api/firmware/{firmware_b.pk}/").status_code == 404
    assert api(operator_b).get(f"/api/firmware/{firmware_a.pk}/").status_code == 404
    assert api(operator_b).get(f"/api/firmware/{firmware_shared.pk}/").status_code == 200


def test_api_download_needs_permission(operator_a, operator_b, viewer_a, firmware_a, firmware_shared):
    response = api(viewer_a).get(f"/api/firmware/{firmware_a.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == IMAGE
    ranged = api(operator_a).get(f"/api/firmware/{firmware_a.pk}/download/", HTTP_RANGE="bytes=0-3")
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == IMAGE[:4]
    assert api(operator_b).get(f"/api/firmware/{firmware_a.pk}/download/").status_code == 404
    assert api(operator_b).get(f"/api/firmware/{firmware_shared.pk}/download/").status_code == 200
    assert APIClient().get(f"/api/firmware/{firmware_a.pk}/download/").status_code == 401


def test_api_writes(account_admin, operator_a, viewer_a, operator_b, firmware_a, firmware_shared, network_a):
    assert api(operator_b).patch(f"/api/firmware/{firmware_a.pk}/", {"notes": "x"}).status_code == 404
    assert api(viewer_a).patch(f"/api/firmware/{firmware_a.pk}/", {"notes": "x"}).status_code == 403
    assert api(operator_a).patch(f"/api/firmware/{firmware_shared.pk}/", {"notes": "x"}).status_code == 403
    assert api(operator_a).delete(f"/api/firmware/{firmware_shared.pk}/").status_code == 403
    response = api(operator_a).patch(f"/api/firmware/{firmware_a.pk}/", {"notes": "signed build"}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "signed build"
    assert api(account_admin).patch(f"/api/firmware/{firmware_shared.pk}/", {"notes": "y"}, format="json").status_code == 200
    upload = {"network": network_a.name, "version": "1", "file": SimpleUploadedFile("a.bin", b"x")}
    assert api(viewer_a).post("/api/firmware/", upload, format="multipart").status_code == 403


def test_only_account_admins_share_images(account_admin, operator_a, network_a):
    shared = {"shared": "true", "version": "1", "file": SimpleUploadedFile("a.bin", b"x")}
    refused = api(operator_a).post("/api/firmware/", shared, format="multipart")
    assert refused.status_code == 400 and "shared" in refused.json()
    shared["file"] = SimpleUploadedFile("a.bin", b"x")
    created = api(account_admin).post("/api/firmware/", shared, format="multipart")
    assert created.status_code == 201, created.json()
    assert (created.json()["shared"], created.json()["network"]) == (True, None)
    other = {"network": "Network B", "version": "1", "file": SimpleUploadedFile("a.bin", b"x")}
    assert api(operator_a).post("/api/firmware/", other, format="multipart").status_code == 400


def test_api_delete_is_refused_once_sent(operator_a, firmware_a, update_a, firmware_storage):
    assert api(operator_a).delete(f"/api/firmware/{firmware_a.pk}/").status_code == 409
    assert Firmware.objects.filter(pk=firmware_a.pk).exists()


def test_api_delete_removes_the_stored_file(operator_a, network_a, firmware_storage, django_capture_on_commit_callbacks):
    from firmware.tests.conftest import make_firmware

    firmware = make_firmware(network=network_a)
    stored = firmware_storage / firmware.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert api(operator_a).delete(f"/api/firmware/{firmware.pk}/").status_code == 204
    assert not stored.exists()


def test_api_update_firmware_action(operator_a, viewer_a, operator_b, station_a, firmware_a, firmware_b, firmware_shared):
    url = f"/api/charging_stations/{station_a.identity}/actions/update_firmware/"
    assert api(operator_b).post(url, {"firmware": firmware_a.pk}, format="json").status_code == 404
    assert api(viewer_a).post(url, {"firmware": firmware_a.pk}, format="json").status_code == 403
    # Another network's image is as unknown as a wrong id.
    refused = api(operator_a).post(url, {"firmware": firmware_b.pk}, format="json")
    assert refused.status_code == 400 and "firmware" in refused.json()
    response = api(operator_a).post(url, {"firmware": firmware_shared.pk, "retries": 2, "retry_interval": 30}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["station"] == station_a.identity and body["firmware"] == firmware_shared.pk
    assert body["request_id"] == body["id"]
    assert [event["status"] for event in body["timeline"]][0] == "Requested"
    assert FirmwareUpdate.objects.filter(station=station_a).count() == 1


def test_api_firmware_updates(operator_a, operator_b, viewer_a, update_a, update_b):
    listed = api(viewer_a).get("/api/firmware_updates/").json()["results"]
    assert [u["id"] for u in listed] == [update_a.pk]
    assert api(operator_b).get(f"/api/firmware_updates/{update_a.pk}/").status_code == 404
    detail = api(operator_a).get(f"/api/firmware_updates/{update_a.pk}/").json()
    assert detail["timeline"][0]["status"] == "Requested"
    assert api(operator_a).post("/api/firmware_updates/", {}).status_code == 405
    filtered = api(operator_a).get("/api/firmware_updates/?station=CP-B-1").json()["results"]
    assert filtered == []


# --- the admin ---


def test_admin_firmware_list(client, operator_a, operator_b, firmware_a, firmware_b, firmware_shared):
    client.force_login(operator_a)
    page = client.get("/admin/firmware/firmware/").content.decode()
    assert "9.9.9" not in page and "2.0.0" in page and "3.0.0" in page
    assert "Network B" not in page
    assert client.get(f"/admin/firmware/firmware/{firmware_b.pk}/change/").status_code == 404
    assert client.get(f"/admin/firmware/firmware/{firmware_b.pk}/download/").status_code == 404
    download = client.get(f"/admin/firmware/firmware/{firmware_a.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == IMAGE
    # A shared image is readable but not changeable by a network operator.
    shared_page = client.get(f"/admin/firmware/firmware/{firmware_shared.pk}/change/")
    assert shared_page.status_code == 200
    response = client.post(f"/admin/firmware/firmware/{firmware_shared.pk}/change/", {"version": "hacked"})
    assert response.status_code == 403
    firmware_shared.refresh_from_db()
    assert firmware_shared.version == "3.0.0"


def test_admin_list_filtered_for_a_station(client, operator_a, operator_b, station_a, station_b, network_a):
    from firmware.tests.conftest import make_firmware

    station_a.vendor, station_a.model = "Alfen", "Eve"
    station_a.save()
    fits = make_firmware(network=network_a, version="fits-1")
    make_firmware(network=network_a, version="other-1", vendor="ABB", model="Terra")
    anything = make_firmware(network=network_a, version="any-1", vendor="", model="")
    client.force_login(operator_a)
    page = client.get(f"/admin/firmware/firmware/?station={station_a.pk}").content.decode()
    assert "fits-1" in page and "any-1" in page and "other-1" not in page
    assert 'id="upload-for-station"' in page and "vendor=Alfen" in page and "model=Eve" in page
    assert client.get(f"/admin/firmware/firmware/?station={station_b.pk}").status_code == 404
    assert fits and anything


def test_station_page_links_to_firmware_and_shows_its_updates(client, operator_a, station_a, firmware_a):
    from firmware.services import firmware_status_notification

    [update] = firmware_update_request(stations=[station_a], firmware=firmware_a, send=False)
    firmware_status_notification(station=station_a, status="DownloadFailed", request_id=update.request_id)
    client.force_login(operator_a)
    page = client.get(f"/admin/stations/station/{station_a.pk}/change/").content.decode()
    assert f'href="/admin/firmware/firmware/?station={station_a.pk}"' in page
    assert f'href="/admin/firmware/firmwareupdate/start/?ids={station_a.pk}"' in page
    assert 'id="station-firmware"' in page
    assert f'href="/admin/firmware/firmwareupdate/{update.pk}/change/"' in page
    assert '<span class="equipment faulted">DownloadFailed</span>' in page


def test_station_list_action_and_update_form(client, operator_a, operator_b, viewer_a, station_a, station_b, firmware_a, firmware_b):
    client.force_login(operator_a)
    response = client.post(
        "/admin/stations/station/", {"action": "update_firmware", "_selected_action": [station_a.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/admin/firmware/firmwareupdate/start/?ids={station_a.pk}"
    form_page = client.get(response["Location"]).content.decode()
    assert "CP-A-1" in form_page and "9.9.9" not in form_page
    done = client.post(
        response["Location"],
        {"firmware": firmware_a.pk, "retrieve_at": "", "retries": "3", "retry_interval": "60"},
    )
    assert done.status_code == 302, done.content.decode()[:3000]
    update = FirmwareUpdate.objects.get()
    assert (update.station, update.firmware, update.retries, update.retry_interval, update.requested_by) == (
        station_a, firmware_a, 3, 60, operator_a
    )
    # Another network's station, or a station the user may only view: 404.
    assert client.get(f"/admin/firmware/firmwareupdate/start/?ids={station_b.pk}").status_code == 404
    assert client.get(f"/admin/firmware/firmwareupdate/start/?ids={station_a.pk},{station_b.pk}").status_code == 404
    client.force_login(viewer_a)
    assert client.get(f"/admin/firmware/firmwareupdate/start/?ids={station_a.pk}").status_code == 404
    client.force_login(operator_b)
    forged = client.post(
        f"/admin/firmware/firmwareupdate/start/?ids={station_b.pk}",
        {"firmware": firmware_a.pk},
    )
    assert forged.status_code == 200 and "Select a valid choice" in forged.content.decode()


def test_admin_updates_list_and_timeline(client, operator_a, operator_b, update_a, update_b):
    client.force_login(operator_a)
    page = client.get("/admin/firmware/firmwareupdate/").content.decode()
    assert "CP-A-1" in page and "CP-B-1" not in page
    assert "Network A" in page and "Network B" not in page
    assert client.get(f"/admin/firmware/firmwareupdate/?station__id__exact={update_a.station_id}").status_code == 200
    assert client.get(f"/admin/firmware/firmwareupdate/{update_b.pk}/change/").status_code == 404
    assert client.get(f"/admin/firmware/firmwareupdate/{update_a.pk}/change/").status_code == 200
