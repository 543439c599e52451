"""Uploads: stored through the firmware storage, SHA-256 and size recorded, size limit enforced."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from firmware.models import Firmware
from firmware.tests.conftest import IMAGE, make_firmware, sha256

pytestmark = pytest.mark.django_db


class ChunkCountingFile(ContentFile):
    """Counts how the service reads: chunk by chunk, never the whole file at once."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data, name=name)
        self.chunk_reads = 0
        self.whole_reads = 0

    def chunks(self, chunk_size=None):
        for chunk in super().chunks(chunk_size=1024):
            self.chunk_reads += 1
            yield chunk

    def read(self, size=-1):
        if size is None or size < 0:
            self.whole_reads += 1
        return super().read(size)


def test_it_stores_the_file_with_its_sha256_and_size(network_a, firmware_storage):
    firmware = make_firmware(network=network_a)
    assert firmware.sha256 == sha256(IMAGE)
    assert firmware.size == len(IMAGE) == 10244
    assert firmware.filename == "eve-2.0.0.bin"
    stored = firmware_storage / firmware.file.name
    assert stored.read_bytes() == IMAGE
    assert firmware.file.name.startswith("firmware/") and firmware.file.name.endswith("/eve-2.0.0.bin")


def test_two_uploads_with_the_same_name_never_overwrite_each_other(network_a):
    one = make_firmware(network=network_a, content=b"one")
    two = make_firmware(network=network_a, content=b"two")
    assert one.file.name != two.file.name
    assert one.file.read() == b"one" and two.file.read() == b"two"


def test_the_digest_is_computed_chunk_by_chunk(network_a):
    from firmware.services import firmware_file_digest

    upload = ChunkCountingFile(IMAGE, name="x.bin")
    digest, size = firmware_file_digest(file=upload)
    assert (digest, size) == (sha256(IMAGE), len(IMAGE))
    assert upload.chunk_reads == 11 and upload.whole_reads == 0


def test_the_service_refuses_a_file_over_the_limit_and_stores_nothing(network_a, settings, firmware_storage):
    settings.FIRMWARE_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError) as exc:
        make_firmware(network=network_a)
    assert "file" in exc.value.message_dict
    assert not Firmware.objects.exists()
    assert not firmware_storage.exists() or not any(firmware_storage.rglob("*.bin"))


def test_admin_upload_over_the_limit_is_a_field_error(client, operator_a, network_a, settings):
    settings.FIRMWARE_MAX_UPLOAD_BYTES = 1000
    client.force_login(operator_a)
    response = client.post(
        "/admin/firmware/firmware/add/",
        {"network": network_a.pk, "version": "2.0.0", "file": SimpleUploadedFile("big.bin", IMAGE)},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "limit is 1000" in " ".join(errors["file"])
    assert not Firmware.objects.exists()


def test_admin_upload_records_hash_size_and_uploader(client, operator_a, network_a):
    client.force_login(operator_a)
    response = client.post(
        "/admin/firmware/firmware/add/",
        {
            "network": network_a.pk,
            "version": "2.0.0",
            "vendor": "Alfen",
            "model": "Eve",
            "notes": "fixes the meter drift",
            "file": SimpleUploadedFile("eve.bin", IMAGE),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    firmware = Firmware.objects.get()
    assert (firmware.sha256, firmware.size, firmware.uploaded_by) == (sha256(IMAGE), len(IMAGE), operator_a)
    assert (firmware.network, firmware.shared, firmware.notes) == (network_a, False, "fixes the meter drift")
    page = client.get(f"/admin/firmware/firmware/{firmware.pk}/change/").content.decode()
    assert sha256(IMAGE) in page and "eve.bin" in page


def test_api_upload_is_multipart_and_over_the_limit_is_a_field_error(operator_a, network_a, settings):
    api = APIClient()
    api.force_authenticate(operator_a)
    response = api.post(
        "/api/firmware/",
        {"network": network_a.name, "version": "2.0.0", "vendor": "Alfen", "file": SimpleUploadedFile("eve.bin", IMAGE)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sha256"], body["size"], body["filename"], body["shared"]) == (sha256(IMAGE), len(IMAGE), "eve.bin", False)
    assert "file" not in body

    settings.FIRMWARE_MAX_UPLOAD_BYTES = 1000
    response = api.post(
        "/api/firmware/",
        {"network": network_a.name, "version": "2.0.1", "file": SimpleUploadedFile("eve.bin", IMAGE)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "limit is 1000" in response.json()["file"][0]
    assert Firmware.objects.count() == 1


def _settings_probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages; s = storages['firmware'];"
        "print(type(s).__module__ + '.' + type(s).__name__, s.bucket_name, s.endpoint_url, s.default_acl)"
    )
    root = Path(__file__).resolve().parents[2]
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "switchplatform.settings", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=full_env, capture_output=True, text=True, timeout=60)


def test_firmware_storage_s3_is_configured_from_the_environment():
    result = _settings_probe(
        {
            "FIRMWARE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "switch-firmware",
            "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3.S3Storage", "switch-firmware", "http://127.0.0.1:9000", "private"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FIRMWARE_STORAGE": "s3"}, "AWS_STORAGE_BUCKET_NAME"),
        ({"FIRMWARE_STORAGE": "ftp"}, "FIRMWARE_STORAGE must be"),
        ({"FIRMWARE_MAX_UPLOAD_BYTES": "lots"}, "FIRMWARE_MAX_UPLOAD_BYTES must be an integer"),
        ({"FIRMWARE_PUBLIC_BASE_URL": "ftp://x"}, "FIRMWARE_PUBLIC_BASE_URL must be a URL"),
    ],
)
def test_a_bad_firmware_setting_stops_start_up_naming_it(env, message):
    result = _settings_probe(env)
    assert result.returncode != 0
    assert message in result.stderr
