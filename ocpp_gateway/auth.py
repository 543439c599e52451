"""Station authentication at the websocket handshake (OCPP 1.6 Security Whitepaper / 2.0.1 Part 2 A00).

Security profile 1: HTTP Basic over ws://; 2: Basic over wss://; 3: a client certificate over wss://
(TLS ends at nginx, see certificates.proxy). The username must be the identity in the URL. Runs
before the websocket opens: a refused station gets HTTP 401 (ocpp_gateway.server).

Refusals cost the same for known and unknown identities (an unknown one is verified against a
dummy hash), so timing does not tell which identities exist. Failures are counted per (address,
identity): stations behind one NAT do not lock each other out, and a throttled pair is slowed, never
refused outright, so a correct password always gets in (issue 12).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import random
import re
import secrets
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from certificates.proxy import TlsInfo
from certificates.services import station_admission, station_connection_secured, with_admission_state
from ocpp_gateway.refusals import refused_identity_record
from stations.models import Station
from stations.services import station_connection_refused
from switchplatform.prepared import PreparedQuery

logger = logging.getLogger(__name__)

PLAIN = TlsInfo(tls=False, client_verify="", client_dn="", client_cn=None)



@dataclass(frozen=True)
class AuthResult:
    station: Station | None
    reason: str = ""
    # The security profile the connection was admitted on.
    profile: int | None = None
    # Too many recent failures for this (address, identity) and the password is not one verified
    # before: the consumer verifies it after OCPP_AUTH_THROTTLE_DELAY, one attempt at a time.
    throttled: bool = False

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


def _throttle_key(client_address: str, identity: str, minute: int | None = None) -> str:
    # Per (address, identity): one address is often a NAT or a site router in front of many
    # stations, and one station's wrong password must not lock out its neighbours. The identity is
    # hashed: cache keys must be short and printable whatever a client sends.
    if minute is None:
        minute = int(timezone.now().timestamp() // 60)
    who = hashlib.sha256(f"{client_address}\0{identity}".encode("utf-8", "replace")).hexdigest()[:32]
    return f"ocpp-auth-failures:{who}:{minute}"


def login_throttled(*, client_address: str, identity: str) -> bool:
    """Failures in the last 60 s reached OCPP_AUTH_FAILURES_PER_MINUTE (a sliding window).

    Counted per clock minute; the previous minute counts for the part of it the last 60 s still
    cover, so guesses timed across a minute boundary do not get twice the rate."""
    now = timezone.now().timestamp()
    minute = int(now // 60)
    current, previous = _throttle_key(client_address, identity, minute), _throttle_key(client_address, identity, minute - 1)
    counts = cache.get_many([current, previous])
    covered = 1 - (now / 60 - minute)
    return counts.get(current, 0) + counts.get(previous, 0) * covered >= settings.OCPP_AUTH_FAILURES_PER_MINUTE


def _note_failure(client_address: str, identity: str) -> None:
    key = _throttle_key(client_address, identity)
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


def _known_digest(station: Station) -> str | None:
    """The digest remembered for the station (read with the station by station_authenticate)."""
    from ocpp_gateway.models import VerifiedCredential

    try:
        return station.verified_credential.digest
    except VerifiedCredential.DoesNotExist:
        return None


def _password_ok(station: Station, password: str) -> bool:
    from ocpp_gateway.models import VerifiedCredential

    if not station.password_hash:
        return False
    digest = _credential_digest(station, password)
    known = _known_digest(station)
    if known is not None and constant_time_compare(known, digest):
        return True
    if not station.check_password(password):
        return False
    if not VerifiedCredential.objects.filter(station_id=station.pk).update(digest=digest, verified_at=timezone.now()):
        VerifiedCredential.objects.get_or_create(station_id=station.pk, defaults={"digest": digest, "verified_at": timezone.now()})
    return True


# --- end of the verified-credential cache ----------------------------------------------------------


# --- Login admission (issue 17, engineer E) ----------------------------------------------------------
# A reconnect storm brings thousands of logins within a second, and a station gives up on its
# handshake after a timeout of its own (10 s is common). Served strictly in arrival order with no
# limit, the queue grows until every login waits longer than that: each is served after its
# station left, and the storm never ends. Served in arrival order with a bound, a login that would
# wait too long is answered at once with HTTP 503 and a Retry-After (the station backs off and
# comes back into a shorter queue), and one that waited too long after all is answered 503 unserved.
LOGIN_MAX_WAIT = 5.0
RETRY_AFTER = (5, 30)


class LoginAdmission:
    """Arrival-order admission for the auth threads: admit() at arrival, then expired() when served."""

    def __init__(self, *, threads: int, max_wait: float = LOGIN_MAX_WAIT) -> None:
        self.threads = threads
        self.max_wait = max_wait
        self.waiting = 0
        self.service = 0.005  # seconds per login on one thread (moving average)
        self._lock = threading.Lock()

    def admit(self, now: float) -> float | None:
        """The deadline of a login arriving now, or None when the queue ahead of it is too long."""
        with self._lock:
            if self.waiting * self.service / self.threads >= self.max_wait:
                return None
            self.waiting += 1
        return now + self.max_wait

    def serve(self, deadline: float, now: float) -> bool:
        """Its turn came (in an auth thread): False when it waited past its deadline."""
        with self._lock:
            self.waiting = max(0, self.waiting - 1)
        return now <= deadline

    def served(self, seconds: float) -> None:
        with self._lock:
            self.service = 0.9 * self.service + 0.1 * seconds

    @staticmethod
    def retry_after() -> bytes:
        return str(random.randint(*RETRY_AFTER)).encode()


# --- end of login admission -------------------------------------------------------------------------


def _password_known(station: Station, password: str) -> bool:
    """Only the cheap half of _password_ok: a password verified before (no hashing while throttled)."""
    if not station.password_hash:
        return False
    known = _known_digest(station)
    return known is not None and constant_time_compare(known, _credential_digest(station, password))


# Everything a known station's login reads, in one query compiled once (issue 17: reconnect storms).
_login_query = PreparedQuery(
    lambda identity: with_admission_state(Station.objects.filter(identity=identity))
    .select_related("network", "verified_credential")
    .order_by()[:1]
)

def _without_back_references(station: Station) -> Station:
    """The station, its one-to-one rows (credential, connection security) no longer caching it.

    Django caches a one-to-one both ways: station -> credential -> station is a cycle, and the
    station lives as long as its connection. Reference counting then cannot free a closed
    connection; only a full collection over the whole heap can (ocpp_gateway.gc_tuning).
    """
    for related in station._state.fields_cache.values():
        cache = getattr(getattr(related, "_state", None), "fields_cache", None)
        if cache:
            for name in [name for name, value in cache.items() if value is station]:
                del cache[name]
    return station


_HEX_KEY = re.compile(r"^(?:[0-9A-Fa-f]{2}){16,20}$")


def _password_forms(password: str) -> list[str]:
    """The password as sent, and, for 32-40 hex digits, the text they encode.

    1.6 AuthorizationKey is written to the station as hex (Security Whitepaper §3). Stations differ
    on what they send afterwards: the decoded bytes (Zaptec) or the hex text itself (the OCTT case
    TC_073). Both are the same secret, so both are accepted; the plain form is the one stored.
    """
    forms = [password]
    if _HEX_KEY.match(password):
        try:
            decoded = bytes.fromhex(password).decode("utf-8")
        except UnicodeDecodeError:
            return forms
        if decoded.isprintable():
            forms.append(decoded)
    return forms


_dummy_hash: str | None = None


def _verify_unknown(forms: list[str]) -> None:
    """Spend on an unknown identity what a known one costs: the same hasher, once per form."""
    global _dummy_hash
    from django.contrib.auth.hashers import check_password, make_password

    from stations.models import STATION_PASSWORD_HASHER

    if _dummy_hash is None:
        _dummy_hash = make_password(secrets.token_urlsafe(20), hasher=STATION_PASSWORD_HASHER)
    for form in forms:
        check_password(form, _dummy_hash)


def station_authenticate(
    *,
    identity: str,
    headers: list[tuple[bytes, bytes]],
    client_address: str,
    tls: TlsInfo | None = None,
    throttle: bool = True,
) -> AuthResult:
    """Check a connecting station's credentials; record refusals on the station (never the password).

    ``tls`` is what the TLS terminator said about the connection (certificates.proxy.tls_info):
    it decides the security profile (1 plain + Basic, 2 TLS + Basic, 3 TLS + client certificate)
    and no station may arrive below its recorded minimum (certificates.services.station_admission).

    Synchronous: the consumer calls it through database_sync_to_async, one thread hop for the cache,
    the station row and the hash.

    With ``throttle`` and too many recent failures for this (address, identity), only a password
    verified before gets in here; anything else comes back ``throttled`` without being hashed, and
    the consumer calls again with ``throttle=False`` after a delay, one attempt at a time.
    """
    tls = tls or PLAIN
    throttled = throttle and login_throttled(client_address=client_address, identity=identity)

    station = _login_query.first(identity)
    if station is not None:
        _without_back_references(station)
    credentials = _basic_credentials(headers)
    forms = _password_forms(credentials[1]) if credentials else [None]
    reason = ""
    if station is None:
        reason = "unknown identity"
        if credentials is not None and credentials[0] == identity and not throttled:
            _verify_unknown(forms)
    elif credentials is not None and credentials[0] != identity:
        reason = f"Basic auth username {credentials[0][:60]!r} is not the station identity"
    else:
        for password in forms:
            admission = station_admission(
                station=station, tls=tls, password=password, password_check=_password_known if throttled else _password_ok
            )
            if admission.accepted:
                station_connection_secured(station=station, profile=admission.profile, client_cn=tls.client_cn)
                # Again: a first connection's admission created its connection-security row,
                # cached both ways like those the query read.
                return AuthResult(_without_back_references(station), profile=admission.profile)
        reason = admission.reason

    if throttled:
        return AuthResult(None, "too many failed logins: verified after a delay", throttled=True)
    _note_failure(client_address, identity)
    logger.warning("Refused station %r from %s: %s", identity, client_address, reason)
    if station is not None:
        station_connection_refused(
            station=station, reason=f"Connection refused from {client_address}: {reason}", at=timezone.now()
        )
    else:
        # Listed in the console with "Add this charger" (bounded, see ocpp_gateway.refusals).
        refused_identity_record(identity=identity, address=client_address, at=timezone.now())
    return AuthResult(None, reason)
