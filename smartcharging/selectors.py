"""Smart charging's reads: a location's limit and live sum, a station's profiles and latest composite schedule."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from sessions.models import MeterSample, Session, SessionStatus
from smartcharging.models import ChargingProfile, CompositeSchedule, ProfileStatus, SiteLimit
from stations.models import Station


def active_sessions_with_power(*, location_id: int):
    """Running sessions at the location (by the station's current place), each with ``measured_w``:
    the latest power it reported."""
    latest = MeterSample.objects.filter(session=OuterRef("pk"), power_w__isnull=False).order_by("-timestamp")
    return (
        Session.objects.filter(station__location_id=location_id, status=SessionStatus.ACTIVE)
        .select_related("station", "station__charging_settings")
        .annotate(measured_w=Subquery(latest.values("power_w")[:1]), measured_at=Subquery(latest.values("timestamp")[:1]))
        .order_by("pk")
    )


def location_live_power_w(*, location_id: int) -> float:
    """The sum of the latest power each running session at the location reported (W)."""
    return sum(w or 0.0 for w in active_sessions_with_power(location_id=location_id).values_list("measured_w", flat=True))


@dataclass(frozen=True)
class SitePicture:
    limit: SiteLimit | None
    live_power_w: float
    active_sessions: int
    allocated_w: float


def location_site_picture(*, location_id: int) -> SitePicture:
    from smartcharging.models import SessionAllocation

    limit = SiteLimit.objects.filter(location_id=location_id).first()
    sessions = list(active_sessions_with_power(location_id=location_id).values_list("measured_w", flat=True))
    allocated = sum(SessionAllocation.objects.filter(location_id=location_id).values_list("limit_w", flat=True))
    return SitePicture(limit=limit, live_power_w=sum(w or 0.0 for w in sessions), active_sessions=len(sessions), allocated_w=allocated)


def station_installed_profiles(*, station: Station):
    return ChargingProfile.objects.filter(station=station, status__in=[ProfileStatus.INSTALLED, ProfileStatus.REPORTED]).order_by("evse_id", "purpose", "-stack_level")


def station_latest_composite_schedule(*, station: Station) -> CompositeSchedule | None:
    return CompositeSchedule.objects.filter(station=station, status="Accepted").first()
