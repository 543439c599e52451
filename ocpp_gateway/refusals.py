"""Unknown identities that tried to connect (issue 16): recorded at the refused handshake, listed in
the console with "Add this charger".

Bounded: one row per identity and at most REFUSED_IDENTITIES_MAX rows; a new identity beyond that
pushes out the least recently seen. An attacker trying millions of identities never grows the table,
and from one address adds at most REFUSED_IDENTITIES_PER_ADDRESS_MINUTE rows a minute (the rest cost
a cache increment): the list keeps what real chargers tried instead of one address's flood.
"""
from __future__ import annotations

from datetime import datetime

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet

from networks.admin_mixins import can_write_somewhere
from ocpp_gateway.models import RefusedIdentity
from stations.models import Station


def _new_identity_allowed(address: str, at: datetime) -> bool:
    who = hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()[:32]
    key = f"ocpp-refused-new:{who}:{int(at.timestamp() // 60)}"
    if cache.add(key, 1, timeout=120):
        return True
    try:
        return cache.incr(key) <= settings.REFUSED_IDENTITIES_PER_ADDRESS_MINUTE
    except ValueError:  # expired between add and incr
        return cache.add(key, 1, timeout=120)


def refused_identity_record(*, identity: str, address: str, at: datetime) -> None:
    """Count one refused attempt by an identity no station has."""
    identity, address = identity[:48], address[:64]
    if RefusedIdentity.objects.filter(identity=identity).update(
        attempts=F("attempts") + 1, address=address, last_attempt_at=at
    ):
        return
    if not _new_identity_allowed(address, at):
        return
    try:
        with transaction.atomic():
            RefusedIdentity.objects.create(
                identity=identity, address=address, attempts=1, first_attempt_at=at, last_attempt_at=at
            )
    except IntegrityError:  # another node recorded it first
        RefusedIdentity.objects.filter(identity=identity).update(
            attempts=F("attempts") + 1, address=address, last_attempt_at=at
        )
        return
    _trim()


def _trim() -> None:
    excess = RefusedIdentity.objects.count() - settings.REFUSED_IDENTITIES_MAX
    if excess > 0:
        oldest = list(RefusedIdentity.objects.order_by("last_attempt_at", "id").values_list("id", flat=True)[:excess])
        RefusedIdentity.objects.filter(id__in=oldest).delete()


def refused_identities_visible(*, user) -> QuerySet[RefusedIdentity]:
    """The refused identities, for those who may add a charger (operators and admins of a network,
    account admins); nobody else. An unknown identity belongs to no network yet. Identities that
    became stations since are left out."""
    if not can_write_somewhere(user):
        return RefusedIdentity.objects.none()
    return RefusedIdentity.objects.exclude(
        Exists(Station.objects.filter(identity=OuterRef("identity")))
    ).order_by("-last_attempt_at", "-id")
