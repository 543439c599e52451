"""A simulated station's side of a firmware update (OCPP 1.6 §5.19 / 2.0.1 L01).

Mix ``FirmwareUpdateMixin`` into a simulated station (``simulator.v16``/``v201``) before its
protocol class: it answers UpdateFirmware, waits for the retrieve time, downloads the image from
the link over HTTP(S) (resuming with a Range request after a broken transfer), checks its size
against Content-Length and its SHA-256 against the server's Digest header, reports
Downloading → Downloaded → Installing → Installed (2.0.1: InstallRebooting before the reboot,
Installed after it) and reboots reporting the image's version in BootNotification.

The station needs from its host class: ``ocpp_version``, ``firmware_version``, ``request()``,
``spawn()``, ``reboot(reason)`` and ``record()``.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

logger = logging.getLogger(__name__)

IMAGE_MAGIC = b"SWITCH-SIMFW "
CHUNK = 64 * 1024


def simulated_firmware_image(version: str, size: int = 256 * 1024) -> bytes:
    """An image the simulator can install: a header naming its version, then filler bytes."""
    header = IMAGE_MAGIC + version.encode("ascii") + b"\n"
    filler = hashlib.sha256(version.encode()).digest() * (size // 32 + 1)
    return (header + filler)[: max(size, len(header))]


def image_version(head: bytes) -> str | None:
    """The version in an image's header, or None for an image the simulator cannot install."""
    if not head.startswith(IMAGE_MAGIC):
        return None
    line = head[len(IMAGE_MAGIC) :].split(b"\n", 1)[0]
    return line.decode("ascii", "replace").strip() or None


class DownloadError(Exception):
    pass


@dataclass
class Download:
    """What arrived: size, SHA-256, the first bytes (for the header); never the whole image."""

    size: int = 0
    head: bytes = b""
    digest: Any = field(default_factory=hashlib.sha256)
    expected_size: int | None = None
    expected_sha256: str | None = None
    attempts: int = 0


def _parse_digest_header(value: str | None) -> str | None:
    # RFC 3230: "sha-256=<base64>", possibly among other algorithms.
    for part in (value or "").split(","):
        name, _, encoded = part.strip().partition("=")
        if name.lower() == "sha-256" and encoded:
            return base64.b64decode(encoded).hex()
    return None


def download_image(url: str, *, progress: Download, timeout: float = 30, stop_after: int | None = None) -> Download:
    """Fetch the rest of ``url`` into ``progress`` (blocking; run it in a thread).

    With bytes already received it asks for ``bytes=<received>-`` and requires a 206. Raises
    DownloadError on an HTTP error or a broken transfer, keeping what arrived for the next attempt.
    ``stop_after`` cuts the transfer after that many bytes (to exercise resuming).
    """
    progress.attempts += 1
    request = urllib.request.Request(url, headers={"User-Agent": "switch-simulator"})
    if progress.size:
        request.add_header("Range", f"bytes={progress.size}-")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if progress.size and response.status != 206:
                raise DownloadError(f"asked to resume at {progress.size}, got HTTP {response.status}")
            if progress.size == 0:
                length = response.headers.get("Content-Length")
                progress.expected_size = int(length) if length is not None else None
            progress.expected_sha256 = progress.expected_sha256 or _parse_digest_header(response.headers.get("Digest"))
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                if len(progress.head) < 256:
                    progress.head += chunk[: 256 - len(progress.head)]
                progress.digest.update(chunk)
                progress.size += len(chunk)
                if stop_after is not None and progress.size >= stop_after:
                    raise DownloadError(f"transfer cut after {progress.size} bytes")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(str(exc)) from None
    return progress


