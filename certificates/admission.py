"""Admission: which security profile a connection is on, and whether it may stay (no downgrade)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from certificates.models import ConnectionSecurity
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


def station_connection_secured(*, station: Station, profile: int, client_cn: str | None = None) -> None:
    """Record the profile of the connection just admitted: one UPDATE per connect (reconnect storms)."""
    values = {"profile": profile, "client_certificate_cn": client_cn or "", "connected_at": timezone.now()}
    if not ConnectionSecurity.objects.filter(station=station).update(**values):
        ConnectionSecurity.objects.get_or_create(station=station, defaults=values)
    from certificates.upgrades import upgrade_station_connected

    upgrade_station_connected(station=station, profile=profile)
    # 2.0.1 A05 (TC_A_19 steps 10-11): once a station connected on a higher profile, whether
    # through the upgrade or an operator's own SetNetworkProfile, a lower one is refused.
    station_security_profile_raise(station=station, profile=profile)


def station_security_profile_raise(*, station: Station, profile: int) -> bool:
    """Raise the recorded minimum profile; never lowers it (that is an operator's explicit edit)."""
    updated = Station.objects.filter(pk=station.pk, security_profile__lt=profile).update(security_profile=profile)
    if updated:
        station.security_profile = profile
    return bool(updated)
