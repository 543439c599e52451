"""A simulated station's side of a firmware update (OCPP 1.6 §5.19 / 2.0.1 L01).

Mix ``FirmwareUpdateMixin`` into a simulated station (``simulator.v16``/``v201``) before its
protocol class: it answers UpdateFirmware, waits for the retrieve time, downloads the image from
the link over HTTP(S) (resuming with a Range request after a broken transfer), checks its size
against Content-Length and its SHA-256 against the server's Digest header when the server sends
them, and (2.0.1) the update's signature when it carries one; reports Downloading → Downloaded →
Installing → Installed (2.0.1: InstallRebooting before the reboot, Installed after it) and reboots
reporting the image's version in BootNotification.

Like a real station it installs whatever image it downloaded: the version is the one in the header
of a ``simulated_firmware_image``, else the version in the file's name (``abb-terra-2.1.0.bin``),
else ``sha256-<first 8 hex digits>``. Why an update failed is logged and kept in
``firmware_problem``; 1.6 can only say DownloadFailed, 2.0.1 names the reason in its status
(InstallVerificationFailed, InvalidSignature) and sends SecurityEventNotification
InvalidFirmwareSignature with the reason as techInfo (L01.FR.03/04).

The station needs from its host class: ``ocpp_version``, ``firmware_version``, ``request()``,
``spawn()``, ``reboot(reason)`` and ``record()``.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
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
    """The version in a simulated image's header, or None for an image of another format."""
    if not head.startswith(IMAGE_MAGIC):
        return None
    line = head[len(IMAGE_MAGIC) :].split(b"\n", 1)[0]
    return line.decode("ascii", "replace").strip()[:50] or None


_VERSION_IN_NAME = re.compile(r"\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.]+)?")


def installed_version(*, head: bytes, location: str, sha256: str) -> str:
    """The version a station reports after installing the image (BootNotification firmwareVersion,
    at most 50 characters): its header's, else the one in its file name, else a digest prefix."""
    version = image_version(head)
    if version:
        return version
    name = urllib.parse.unquote(urllib.parse.urlsplit(location).path.rsplit("/", 1)[-1])
    found = _VERSION_IN_NAME.findall(name)
    if found:
        return found[-1][:50]
    return f"sha256-{sha256[:8]}"


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
    """Why the image is unusable, or None when it matches what the server announced: its size
    (Content-Length) and SHA-256 (Digest) where the server sent them. Any format is installable."""
    if progress.expected_size is not None and progress.size != progress.expected_size:
        return f"size {progress.size} != {progress.expected_size}"
    if progress.expected_sha256 is not None and progress.digest.hexdigest() != progress.expected_sha256:
        return "SHA-256 mismatch"
    return None


def check_signature(progress: Download, *, signature: str, certificate: str) -> str | None:
    """Why the update's signature does not verify (2.0.1 L01: a Base64 signature of the image by the
    signing certificate's key, RSA PKCS#1 v1.5 or ECDSA over SHA-256), or None when it does."""
    try:
        public_key = x509.load_pem_x509_certificate(certificate.encode("ascii")).public_key()
    except ValueError as exc:
        return f"unreadable signing certificate: {exc}"
    try:
        raw = base64.b64decode(signature, validate=True)
    except ValueError:
        return "the signature is not Base64"
    digest = progress.digest.digest()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            return f"unsupported signing key {type(public_key).__name__}"
    except InvalidSignature:
        return "the signature does not match the image"
    return None


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
            request_id, signature, certificate = None, None, None
        else:
            firmware = kwargs["firmware"]
            location, retrieve = firmware["location"], firmware.get("retrieve_date_time")
            request_id = kwargs["request_id"]
            signature, certificate = firmware.get("signature"), firmware.get("signing_certificate")
        self.record("UpdateFirmware", {"location": location, "retrieve": retrieve, "request_id": request_id, "retries": retries, "retry_interval": retry_interval})
        self.firmware_job = dict(
            location=location, retrieve=retrieve, request_id=request_id, retries=retries or 0, retry_interval=retry_interval or 1,
            signature=signature, certificate=certificate,
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

    async def firmware_failed(self, status: str, request_id: int | None, problem: str) -> bool:
        """Report a failed update; the reason goes to the log (the simulate_station output) and to
        ``firmware_problem``: 1.6 FirmwareStatusNotification carries no reason."""
        self.firmware_problem = problem
        logger.warning("%s: firmware update failed (%s): %s", self.identity, status, problem)
        await self.firmware_status(status, request_id)
        return False

    async def firmware_update_run(
        self, *, location: str, retrieve: str | None, request_id: int | None, retries: int, retry_interval: int,
        signature: str | None = None, certificate: str | None = None,
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
        self.firmware_download = progress
        if problem is not None:
            return await self.firmware_failed("DownloadFailed", request_id, problem)
        problem = check_image(progress)
        if problem is not None:
            # 2.0.1 L01: a checksum that fails is InstallVerificationFailed; 1.6 §7.25 has only DownloadFailed.
            status = "DownloadFailed" if self.ocpp_version == "1.6" else "InstallVerificationFailed"
            return await self.firmware_failed(status, request_id, problem)
        await self.firmware_status("Downloaded", request_id)
        if self.ocpp_version != "1.6" and signature and certificate:
            problem = check_signature(progress, signature=signature, certificate=certificate)
            if problem is not None:
                # L01.FR.03/04: InvalidSignature, and a security event saying why.
                await self.request(
                    call201.SecurityEventNotification(type="InvalidFirmwareSignature", timestamp=_now_iso(), tech_info=problem[:255])
                )
                return await self.firmware_failed("InvalidSignature", request_id, problem)
            await self.firmware_status("SignatureVerified", request_id)
        await self.firmware_status("Installing", request_id)
        new_version = installed_version(head=progress.head, location=location, sha256=progress.digest.hexdigest())
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
