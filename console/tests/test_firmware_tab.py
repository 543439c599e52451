"""The station page's Firmware tab: the images that fit the station, starting an update, its progress."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from console.tests.test_pages import login, onboard
from firmware.models import FirmwareStatus, FirmwareUpdate
from firmware.services import firmware_create, firmware_status_notification


@pytest.fixture(autouse=True)
def firmware_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "firmware": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


def image(network, version: str, **fields):
    return firmware_create(file=ContentFile(b"x" * 64, name=f"fw-{version}.bin"), version=version, network=network, **fields)


def test_an_operator_starts_an_update_and_follows_its_progress(client, operator_a, station_a, network_a, network_b):
    onboard(station_a)
    mine = image(network_a, "2.0.0", vendor="Zaptec", model="Go")
    image(network_a, "7.0.0", vendor="Alfen", model="Eve")  # another make: not offered
    image(network_b, "9.9.9")  # another network: not offered
    login(client, operator_a)
    url = reverse("console:station-firmware", args=["CP-A-1"])
    form = client.get(url).context["form"]
    assert [str(f) for f in form.fields["firmware"].queryset] == [str(mine)]

    response = client.post(url, {"firmware": mine.pk})
    assert response.status_code == 302
    update = FirmwareUpdate.objects.get()
    assert update.station == station_a and update.firmware == mine and update.requested_by == operator_a

    firmware_status_notification(station=station_a, status=FirmwareStatus.DOWNLOADING, request_id=update.request_id)
    fragment = client.get(url + "?fragment=firmware_updates").content.decode()
    assert "Downloading" in fragment and 'title="35%"' in fragment


def test_another_networks_image_is_refused(client, operator_a, station_a, network_b):
    onboard(station_a)
    theirs = image(network_b, "9.9.9")
    response = login(client, operator_a).post(reverse("console:station-firmware", args=["CP-A-1"]), {"firmware": theirs.pk})
    assert response.status_code == 200 and "firmware" in response.context["form"].errors
    assert not FirmwareUpdate.objects.exists()


def test_a_viewer_sees_updates_but_cannot_start_one(client, viewer_a, station_a, network_a):
    onboard(station_a)
    mine = image(network_a, "2.0.0")
    login(client, viewer_a)
    url = reverse("console:station-firmware", args=["CP-A-1"])
    assert client.get(url).context["form"] is None
    assert client.post(url, {"firmware": mine.pk}).status_code == 403
    assert not FirmwareUpdate.objects.exists()


def test_a_failed_update_shows_no_full_progress_bar(client, operator_a, station_a, network_a):
    onboard(station_a)
    mine = image(network_a, "2.0.0")
    login(client, operator_a)
    url = reverse("console:station-firmware", args=["CP-A-1"])
    assert client.post(url, {"firmware": mine.pk}).status_code == 302
    update = FirmwareUpdate.objects.get()
    for status in (FirmwareStatus.DOWNLOADING, "DownloadFailed"):
        firmware_status_notification(station=station_a, status=status, request_id=update.request_id)
    fragment = client.get(url + "?fragment=firmware_updates").content.decode()
    # The row says it failed and stopped; a full bar would read as a finished update.
    assert "DownloadFailed" in fragment and "stopped" in fragment
    assert "100%" not in fragment and 'class="progress"' not in fragment
