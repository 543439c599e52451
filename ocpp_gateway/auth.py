"""Station authentication at the websocket handshake (OCPP 1.6 Security Whitepaper / 2.0.1 Part 2 A00).

Security profile 1: HTTP Basic over ws://. The username must be the identity in the URL. Runs
before the websocket opens: a refused station gets HTTP 403 from daphne.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from stations.models import Station
from stations.services import station_connection_refused

logger = logging.getLogger(__name__)

# (identity, password_hash, sha256(password)) of verifications that succeeded. PBKDF2 costs
# milliseconds by design; after an outage thousands of stations reconnect at once with the same
# credentials. Keyed by the stored hash too, so a password change invalidates the entry.
_verified: set[tuple[str, str, str]] = set()
_VERIFIED_MAX = 100_000


@dataclass(frozen=True)
class AuthResult:
    station: Station | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.station is not None


def _basic_credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        # RFC 7617: the user-id cannot contain ':'; the password may. Stations send UTF-8.
        username, sep, password = decoded.decode("utf-8", errors="replace").partition(":")
        return (username, password) if sep else None
    return None


def _throttle_key(client_address: str) -> str:
    minute = int(timezone.now().timestamp() // 60)
    return f"ocpp-auth-failures:{client_address}:{minute}"


def _note_failure(client_address: str) -> None:
    key = _throttle_key(client_address)
    if cache.add(key, 1, timeout=120):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=120)


def _password_ok(station: Station, password: str) -> bool:
    digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
    key = (station.identity, station.password_hash, digest)
    if key in _verified:
        return True
    if not station.check_password(password):
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified.add(key)
    return True


def station_authenticate(*, identity: str, headers: list[tuple[bytes, bytes]], client_address: str) -> AuthResult:
    """Check a connecting station's credentials; record refusals on the station (never the password).

    Synchronous: the consumer calls it through database_sync_to_async, one thread hop for the cache,
    the station row and the hash.
    """
    if (cache.get(_throttle_key(client_address)) or 0) >= settings.OCPP_AUTH_FAILURES_PER_MINUTE:
        # Refused without touching the database or the hasher: that is the point of the throttle.
        return AuthResult(None, f"too many failed logins from {client_address}")

    station = Station.objects.filter(identity=identity).select_related("network").first()
    credentials = _basic_credentials(headers)
    reason = ""
    if station is None:
        reason = "unknown identity"
    elif credentials is None:
        reason = "no HTTP Basic credentials (security profile 1 requires them)"
    elif credentials[0] != identity:
        reason = f"Basic auth username {credentials[0][:60]!r} is not the station identity"
    elif not _password_ok(station, credentials[1]):
        reason = "wrong password"
    if not reason:
        return AuthResult(station)

    _note_failure(client_address)
    logger.warning("Refused station %r from %s: %s", identity, client_address, reason)
    if station is not None:
        station_connection_refused(
            station=station, reason=f"Connection refused from {client_address}: {reason}", at=timezone.now()
        )
    return AuthResult(None, reason)
