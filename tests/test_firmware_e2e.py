"""Firmware updates end to end: a real daphne serving the admin/API, the OCPP endpoint and the
download link; simulated stations (the `ocpp` library over websockets) that download the image over
HTTP, check its size and SHA-256 (and a 2.0.1 update's signature), report their progress and reboot
with the new version, whatever the image's format.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from certificates import pki
from simulator import make_station
from simulator.firmware import simulated_firmware_image
from tests.servers import Platform, free_port, station_password, unique_identity, until

pytestmark = pytest.mark.e2e


NETWORK = "Firmware E2E"


def firmware_platform(root: Path, *, redis_url: str | None = None) -> Platform:
    port = free_port()
    instance = Platform.create(
        root,
        port=port,
        redis_url=redis_url,
        env={
            # The links must name the daphne the stations reach.
            "FIRMWARE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "OCPP_AUTH_FAILURES_PER_MINUTE": "10000",
        },
    )
    instance.start_daphne()
    instance.api.ensure_network(NETWORK)
    return instance


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Iterator[Platform]:
    """The embedded defaults: in-memory channel layer, Celery tasks in-process."""
    instance = firmware_platform(tmp_path_factory.mktemp("firmware"))
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory, redis_server) -> Iterator[Platform]:
    """Redis channel layer and broker, UpdateFirmware delivered by a separate Celery worker."""
    instance = firmware_platform(tmp_path_factory.mktemp("firmware-redis"), redis_url=redis_server.url())
    try:
        instance.start_worker()
        yield instance
    finally:
        instance.stop()


def upload(platform: Platform, *, image: bytes, version: str, filename: str, **extra: str) -> dict:
    """POST /api/firmware/ as multipart, the way curl -F does."""
    boundary = secrets.token_hex(16)
    fields = {"network": NETWORK, "version": version, "vendor": "Switch", "model": "SimCharger", **extra}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + image + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{platform.http_url}/api/firmware/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {platform.token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


async def run_update(platform: Platform, ocpp_version: str, *, firmware_id: int, cut_at: int | None = None, retries: int = 0):
    identity, password = unique_identity(f"FW{ocpp_version.replace('.', '')}"), station_password()
    platform.api.create_station(identity=identity, password=password, network=NETWORK)
    station = make_station(
        ocpp_version,
        identity=identity, password=password, url=platform.ocpp_url, firmware_version="1.0.0", vendor="Switch", model="SimCharger"
    )
    station.firmware_cut_first_download_at = cut_at
    await station.connect()
    try:
        await station.boot()
        await platform.api.station_when(identity, lambda s: s["connected"] and s["firmware_version"] == "1.0.0", what="booted")
        response = platform.api.post(
            f"/api/charging_stations/{identity}/actions/update_firmware/",
            json_body={"firmware": firmware_id, "retries": retries, "retry_interval": 1},
            expect=202,
        )
        update = response.json()
        await until(lambda: getattr(station, "firmware_task", None), timeout=15, what="UpdateFirmware at the station")
        installed = await asyncio.wait_for(station.firmware_task, 60)

        def finished() -> dict | None:
            body = platform.api.get(f"/api/firmware_updates/{update['id']}/", expect=200).json()
            return body if body["finished"] else None

        final = await until(finished, timeout=20, what="the update to finish", interval=0.2)
        return station, identity, update, final, installed
    finally:
        await station.disconnect()
        assert not station.errors_sent, f"the station answered the platform with CALLERRORs: {station.errors_sent}"


@pytest.mark.parametrize("ocpp_version", ["1.6", "2.0.1"])
async def test_a_station_downloads_installs_and_boots_the_new_version(platform, ocpp_version):
    image = simulated_firmware_image("2.0.0", size=300_000)
    firmware = upload(platform, image=image, version="2.0.0", filename="sim-2.0.0.bin")
    assert (firmware["sha256"], firmware["size"]) == (hashlib.sha256(image).hexdigest(), len(image))

    # The first transfer breaks after 100 kB: the station resumes with a Range request.
    station, identity, update, final, installed = await run_update(
        platform, ocpp_version, firmware_id=firmware["id"], cut_at=100_000, retries=1
    )
    assert installed is True
    [(_, sent)] = [(a, p) for a, p in station.received if a == "UpdateFirmware"]
    assert sent["location"].startswith(f"{platform.http_url}/firmware/download/")
    assert sent["request_id"] == (update["request_id"] if ocpp_version == "2.0.1" else None)
    assert station.firmware_download.attempts == 2
    assert station.firmware_download.digest.hexdigest() == firmware["sha256"]

    statuses = [event["status"] for event in final["timeline"]]
    expected = ["Downloading", "Downloaded", "Installing", "Installed"]
    if ocpp_version == "2.0.1":
        expected.insert(3, "InstallRebooting")
    assert [s for s in statuses if s in expected] == expected
    assert statuses[0] == "Requested"
    assert "Accepted" in statuses if ocpp_version == "2.0.1" else "Sent" in statuses
    assert final["status"] == "Installed" and not final["failed"]
    # The new version arrives with the BootNotification after the reboot.
    seen = await platform.api.station_when(identity, lambda s: s["firmware_version"] == "2.0.0", what="new version")
    assert seen["connected"] is False or seen["firmware_version"] == "2.0.0"

    # The link works without credentials for this update, and nothing else does.
    with urllib.request.urlopen(sent["location"], timeout=10) as response:
        assert hashlib.sha256(response.read()).hexdigest() == firmware["sha256"]
    tampered = sent["location"].replace("/download/", "/download/x")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{platform.http_url}/api/firmware/{firmware['id']}/download/", timeout=10)
    assert anonymous.value.code == 401


async def test_a_corrupted_image_fails_the_download_and_shows_red(platform):
    image = simulated_firmware_image("3.0.0", size=50_000)
    firmware = upload(platform, image=image, version="3.0.0", filename="sim-3.0.0.bin")
    # Bit rot in storage: the bytes no longer match the SHA-256 recorded at upload.
    [stored] = list(Path(platform.var_dir, "media", "firmware").glob("*/sim-3.0.0.bin"))
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF
    stored.write_bytes(bytes(data))

    station, identity, update, final, installed = await run_update(platform, "1.6", firmware_id=firmware["id"])
    assert installed is False and station.firmware_problem == "SHA-256 mismatch"
    assert final["status"] == "DownloadFailed" and final["failed"] is True
    assert platform.api.station(identity)["firmware_version"] == "1.0.0"
    page = platform.admin().page(f"/admin/firmware/firmwareupdate/{update['id']}/change/")
    assert '<span class="equipment faulted">DownloadFailed</span>' in page


async def test_an_update_through_the_celery_worker_and_redis(redis_cluster):
    image = simulated_firmware_image("4.0.0", size=20_000)
    firmware = upload(redis_cluster, image=image, version="4.0.0", filename="sim-4.0.0.bin")
    station, identity, update, final, installed = await run_update(redis_cluster, "2.0.1", firmware_id=firmware["id"])
    assert installed is True
    assert final["status"] == "Installed"
    statuses = [e["status"] for e in final["timeline"]]
    # The answer and the first notification race through the consumer; both are on the timeline.
    assert statuses[0] == "Requested" and "Accepted" in statuses and statuses[-1] == "Installed"
    await redis_cluster.api.station_when(identity, lambda s: s["firmware_version"] == "4.0.0", what="new version")


@pytest.mark.parametrize("ocpp_version", ["1.6", "2.0.1"])
async def test_any_image_is_installed_and_its_version_read_from_its_name(platform, ocpp_version):
    # A vendor's image, not the simulator's own format: a real station installs what it downloaded.
    image = os.urandom(40_000)
    firmware = upload(platform, image=image, version="5.1.0", filename="acme-ac22-5.1.0.bin")
    station, identity, update, final, installed = await run_update(platform, ocpp_version, firmware_id=firmware["id"])
    assert installed is True, getattr(station, "firmware_problem", None)
    assert final["status"] == "Installed" and not final["failed"]
    assert station.firmware_download.digest.hexdigest() == firmware["sha256"]
    await platform.api.station_when(identity, lambda s: s["firmware_version"] == "5.1.0", what="the version in the name")


def signed(image: bytes, *, signer_image: bytes | None = None) -> dict[str, str]:
    """OCPP 2.0.1 FirmwareType.signature and signingCertificate: ECDSA P-256 over SHA-256 of the image."""
    key = pki.generate_key("ec")
    certificate = pki.build_ca(key=key, common_name="Firmware signing")
    signature = key.sign(signer_image if signer_image is not None else image, ec.ECDSA(hashes.SHA256()))
    return {"signature": base64.b64encode(signature).decode("ascii"), "signing_certificate": pki.cert_pem(certificate).decode("ascii")}


async def test_a_signed_image_is_verified_before_it_is_installed(platform):
    image = os.urandom(30_000)
    firmware = upload(platform, image=image, version="6.0.0", filename="acme-6.0.0.bin", **signed(image))
    station, identity, update, final, installed = await run_update(platform, "2.0.1", firmware_id=firmware["id"])
    assert installed is True, getattr(station, "firmware_problem", None)
    statuses = [event["status"] for event in final["timeline"]]
    assert statuses.index("Downloaded") < statuses.index("SignatureVerified") < statuses.index("Installing")
    assert final["status"] == "Installed"


async def test_a_bad_signature_is_refused_with_its_reason(platform):
    image = os.urandom(30_000)
    firmware = upload(platform, image=image, version="6.6.6", filename="acme-6.6.6.bin", **signed(image, signer_image=b"other"))
    station, identity, update, final, installed = await run_update(platform, "2.0.1", firmware_id=firmware["id"])
    assert installed is False and station.firmware_problem == "the signature does not match the image"
    # L01.FR.03/04: the status names the reason, and a security event carries it to the CSMS.
    assert final["status"] == "InvalidSignature" and final["failed"] is True
    assert platform.api.station(identity)["firmware_version"] == "1.0.0"
    events = platform.admin().page(f"/console/stations/{identity}/maintenance/")
    assert "InvalidFirmwareSignature" in events and "the signature does not match the image" in events
