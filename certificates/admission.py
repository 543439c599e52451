"""Admission: which security profile a connection is on, and whether it may stay (no downgrade)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from certificates.models import ConnectionSecurity, UpgradeRecord, UpgradeStatus
from certificates.passwords import station_pending_password_check
from certificates.proxy import TlsInfo
from stations.models import SecurityProfile, Station


@dataclass(frozen=True)
class Admission:
    profile: int | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.profile is not None


def station_admission(
    *,
    station: Station,
    tls: TlsInfo,
    password: str | None,
    password_check: Callable[[Station, str], bool] | None = None,
) -> Admission:
    """Decide a station's websocket handshake (OCPP 2.0.1 Part 2 A00.FR.2xx-4xx; 1.6 Whitepaper §2).

    Profile 1: plain ws + Basic. Profile 2: TLS + Basic. Profile 3: TLS + a client certificate the
    terminator verified against the platform CA with CN == identity; no password. A station whose
    recorded minimum is higher than the profile it arrives on is refused: no downgrade
    (A00.FR.206; Whitepaper "a Charge Point SHALL NOT fall back to a lower profile").

    ``password_check`` verifies the current password (the gateway passes its cached check); a
    password pending in a rotation is tried after it.
    """
    if tls.has_verified_certificate:
        if tls.client_cn != station.identity:
            return Admission(None, f"client certificate is for {tls.client_cn!r}, not {station.identity!r}")
        profile = SecurityProfile.TLS_CLIENT_CERT
    elif tls.presented_bad_certificate:
        return Admission(None, f"client certificate did not verify against the platform CA ({tls.client_verify})")
    elif password is None:
        return Admission(None, "no HTTP Basic credentials and no client certificate")
    elif not (
        (password_check(station, password) if password_check else station.check_password(password))
        or station_pending_password_check(station=station, password=password)
    ):
        return Admission(None, "wrong password")
    else:
        profile = SecurityProfile.TLS_BASIC if tls.tls else SecurityProfile.BASIC
    if profile < station.security_profile:
        return Admission(
            None,
            f"downgrade refused: connected on security profile {profile}, "
            f"the station requires at least {station.security_profile}",
        )
    return Admission(int(profile))


def with_admission_state(stations: QuerySet[Station]) -> QuerySet[Station]:
    """The stations with what station_connection_secured needs, read in the same query as the login.

    A reconnect storm logs thousands of stations in again: a login that finds its profile, its
    certificate name and its upgrades as they were writes nothing and reads nothing more (issue 17).
    """
    return stations.select_related("connection_security").annotate(
        upgrade_running=Exists(UpgradeRecord.objects.filter(station=OuterRef("pk"), status=UpgradeStatus.RUNNING))
    )


def station_connection_secured(*, station: Station, profile: int, client_cn: str | None = None) -> None:
    """Record the profile of the connection just admitted (``connected_at``: since when it is the one).

    Writes only what changed; with ``station`` from with_admission_state() it reads nothing either.
    """
    values = {"profile": profile, "client_certificate_cn": client_cn or ""}
    try:
        security = station.connection_security
    except ConnectionSecurity.DoesNotExist:
        security = None
    if security is None or security.profile != profile or security.client_certificate_cn != values["client_certificate_cn"]:
        values["connected_at"] = timezone.now()
        if not ConnectionSecurity.objects.filter(station=station).update(**values):
            security, _ = ConnectionSecurity.objects.get_or_create(station=station, defaults=values)
        station.connection_security = security
    if getattr(station, "upgrade_running", True):
        from certificates.upgrades import upgrade_station_connected

        upgrade_station_connected(station=station, profile=profile)
    # 2.0.1 A05 (TC_A_19 steps 10-11): once a station connected on a higher profile, whether
    # through the upgrade or an operator's own SetNetworkProfile, a lower one is refused.
    if station.security_profile < profile:
        station_security_profile_raise(station=station, profile=profile)


def station_security_profile_raise(*, station: Station, profile: int) -> bool:
    """Raise the recorded minimum profile; never lowers it (that is an operator's explicit edit)."""
    updated = Station.objects.filter(pk=station.pk, security_profile__lt=profile).update(security_profile=profile)
    if updated:
        station.security_profile = profile
    return bool(updated)
