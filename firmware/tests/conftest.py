from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile

from firmware.models import Firmware
from firmware.services import firmware_create

IMAGE = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes, every byte value present


@pytest.fixture(autouse=True)
def firmware_storage(settings, tmp_path):
    """Images go to a fresh directory per test, through the real file-system storage."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "firmware": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def make_firmware(*, network=None, shared=False, content: bytes = IMAGE, version="2.0.0", vendor="Alfen", model="Eve", **kw) -> Firmware:
    return firmware_create(
        file=ContentFile(content, name="eve-2.0.0.bin"),
        version=version,
        network=network,
        shared=shared,
        vendor=vendor,
        model=model,
        **kw,
    )


@pytest.fixture
def firmware_a(network_a) -> Firmware:
    return make_firmware(network=network_a)


@pytest.fixture
def firmware_b(network_b) -> Firmware:
    return make_firmware(network=network_b, content=b"B" * 100, version="9.9.9")


@pytest.fixture
def firmware_shared(db) -> Firmware:
    return make_firmware(shared=True, content=b"S" * 300, version="3.0.0", vendor="", model="")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
