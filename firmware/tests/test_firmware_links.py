"""The station's download link: no login, signed, expiring, with byte ranges."""
from __future__ import annotations

import base64
import hashlib
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest

from firmware.links import firmware_link_token, firmware_link_url
from firmware.services import firmware_update_request
from firmware.tests.conftest import IMAGE, make_firmware, sha256

pytestmark = pytest.mark.django_db


@pytest.fixture
def update(station_a, firmware_a):
    [update] = firmware_update_request(stations=[station_a], firmware=firmware_a, send=False)
    return update


def link_path(update) -> str:
    return urlsplit(firmware_link_url(update=update)).path


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_link_is_absolute_on_the_public_base_url(update, settings):
    settings.FIRMWARE_PUBLIC_BASE_URL = "https://csms.example.net"
    url = firmware_link_url(update=update)
    assert url.startswith("https://csms.example.net/firmware/download/")
    assert url.endswith("/eve-2.0.0.bin")
    # OCPP 2.0.1 FirmwareType.location is at most 512 characters.
    assert len(url) < 200


def test_a_valid_link_downloads_without_login(client, update):
    response = client.get(link_path(update))
    assert response.status_code == 200
    assert body(response) == IMAGE
    assert response["Content-Length"] == str(len(IMAGE))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{sha256(IMAGE)}"'
    assert response["Digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(IMAGE).digest()).decode()
    assert 'filename="eve-2.0.0.bin"' in response["Content-Disposition"]


def test_head_answers_the_size_without_a_body(client, update):
    response = client.head(link_path(update))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(IMAGE))
    assert body(response) == b""


def test_an_altered_link_is_not_found(client, update, firmware_a):
    path = link_path(update)
    token = path.split("/")[3]
    # Flip one character of the signature, then of the signed value.
    flipped_sig = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(path.replace(token, flipped_sig)).status_code == 404
    flipped_value = ("x" if token[0] != "x" else "y") + token[1:]
    assert client.get(path.replace(token, flipped_value)).status_code == 404
    assert client.get("/firmware/download/not-a-token/eve.bin").status_code == 404


def test_a_link_signed_for_another_update_or_image_is_not_found(client, update, firmware_a, network_a):
    from django.core import signing

    other = make_firmware(network=network_a, content=b"other")
    # A genuine signature over ids that do not belong together (update X with image Y).
    forged = signing.TimestampSigner(salt="firmware.download-link").sign_object({"u": update.pk, "f": other.pk})
    assert client.get(f"/firmware/download/{forged}/x.bin").status_code == 404
    # Signed with another salt (another kind of platform token) does not open a download either.
    foreign = signing.TimestampSigner(salt="something-else").sign_object({"u": update.pk, "f": firmware_a.pk})
    assert client.get(f"/firmware/download/{foreign}/x.bin").status_code == 404


def test_an_expired_link_is_forbidden(client, station_a, firmware_a, settings):
    settings.FIRMWARE_LINK_MAX_AGE = 60
    [update] = firmware_update_request(stations=[station_a], firmware=firmware_a, send=False)
    path = link_path(update)
    assert update.link_max_age == 60
    # The link is stamped with the update's creation time (whole seconds).
    signed_at = int(update.created_at.timestamp())
    assert signed_at <= time.time()
    with mock.patch("django.core.signing.time.time", return_value=signed_at + 59):
        assert client.get(path).status_code == 200
    with mock.patch("django.core.signing.time.time", return_value=signed_at + 61):
        response = client.get(path)
    assert response.status_code == 403
    assert b"expired" in response.content


