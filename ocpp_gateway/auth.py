"""Station authentication at the websocket handshake (OCPP 1.6 Security Whitepaper / 2.0.1 Part 2 A00).

Security profile 1: HTTP Basic over ws://; 2: Basic over wss://; 3: a client certificate over wss://
(TLS ends at nginx, see certificates.proxy). The username must be the identity in the URL. Runs
before the websocket opens: a refused station gets HTTP 403 from daphne.
"""
from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from certificates.proxy import TlsInfo
from certificates.services import station_admission, station_connection_secured
from stations.models import Station
from stations.services import station_connection_refused

logger = logging.getLogger(__name__)

PLAIN = TlsInfo(tls=False, client_verify="", client_dn="", client_cn=None)



@dataclass(frozen=True)
class AuthResult:
    station: Station | None
    reason: str = ""
    # The security profile the connection was admitted on.
    profile: int | None = None

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


# --- Verified-credential cache (issue 17, engineer E) ---------------------------------------------
# PBKDF2 costs ~13 ms of CPU by design, and after a node restart or a network outage thousands of
# stations log in again at once with the credentials they used before: hashing them all again is
# what made a reconnect storm time out. A password that verified once is remembered as a keyed
# digest in the database (ocpp_gateway.VerifiedCredential), so it survives restarts and is shared
# by every node. The digest covers the stored hash, so a password change (new salt, new hash) makes
# it stale at once; it is keyed with SECRET_KEY, so the database alone does not allow a fast guess.
_DIGEST_SALT = "ocpp_gateway.auth.verified-credential"


def _credential_digest(station: Station, password: str) -> str:
    return salted_hmac(_DIGEST_SALT, f"{station.password_hash}\0{password}", algorithm="sha256").hexdigest()


def _password_ok(station: Station, password: str) -> bool:
    from ocpp_gateway.models import VerifiedCredential

    if not station.password_hash:
        return False
    digest = _credential_digest(station, password)
    known = VerifiedCredential.objects.filter(station_id=station.pk).values_list("digest", flat=True).first()
    if known is not None and constant_time_compare(known, digest):
        return True
    if not station.check_password(password):
        return False
    if not VerifiedCredential.objects.filter(station_id=station.pk).update(digest=digest, verified_at=timezone.now()):
        VerifiedCredential.objects.get_or_create(station_id=station.pk, defaults={"digest": digest, "verified_at": timezone.now()})
    return True


# --- end of the verified-credential cache ----------------------------------------------------------


def station_authenticate(
    *, identity: str, headers: list[tuple[bytes, bytes]], client_address: str, tls: TlsInfo | None = None
) -> AuthResult:
    """Check a connecting station's credentials; record refusals on the station (never the password).

    ``tls`` is what the TLS terminator said about the connection (certificates.proxy.tls_info):
    it decides the security profile (1 plain + Basic, 2 TLS + Basic, 3 TLS + client certificate)
    and no station may arrive below its recorded minimum (certificates.services.station_admission).

    Synchronous: the consumer calls it through database_sync_to_async, one thread hop for the cache,
    the station row and the hash.
    """
    tls = tls or PLAIN
    if (cache.get(_throttle_key(client_address)) or 0) >= settings.OCPP_AUTH_FAILURES_PER_MINUTE:
        # Refused without touching the database or the hasher: that is the point of the throttle.
        return AuthResult(None, f"too many failed logins from {client_address}")

    station = Station.objects.filter(identity=identity).select_related("network").first()
    credentials = _basic_credentials(headers)
    reason = ""
    if station is None:
        reason = "unknown identity"
    elif credentials is not None and credentials[0] != identity:
        reason = f"Basic auth username {credentials[0][:60]!r} is not the station identity"
    else:
        admission = station_admission(
            station=station, tls=tls, password=credentials[1] if credentials else None, password_check=_password_ok
        )
        if admission.accepted:
            station_connection_secured(station=station, profile=admission.profile, client_cn=tls.client_cn)
            return AuthResult(station, profile=admission.profile)
        reason = admission.reason

    _note_failure(client_address)
    logger.warning("Refused station %r from %s: %s", identity, client_address, reason)
    if station is not None:
        station_connection_refused(
            station=station, reason=f"Connection refused from {client_address}: {reason}", at=timezone.now()
        )
    return AuthResult(None, reason)
