"""Id token authorization against a network's allow-list (1.6 Authorize/StartTransaction, 2.0.1 Authorize/TransactionEvent)."""
from __future__ import annotations

from django.db.models.functions import Lower
from django.utils import timezone

from sessions.models import AuthorizationStatus, IdToken
from stations.models import Station

# 2.0.1 IdTokenEnumType NoAuthorization: a free-vend station that authorizes nobody. Every other
# type, Central included, is the station's claim rather than a credential (a Blocked token sent as
# "Central" is still blocked), so it follows the allow-list.
SELF_AUTHORIZED_TYPES = frozenset({"NoAuthorization"})


def id_token_authorize(*, station: Station, id_token: str, token_type: str = "ISO14443") -> str:
    """Return the authorization status for an id token: Accepted, Invalid, Blocked or Expired.

    Tokens are accepted by default. A network's allow-list is its Accepted IdToken entries: once
    it has one, unknown tokens are Invalid. Blocked entries are refused either way.
    """
    if token_type in SELF_AUTHORIZED_TYPES:
        return AuthorizationStatus.ACCEPTED
    entries = IdToken.objects.filter(network_id=station.network_id)
    entry = (
        entries.annotate(token_lower=Lower("token"))
        .filter(token_lower=(id_token or "").lower())
        .values_list("status", "expires_at")
        .first()
    )
    if entry is not None:
        status, expires_at = entry
        if status == AuthorizationStatus.BLOCKED:
            return AuthorizationStatus.BLOCKED
        if expires_at is not None and expires_at <= timezone.now():
            return AuthorizationStatus.EXPIRED
        return AuthorizationStatus.ACCEPTED
    if entries.filter(status=AuthorizationStatus.ACCEPTED).exists():
        return AuthorizationStatus.INVALID
    return AuthorizationStatus.ACCEPTED