def test_the_link_outlives_a_scheduled_retrieve_time_and_its_retries(station_a, firmware_a, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.FIRMWARE_LINK_MAX_AGE = 3600
    retrieve_at = timezone.now() + timedelta(hours=5)
    [update] = firmware_update_request(
        stations=[station_a], firmware=firmware_a, retrieve_at=retrieve_at, retries=3, retry_interval=600, send=False
    )
    assert 3600 + 5 * 3600 + 1800 - 2 <= update.link_max_age <= 3600 + 5 * 3600 + 1800
    assert abs((update.link_expires_at - (retrieve_at + timedelta(seconds=3600 + 1800))).total_seconds()) < 3


def test_each_update_has_its_own_stable_link(station_a, firmware_a):
    one, two = (firmware_update_request(stations=[station_a], firmware=firmware_a, send=False)[0] for _ in range(2))
    assert firmware_link_token(update=one) != firmware_link_token(update=two)
    # Resending an update's UpdateFirmware carries the same link, with the same expiry.
    time.sleep(1.1)
    assert firmware_link_token(update=one) == firmware_link_token(update=one.__class__.objects.get(pk=one.pk))


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, len(IMAGE) - 1),
        ("bytes=-44", len(IMAGE) - 44, len(IMAGE) - 1),
        ("bytes=10000-99999", 10000, len(IMAGE) - 1),
        ("bytes=-999999", 0, len(IMAGE) - 1),
    ],
)
def test_a_single_range_gets_206_with_content_range(client, update, header, first, last):
    response = client.get(link_path(update), headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == IMAGE[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(IMAGE)}"
    assert response["Content-Length"] == str(last - first + 1)


HUGE = "9" * 4300  # Python's int() refuses more than 4,300 digits: this used to answer 500


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        (f"bytes=0-{HUGE}", 0, len(IMAGE) - 1),
        (f"bytes=-{HUGE}", 0, len(IMAGE) - 1),
        (f"bytes={'0' * 5000}5-{'0' * 5000}9", 5, 9),
    ],
    ids=["huge-last", "huge-suffix", "long-zero-padded"],
)
def test_a_range_with_a_huge_number_is_read_as_past_the_end(client, update, header, first, last):
    response = client.get(link_path(update), headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == IMAGE[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(IMAGE)}"


@pytest.mark.parametrize(
    "header", ["bytes=10244-", "bytes=20000-20010", "bytes=-0", f"bytes={HUGE}-", f"bytes={HUGE}-{HUGE}9", "bytes=1" + "0" * 4300 + "-"]
)
def test_an_unsatisfiable_range_gets_416(client, update, header):
    response = client.get(link_path(update), headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(IMAGE)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=abc"])
def test_a_range_we_do_not_serve_gets_the_whole_file(client, update, header):
    response = client.get(link_path(update), headers={"Range": header})
    assert response.status_code == 200
    assert body(response) == IMAGE


def test_if_range_with_another_etag_gets_the_whole_file(client, update):
    path = link_path(update)
    stale = client.get(path, headers={"Range": "bytes=0-9", "If-Range": '"0000"'})
    assert stale.status_code == 200 and body(stale) == IMAGE
    fresh = client.get(path, headers={"Range": "bytes=0-9", "If-Range": f'"{sha256(IMAGE)}"'})
    assert fresh.status_code == 206 and body(fresh) == IMAGE[:10]


def test_ranges_reassemble_the_image(client, update):
    path = link_path(update)
    parts, start = [], 0
    while start < len(IMAGE):
        response = client.get(path, headers={"Range": f"bytes={start}-{start + 4095}"})
        assert response.status_code == 206
        parts.append(body(response))
        start += 4096
    assert hashlib.sha256(b"".join(parts)).hexdigest() == sha256(IMAGE)


def test_only_get_and_head(client, update):
    assert client.post(link_path(update)).status_code == 405


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_image_streams_chunk_by_chunk(async_client, station_a, firmware_a):
    from asgiref.sync import sync_to_async

    from firmware.downloads import CHUNK_SIZE

    [update] = await sync_to_async(firmware_update_request)(stations=[station_a], firmware=firmware_a, send=False)
    path = await sync_to_async(link_path)(update)
    response = await async_client.get(path, headers={"Range": "bytes=1-"})
    # An async iterator: Django's ASGI handler forwards it chunk by chunk instead of listing it whole.
    assert response.status_code == 206 and response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert b"".join(chunks) == IMAGE[1:]
    assert max(len(c) for c in chunks) <= CHUNK_SIZE
