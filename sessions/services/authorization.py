"""Id token authorization against a network's allow-list (1.6 Authorize/StartTransaction, 2.0.1 Authorize/TransactionEvent)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from django.db.models.functions import Lower
from django.utils import timezone

from sessions.models import AuthorizationStatus, IdToken
from stations.models import Station

# 2.0.1 IdTokenEnumType NoAuthorization: a free-vend station that authorizes nobody. Every other
# type, Central included, is the station's claim rather than a credential (a Blocked token sent as
# "Central" is still blocked), so it follows the allow-list.
SELF_AUTHORIZED_TYPES = frozenset({"NoAuthorization"})

#: Why a token is presented: to start a transaction, to stop one, or only to ask (Authorize).
Purpose = Literal["ask", "start", "stop"]


class TokenAuthorization(str):
    """The authorization status word (Accepted, Invalid, Blocked, Expired), with what the answer carries besides.

    A ``str`` so that every caller that stores or compares the status keeps working; the gateway
    reads the group and expiry from it to fill 2.0.1 idTokenInfo / 1.6 idTagInfo.
    """

    group_token: str | None
    group_type: str | None
    master_pass: bool
    expires_at: datetime | None

    def __new__(
        cls,
        status: str,
        *,
        group_token: str | None = None,
        group_type: str | None = None,
        master_pass: bool = False,
        expires_at: datetime | None = None,
    ) -> TokenAuthorization:
        verdict = super().__new__(cls, status)
        verdict.group_token = group_token
        verdict.group_type = group_type
        verdict.master_pass = master_pass
        verdict.expires_at = expires_at
        return verdict

    @property
    def status(self) -> str:
        return str(self)


def id_token_authorize(
    *, station: Station, id_token: str, token_type: str = "ISO14443", purpose: Purpose = "ask"
) -> TokenAuthorization:
    """Return the authorization status for an id token: Accepted, Invalid, Blocked or Expired.

    Tokens are accepted by default. A network's allow-list is its Accepted IdToken entries: once
    it has one, unknown tokens are Invalid. Blocked entries are refused either way. A token of a
    master pass group is refused (Invalid) when it starts a transaction: 2.0.1 C16 lets it stop
    any transaction, never start one.
    """
    if token_type in SELF_AUTHORIZED_TYPES:
        return TokenAuthorization(AuthorizationStatus.ACCEPTED)
    entries = IdToken.objects.filter(network_id=station.network_id)
    entry = (
        entries.annotate(token_lower=Lower("token"))
        .filter(token_lower=(id_token or "").lower())
        .values_list("status", "expires_at", "group__token", "group__token_type", "group__master_pass")
        .first()
    )
    if entry is not None:
        status, expires_at, group_token, group_type, master_pass = entry
        details = {"group_token": group_token, "group_type": group_type, "master_pass": bool(master_pass)}
        if status == AuthorizationStatus.BLOCKED:
            return TokenAuthorization(AuthorizationStatus.BLOCKED, **details)
        if expires_at is not None and expires_at <= timezone.now():
            return TokenAuthorization(AuthorizationStatus.EXPIRED, **details)
        if master_pass and purpose == "start":
            return TokenAuthorization(AuthorizationStatus.INVALID, **details)
        return TokenAuthorization(AuthorizationStatus.ACCEPTED, expires_at=expires_at, **details)
    if entries.filter(status=AuthorizationStatus.ACCEPTED).exists():
        return TokenAuthorization(AuthorizationStatus.INVALID)
    return TokenAuthorization(AuthorizationStatus.ACCEPTED)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def id_tag_info_v16(verdict: str) -> dict[str, Any]:
    """1.6 IdTagInfo: status, expiryDate of an accepted token, parentIdTag (its group, at most 20 characters)."""
    info: dict[str, Any] = {"status": str(verdict)}
    if isinstance(verdict, TokenAuthorization):
        if verdict.expires_at is not None:
            info["expiry_date"] = _iso(verdict.expires_at)
        if verdict.group_token and len(verdict.group_token) <= 20:
            info["parent_id_tag"] = verdict.group_token
    return info


def id_token_info_v201(verdict: str) -> dict[str, Any]:
    """2.0.1 IdTokenInfoType: status, cacheExpiryDateTime of an accepted token, groupIdToken (C09)."""
    info: dict[str, Any] = {"status": str(verdict)}
    if isinstance(verdict, TokenAuthorization):
        if verdict.expires_at is not None:
            info["cache_expiry_date_time"] = _iso(verdict.expires_at)
        if verdict.group_token:
            info["group_id_token"] = {"id_token": verdict.group_token, "type": verdict.group_type or "Central"}
    return info
