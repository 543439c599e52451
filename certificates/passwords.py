"""Station passwords: generate, check (current or pending in a rotation), start and finish a rotation."""
from __future__ import annotations

import secrets
import string

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from certificates.models import PasswordRotation, PasswordRotationStatus
from stations.models import STATION_PASSWORD_HASHER, Station


_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def password_generate() -> str:
    """20 random alphanumerics: 20 bytes, so 40 hex digits as 1.6 AuthorizationKey and Zaptec want,
    and within 2.0.1 BasicAuthPassword's 16-40 characters."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(20))


def station_password_check(*, station: Station, password: str) -> bool:
    """The current password, or the one pending in a rotation (which its first use completes)."""
    return station.check_password(password) or station_pending_password_check(station=station, password=password)


def station_pending_password_check(*, station: Station, password: str) -> bool:
    rotation = PasswordRotation.objects.filter(station=station, status=PasswordRotationStatus.PENDING).first()
    if rotation and rotation.pending_hash and check_password(password, rotation.pending_hash):
        password_rotation_finish(rotation=rotation, accepted=True, detail="the station logged in with the new password")
        station.refresh_from_db(fields=["password_hash"])
        return True
    return False


@transaction.atomic
def password_rotation_start(*, station: Station, requested_by=None, password: str | None = None) -> tuple[PasswordRotation, str]:
    """A new pending password for the station; the caller sends it and reports the answer."""
    password = password or password_generate()
    PasswordRotation.objects.filter(station=station, status=PasswordRotationStatus.PENDING).update(
        status=PasswordRotationStatus.SUPERSEDED, finished_at=timezone.now(), pending_hash=""
    )
    try:
        rotation = PasswordRotation.objects.create(
            station=station,
            pending_hash=make_password(password, hasher=STATION_PASSWORD_HASHER),
            requested_by=requested_by,
        )
    except IntegrityError:  # a concurrent start won the unique "one pending" constraint
        raise ValueError("another password rotation for this station started at the same time") from None
    return rotation, password


@transaction.atomic
def password_rotation_finish(
    *, rotation: PasswordRotation, accepted: bool, detail: str = "", status: str | None = None
) -> PasswordRotation:
    """Close a pending rotation: Accepted makes the new password the only one; otherwise the old stays.

    An answer that leaves it open (RebootRequired, a timeout: the station may have applied the
    key) is not a finish: keep both passwords working until the station logs in with the new one.
    """
    rotation = PasswordRotation.objects.select_for_update().get(pk=rotation.pk)
    if rotation.status != PasswordRotationStatus.PENDING:
        return rotation
    if accepted:
        # Only now does the old password stop working (field notes: "after a station accepted a
        # new password, the old one must stop working").
        Station.objects.filter(pk=rotation.station_id).update(password_hash=rotation.pending_hash)
        rotation.status = PasswordRotationStatus.ACCEPTED
    else:
        rotation.status = status or PasswordRotationStatus.REJECTED
    rotation.pending_hash = ""
    rotation.detail = detail[:300]
    rotation.finished_at = timezone.now()
    rotation.save(update_fields=["status", "pending_hash", "detail", "finished_at"])
    return rotation


def password_rotation_note(*, rotation: PasswordRotation, detail: str) -> None:
    PasswordRotation.objects.filter(pk=rotation.pk, status=PasswordRotationStatus.PENDING).update(detail=detail[:300])
