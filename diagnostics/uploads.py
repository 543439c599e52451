"""Per-request upload URLs: the one way for a station to put a file on the platform without logging in.

The URL carries the request id and an HMAC of it under SECRET_KEY (``salted_hmac``): it cannot be
guessed or moved to another request. It is computed from the Command id alone, so the gateway can
build the GetLog / GetDiagnostics request on its event loop without the database.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "diagnostics.upload-url"
TOKEN_PATTERN = r"[0-9]{1,19}-[0-9a-f]{32}"
_TOKEN = re.compile(rf"^({TOKEN_PATTERN})$")


def _mac(request_id: int) -> str:
    return salted_hmac(_SALT, str(request_id), algorithm="sha256").hexdigest()[:32]


def upload_token(*, request_id: int) -> str:
    return f"{request_id}-{_mac(request_id)}"


def upload_url(*, request_id: int) -> str:
    """The absolute URL sent as 2.0.1 log.remoteLocation / 1.6 location (at most 512 characters)."""
    path = reverse("diagnostics-upload", kwargs={"token": upload_token(request_id=request_id)}).rstrip("/")
    # A trailing slash: 1.6 stations treat the location as a directory and append their file name.
    return f"{settings.DIAGNOSTICS_UPLOAD_BASE_URL}{path}/"


def upload_token_request_id(token: str) -> int | None:
    """The request id a genuine token names; None for an altered or made-up one."""
    if not _TOKEN.match(token or ""):
        return None
    request_id, mac = token.split("-", 1)
    return int(request_id) if constant_time_compare(mac, _mac(int(request_id))) else None
