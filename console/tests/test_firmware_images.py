"""Firmware images in the console: the list, the upload (pre-filled from a station), delete; per persona."""
from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from console.tests.test_firmware_tab import firmware_storage, image  # noqa: F401 - the storage fixture
from console.tests.test_pages import onboard
from firmware.models import Firmware
from firmware.services import firmware_update_request

LIST = reverse("console:firmware-list")
UPLOAD = reverse("console:firmware-upload")


def upload(client, *, network, station: str = "", **fields):
    content = b"\x7fELF firmware " * 100
    data = {"network": network.pk, "version": "3.1.4", "vendor": "Zaptec", "model": "Go", "notes": "",
            "file": SimpleUploadedFile("go-3.1.4.bin", content), **fields}
    if station:
        data["station"] = station
    return client.post(UPLOAD + (f"?station={station}" if station else ""), data), content


def test_an_operator_sees_their_networks_images_and_the_shared_ones(client, operator_a, network_a, network_b):
    image(network_a, "1.0.0", vendor="Zaptec")
    image(None, "5.0.0", shared=True)
    image(network_b, "9.9.9")
    client.force_login(operator_a)
    response = client.get(LIST)
    assert sorted(i.version for i in response.context["images"]) == ["1.0.0", "5.0.0"]
    page = response.content.decode()
    assert "shared with every network" in page and "9.9.9" not in page
    # Shared images are the account admins' to delete.
    deletable = response.context["deletable"]
    assert [i.version for i in response.context["images"] if i.pk in deletable] == ["1.0.0"]


def test_the_upload_from_a_station_is_pre_filled_and_goes_back_to_its_tab(client, operator_a, network_a, station_a):
    onboard(station_a)  # Zaptec Go
    client.force_login(operator_a)
    tab = client.get(reverse("console:station-firmware", args=["CP-A-1"])).content.decode()
    assert f'href="{UPLOAD}?station=CP-A-1"' in tab
    form = client.get(UPLOAD, {"station": "CP-A-1"}).context["form"]
    assert (form["network"].value(), form["vendor"].value(), form["model"].value()) == (network_a.pk, "Zaptec", "Go")

    response, content = upload(client, network=network_a, station="CP-A-1")
    assert response["Location"] == reverse("console:station-firmware", args=["CP-A-1"])
    fw = Firmware.objects.get()
    assert (fw.network, fw.version, fw.vendor, fw.model, fw.uploaded_by) == (network_a, "3.1.4", "Zaptec", "Go", operator_a)
    assert (fw.size, fw.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    # The tab now offers it for an update.
    form = client.get(reverse("console:station-firmware", args=["CP-A-1"])).context["form"]
    assert list(form.fields["firmware"].queryset) == [fw]


def test_an_operator_cannot_share_or_upload_into_another_network(client, operator_a, network_b):
    client.force_login(operator_a)
    assert "shared" not in client.get(UPLOAD).context["form"].fields
    response, _ = upload(client, network=network_b)
    assert response.status_code == 200 and "network" in response.context["form"].errors
    assert not Firmware.objects.exists()


def test_an_account_admin_shares_an_image(client, account_admin, network_a):
    client.force_login(account_admin)
    response, _ = upload(client, network=network_a, shared="on")
    assert response["Location"] == LIST
    fw = Firmware.objects.get()
    assert fw.shared and fw.network is None


def test_delete_an_image_unless_it_was_sent(client, operator_a, network_a, station_a):
    onboard(station_a)
    unused, sent = image(network_a, "1.0.0"), image(network_a, "2.0.0")
    firmware_update_request(stations=[station_a], firmware=sent, requested_by=operator_a)
    client.force_login(operator_a)
    client.post(reverse("console:firmware-delete", args=[unused.pk]))
    assert not Firmware.objects.filter(pk=unused.pk).exists()
    response = client.post(reverse("console:firmware-delete", args=[sent.pk]), follow=True)
    assert "was sent to stations: it stays" in response.content.decode()
    assert Firmware.objects.filter(pk=sent.pk).exists()


def test_a_viewer_lists_but_cannot_upload_or_delete(client, viewer_a, network_a):
    mine = image(network_a, "1.0.0")
    client.force_login(viewer_a)
    response = client.get(LIST)
    assert [i.version for i in response.context["images"]] == ["1.0.0"]
    assert b"Upload firmware" not in response.content and b"Delete" not in response.content
    assert client.get(UPLOAD).status_code == 403
    assert upload(client, network=network_a)[0].status_code == 403
    assert client.post(reverse("console:firmware-delete", args=[mine.pk])).status_code == 403
    assert Firmware.objects.count() == 1


def test_another_networks_operator_gets_404(client, operator_b, network_a, station_a):
    theirs = image(network_a, "1.0.0")
    client.force_login(operator_b)
    assert client.get(LIST).context["images"].count() == 0
    assert client.get(UPLOAD, {"station": "CP-A-1"}).status_code == 404
    assert client.get(LIST, {"station": "CP-A-1"}).status_code == 404
    assert client.post(reverse("console:firmware-delete", args=[theirs.pk])).status_code == 404
    assert Firmware.objects.filter(pk=theirs.pk).exists()