def check_image(progress: Download) -> str | None:
    """Why the image is unusable, or None when size and SHA-256 match what the server announced."""
    if progress.expected_size is not None and progress.size != progress.expected_size:
        return f"size {progress.size} != {progress.expected_size}"
    if progress.expected_sha256 is None:
        return "the server sent no SHA-256 digest"
    if progress.digest.hexdigest() != progress.expected_sha256:
        return "SHA-256 mismatch"
    if image_version(progress.head) is None:
        return "not a firmware image for this station"
    return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FirmwareUpdateMixin:
    """UpdateFirmware for a simulated station (place before the station class in the bases)."""

    #: Cut the first download attempt after this many bytes (tests of the Range resume).
    firmware_cut_first_download_at: int | None = None
    #: Longest wait for a retrieve time in the future, in seconds (a simulator does not sleep for days).
    firmware_max_retrieve_wait: float = 60.0

    @on("UpdateFirmware")
    def on_update_firmware(self, retries: int | None = None, retry_interval: int | None = None, **kwargs):
        if self.ocpp_version == "1.6":
            location, retrieve = kwargs["location"], kwargs.get("retrieve_date")
            request_id = None
        else:
            firmware = kwargs["firmware"]
            location, retrieve = firmware["location"], firmware.get("retrieve_date_time")
            request_id = kwargs["request_id"]
        self.record("UpdateFirmware", {"location": location, "retrieve": retrieve, "request_id": request_id, "retries": retries, "retry_interval": retry_interval})
        self.firmware_job = dict(
            location=location, retrieve=retrieve, request_id=request_id, retries=retries or 0, retry_interval=retry_interval or 1
        )
        if self.ocpp_version == "1.6":
            return result16.UpdateFirmware()
        return result201.UpdateFirmware(status="Accepted")

    @after("UpdateFirmware")
    def after_update_firmware(self, **kwargs):
        self.firmware_task = self.spawn(self.firmware_update_run(**self.firmware_job))

    async def firmware_status(self, status: str, request_id: int | None) -> None:
        self.firmware_statuses = [*getattr(self, "firmware_statuses", []), status]
        if self.ocpp_version == "1.6":
            await self.request(call16.FirmwareStatusNotification(status=status))
        else:
            await self.request(call201.FirmwareStatusNotification(status=status, request_id=request_id))

    async def firmware_update_run(
        self, *, location: str, retrieve: str | None, request_id: int | None, retries: int, retry_interval: int
    ) -> bool:
        """The whole update; returns True once the new version is installed and booted."""
        when = _parse_time(retrieve)
        if when is not None:
            wait = (when - datetime.now(timezone.utc)).total_seconds()
            if wait > 0:
                if self.ocpp_version != "1.6":
                    await self.firmware_status("DownloadScheduled", request_id)
                await asyncio.sleep(min(wait, self.firmware_max_retrieve_wait))
        await self.firmware_status("Downloading", request_id)
        progress = Download()
        cut_at = self.firmware_cut_first_download_at
        problem: str | None = None
        for attempt in range(retries + 1):
            try:
                await asyncio.to_thread(download_image, location, progress=progress, stop_after=cut_at)
                problem = None
                break
            except DownloadError as exc:
                problem = str(exc)
                cut_at = None
                logger.info("%s: firmware download attempt %s failed: %s", self.identity, attempt + 1, problem)
                if attempt < retries:
                    await asyncio.sleep(retry_interval)
        if problem is None:
            problem = check_image(progress)
        self.firmware_download = progress
        if problem is not None:
            self.firmware_problem = problem
            await self.firmware_status("DownloadFailed", request_id)
            return False
        await self.firmware_status("Downloaded", request_id)
        await self.firmware_status("Installing", request_id)
        new_version = image_version(progress.head)
        if self.ocpp_version == "1.6":
            await self.firmware_status("Installed", request_id)
            self.firmware_version = new_version
            await self.reboot("FirmwareUpdate")
        else:
            # 2.0.1 L01.FR.?: InstallRebooting before the reboot, Installed once running the new image.
            await self.firmware_status("InstallRebooting", request_id)
            self.firmware_version = new_version
            await self.reboot("FirmwareUpdate")
            await self.firmware_status("Installed", request_id)
        return True
