"""FIRMWARE_STORAGE=s3 against a real S3 endpoint on loopback (moto's server: an HTTP S3 API).

Upload through the API into the bucket through django-storages, then serve the station's link
(whole and ranged) from the bucket with ranged GETs.
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from rest_framework.test import APIClient

from firmware.downloads import _open_bytes, _S3Body
from firmware.links import firmware_link_url
from firmware.models import Firmware
from firmware.services import firmware_update_request
from firmware.tests.conftest import IMAGE, sha256

pytestmark = pytest.mark.django_db
BUCKET = "switch-firmware"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(settings, monkeypatch):
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    # The same OPTIONS settings.py builds from FIRMWARE_STORAGE=s3 and the AWS_* variables.
    settings.STORAGES = {
        **settings.STORAGES,
        "firmware": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "location": "",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    server.stop()


def test_upload_and_ranged_download_through_the_bucket(s3, operator_a, network_a, station_a, client):
    api = APIClient()
    api.force_authenticate(operator_a)
    response = api.post(
        "/api/firmware/",
        {"network": network_a.name, "version": "2.0.0", "file": SimpleUploadedFile("eve.bin", IMAGE)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    firmware = Firmware.objects.get()
    assert firmware.sha256 == sha256(IMAGE)

    [stored] = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert stored["Key"] == firmware.file.name and stored["Size"] == len(IMAGE)
    assert s3.get_object(Bucket=BUCKET, Key=stored["Key"])["Body"].read() == IMAGE

    # Served from the bucket as a stream, not through django-storages' download-everything file.
    stream = _open_bytes(firmware, first=100, last=199, whole=False)
    assert isinstance(stream, _S3Body) and stream.read() == IMAGE[100:200]
    stream.close()

    [update] = firmware_update_request(stations=[station_a], firmware=firmware, send=False)
    path = urlsplit(firmware_link_url(update=update)).path
    whole = client.get(path)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == IMAGE
    ranged = client.get(path, headers={"Range": "bytes=-100"})
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == IMAGE[-100:]
    assert ranged["Content-Range"] == f"bytes {len(IMAGE) - 100}-{len(IMAGE) - 1}/{len(IMAGE)}"
