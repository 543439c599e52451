"""Per-update download links: the one way to a firmware image without logging in.

A link carries the update id and the firmware id, signed with SECRET_KEY by a TimestampSigner:
it cannot be guessed or altered, and it stops working ``update.link_max_age`` seconds after it
was made. The station needs no credentials for it (OCPP 1.6 §5.17 / 2.0.1 L01 give it only a URI).
"""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

from firmware.models import FirmwareUpdate

_SALT = "firmware.download-link"


class LinkExpired(Exception):
    """The signature is genuine but the link is past its max age."""


class _UpdateSigner(signing.TimestampSigner):
    """Stamps the link with the update's creation time, not the time of signing.

    The same update always gets the same link (a resent UpdateFirmware carries it unchanged), and
    its max age counts from the request, like ``link_expires_at``.
    """

    def __init__(self, *, signed_at: float | None = None) -> None:
        super().__init__(salt=_SALT)
        self.signed_at = signed_at

    def timestamp(self) -> str:
        if self.signed_at is None:
            return super().timestamp()
        return signing.b62_encode(int(self.signed_at))


def _signer() -> signing.TimestampSigner:
    return _UpdateSigner()


def firmware_link_token(*, update: FirmwareUpdate) -> str:
    signer = _UpdateSigner(signed_at=update.created_at.timestamp())
    return signer.sign_object({"u": update.pk, "f": update.firmware_id})


def firmware_link_url(*, update: FirmwareUpdate) -> str:
    """The absolute URL sent to the station in UpdateFirmware (2.0.1 caps it at 512 characters)."""
    path = reverse(
        "firmware-download",
        kwargs={"token": firmware_link_token(update=update), "filename": quote(update.firmware.filename)},
    )
    return f"{settings.FIRMWARE_PUBLIC_BASE_URL}{path}"


def firmware_link_resolve(*, token: str) -> FirmwareUpdate | None:
    """The update a link belongs to; None when the token is altered or names nothing.

    Raises LinkExpired when the link is genuine but too old.
    """
    signer = _signer()
    try:
        # First the signature alone, to learn which update's max age applies.
        data = signer.unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    update = (
        FirmwareUpdate.objects.select_related("firmware")
        .filter(pk=data.get("u"), firmware_id=data.get("f"))
        .first()
    )
    if update is None:
        return None
    try:
        signer.unsign_object(token, max_age=update.link_max_age)
    except signing.SignatureExpired:
        raise LinkExpired from None
    return update
