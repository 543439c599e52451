"""Smart charging's writes: profiles sent and reported, composite schedules, station limit reports,
and the site balancer's I/O side (``location_rebalance``; the computation is ``smartcharging.balancer``)."""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from commands.models import Command, CommandStatus
from sessions.models import Session, SessionStatus
from smartcharging.balancer import Demand, share_site_power
from smartcharging.models import (
    ChargingLimitReport,
    ChargingProfile,
    CompositeSchedule,
    ProfileSource,
    ProfileStatus,
    SessionAllocation,
    SiteLimit,
    StationChargingSettings,
)
from smartcharging.profiles import spec_from_reported
from smartcharging.selectors import active_sessions_with_power
from stations import bounds
from stations.models import Station

logger = logging.getLogger(__name__)

#: The balancer's TxProfile on an EVSE: one id per EVSE, so each new share replaces the last one
#: (a profile with the same id replaces the earlier one, 1.6 and 2.0.1 K01). Far above what operators pick by hand.
BALANCER_PROFILE_ID_BASE = 900_000
BALANCER_STACK_LEVEL = 1
#: A new share is sent only when it moves by more than this (W): meter noise must not become traffic.
RESEND_THRESHOLD_W = 100.0
DEFAULTS = StationChargingSettings(min_current_a=6.0, max_current_a=32.0, phases=3, voltage=230.0, priority=0)

_FINAL_TO_PROFILE_STATUS = {
    CommandStatus.ACCEPTED: ProfileStatus.INSTALLED,
    CommandStatus.REJECTED: ProfileStatus.REJECTED,
}


#: Periods read from one schedule (2.0.1 caps a schedule at 1024 in the device model).
MAX_PERIODS = 1024
MAX_LIMIT = 10_000_000.0  # W or A; anything larger is a station's error, not a limit


def period_bounded(period: dict[str, Any]) -> dict[str, Any]:
    """A station's schedule period (camelCase) with every number bounded before use (stations.bounds)."""
    phases = period.get("numberPhases")
    return {
        "start_period": bounds.bounded_int(period.get("startPeriod"), field="startPeriod", low=0, high=10**8),
        "limit": bounds.bounded_float(period.get("limit"), field="limit", low=0.0, high=MAX_LIMIT),
        "number_phases": None if phases is None else bounds.bounded_int(phases, field="numberPhases", low=1, high=3),
    }


def _dt(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


# --- profiles sent by the platform ------------------------------------------------------------------


def profile_command_finished(*, command: Command) -> ChargingProfile | None:
    """A SetChargingProfile is final: keep the profile with the station's verdict (on_final)."""
    params = command.parameters
    spec = params.get("profile") or {}
    if not spec:
        return None
    station = command.station
    source = params.get("source") or ProfileSource.OPERATOR
    values = {
        "network_id": station.network_id,
        "source": source,
        "status": _FINAL_TO_PROFILE_STATUS.get(command.status, ProfileStatus.FAILED),
        "transaction_id": str(spec.get("transaction_id") or ""),
        "stack_level": spec.get("stack_level", 0),
        "purpose": spec["purpose"],
        "kind": spec.get("kind", "Absolute"),
        "recurrency_kind": spec.get("recurrency_kind") or "",
        "valid_from": _dt(spec.get("valid_from")),
        "valid_to": _dt(spec.get("valid_to")),
        "start_schedule": _dt(spec.get("start_schedule")),
        "duration": spec.get("duration"),
        "charging_rate_unit": spec.get("charging_rate_unit", "A"),
        "min_charging_rate": spec.get("min_charging_rate"),
        "periods": spec.get("periods", []),
        "command": command,
    }
    if command.status == CommandStatus.ACCEPTED:
        # The station replaced any earlier profile with this id (1.6 and 2.0.1 K01 alike).
        ChargingProfile.objects.filter(
            station=station, profile_id=spec["id"], status=ProfileStatus.INSTALLED
        ).exclude(command=command).update(status=ProfileStatus.CLEARED)
    profile, _ = ChargingProfile.objects.update_or_create(
        station=station, profile_id=spec["id"], evse_id=params.get("evse_id"), command=command, defaults=values
    )
    return profile


def profile_clear_finished(*, command: Command) -> int:
    """ClearChargingProfile accepted: the profiles it matched are no longer installed."""
    if command.status != CommandStatus.ACCEPTED:
        return 0
    p = command.parameters
    installed = ChargingProfile.objects.filter(station=command.station, status=ProfileStatus.INSTALLED)
    if p.get("profile_id") is not None:
        installed = installed.filter(profile_id=p["profile_id"])
    if p.get("evse_id") is not None:
        installed = installed.filter(evse_id=p["evse_id"])
    if p.get("purpose"):
        from smartcharging.profiles import STATION_MAX

        purposes = list(STATION_MAX.values()) if p["purpose"] in STATION_MAX.values() else [p["purpose"]]
        installed = installed.filter(purpose__in=purposes)
    if p.get("stack_level") is not None:
        installed = installed.filter(stack_level=p["stack_level"])
    return installed.update(status=ProfileStatus.CLEARED)


def composite_schedule_store(*, command: Command) -> CompositeSchedule:
    """Keep a GetCompositeSchedule answer (1.6 §5.7 / 2.0.1 K08) for the station page's chart."""
    answer = command.answer or {}
    if "schedule" in answer:  # 2.0.1 CompositeScheduleType
        schedule = answer["schedule"] or {}
        start = schedule.get("scheduleStart")
        evse_id = schedule.get("evseId", command.parameters.get("evse_id", 0))
    else:  # 1.6: connectorId, scheduleStart, chargingSchedule
        schedule = answer.get("chargingSchedule") or {}
        start = answer.get("scheduleStart") or schedule.get("startSchedule")
        evse_id = answer.get("connectorId", command.parameters.get("evse_id", 0))
    periods = []
    for p in (schedule.get("chargingSchedulePeriod") or [])[:MAX_PERIODS]:
        try:
            periods.append(period_bounded(p))
        except bounds.OutOfBounds:
            logger.warning("%s: composite schedule period out of range ignored: %r", command.station, p)
    return CompositeSchedule.objects.update_or_create(
        command=command,
        defaults={
            "station": command.station,
            "evse_id": int(evse_id or 0),
            "status": str(answer.get("status", command.result or command.status))[:16],
            "schedule_start": _dt(start),
            "duration": schedule.get("duration"),
            "charging_rate_unit": str(schedule.get("chargingRateUnit", ""))[:1],
            "periods": periods,
        },
    )[0]


# --- what 2.0.1 stations report ---------------------------------------------------------------------


def charging_profiles_report(*, station: Station, payload: dict[str, Any]) -> int:
    """ReportChargingProfiles (K09): store each reported profile; a new request replaces the last report."""
    request_id = payload.get("requestId")
    with transaction.atomic():
        ChargingProfile.objects.filter(station=station, source=ProfileSource.STATION).exclude(request_id=request_id).delete()
        rows = []
        for reported in payload.get("chargingProfile", [])[:MAX_PERIODS]:
            spec = spec_from_reported(reported)
            schedule = (reported.get("chargingSchedule") or [{}])[0]
            spec["periods"] = [period_bounded(p) for p in schedule.get("chargingSchedulePeriod", [])[:MAX_PERIODS]]
            spec["stack_level"] = bounds.bounded_int(spec["stack_level"], field="stackLevel", low=0, high=10**6)
            spec["id"] = bounds.bounded_int(spec["id"], field="id", low=-(2**31), high=2**31 - 1)
            rows.append(
                ChargingProfile(
                    network_id=station.network_id,
                    station=station,
                    source=ProfileSource.STATION,
                    status=ProfileStatus.REPORTED,
                    profile_id=spec["id"],
                    evse_id=payload.get("evseId"),
                    transaction_id=str(spec["transaction_id"] or ""),
                    stack_level=spec["stack_level"],
                    purpose=spec["purpose"],
                    kind=spec["kind"],
                    recurrency_kind=spec["recurrency_kind"] or "",
                    valid_from=_dt(spec["valid_from"]),
                    valid_to=_dt(spec["valid_to"]),
                    start_schedule=_dt(spec["start_schedule"]),
                    duration=spec["duration"],
                    charging_rate_unit=spec["charging_rate_unit"],
                    min_charging_rate=spec["min_charging_rate"],
                    periods=spec["periods"],
                    request_id=request_id,
                    reported_source=str(payload.get("chargingLimitSource", ""))[:20],
                )
            )
        ChargingProfile.objects.bulk_create(rows)
    return len(rows)


def charging_limit_report_store(*, station: Station, kind: str, payload: dict[str, Any]) -> ChargingLimitReport:
    """NotifyChargingLimit, ClearedChargingLimit, NotifyEVChargingNeeds, NotifyEVChargingSchedule (K11-K17)."""
    limit = payload.get("chargingLimit") or {}
    return ChargingLimitReport.objects.create(
        station=station,
        kind=kind,
        evse_id=payload.get("evseId"),
        limit_source=str(limit.get("chargingLimitSource") or payload.get("chargingLimitSource") or "")[:20],
        payload=payload,
    )


# --- site balancer ----------------------------------------------------------------------------------


@dataclass
class RebalanceResult:
    location_id: int
    limit_w: float | None = None
    shares: dict[int, float] = field(default_factory=dict)
    sent: int = 0
    compute_seconds: float = 0.0
    total_seconds: float = 0.0


def station_charging_settings(station: Station) -> StationChargingSettings:
    try:
        return station.charging_settings
    except StationChargingSettings.DoesNotExist:
        return DEFAULTS


#: Seconds after a new share was sent before the session's meter values say anything about it
#: (the station applies the profile, then reports at its next meter interval).
SETTLE_SECONDS = 3.0


def site_demands(*, sessions: list[Session], previous: dict[int, float], sent_at: dict[int, datetime] | None = None) -> list[Demand]:
    demands = []
    sent_at = sent_at or {}
    for session in sessions:
        measured_w, measured_at = getattr(session, "measured_w", None), getattr(session, "measured_at", None)
        since = sent_at.get(session.pk)
        if since is not None and (measured_at is None or (measured_at - since).total_seconds() < SETTLE_SECONDS):
            measured_w = None  # a reading from before the station applied its latest share

        settings_ = station_charging_settings(session.station)
        per_amp = settings_.phases * settings_.voltage
        demands.append(
            Demand(
                key=session.pk,
                max_w=settings_.max_current_a * per_amp,
                min_w=settings_.min_current_a * per_amp,
                priority=settings_.priority,
                controllable=settings_.accepts_profiles is not False,
                measured_w=measured_w,
                previous_w=previous.get(session.pk),
            )
        )
    return demands


def _limit_in_site_unit(*, station: Station, watts: float, site: SiteLimit) -> tuple[float, str]:
    settings_ = station_charging_settings(station)
    if site.rate_unit == "W":
        # 1.6 limits are multiples of 0.1 (schema multipleOf); rounding down keeps the sum under.
        return math.floor(watts * 10) / 10, "W"
    # Per-phase current: the unit the site's limit was given in (and the one every EVSE knows).
    return math.floor(watts / (settings_.phases * settings_.voltage) * 10) / 10, "A"


def _balancer_spec(*, session: Session, share_w: float, site: SiteLimit) -> dict[str, Any]:
    limit, unit = _limit_in_site_unit(station=session.station, watts=share_w, site=site)
    return {
        "id": BALANCER_PROFILE_ID_BASE + (session.evse_id or 0),
        "stack_level": BALANCER_STACK_LEVEL,
        "purpose": "TxProfile",
        "kind": "Relative",
        "transaction_id": session.transaction_id,
        "charging_rate_unit": unit,
        "periods": [{"start_period": 0, "limit": limit, "number_phases": station_charging_settings(session.station).phases}],
    }


def _admission_spec(*, station: Station, site: SiteLimit) -> dict[str, Any]:
    """The station's default for sessions the balancer has not seen yet: start at the minimum."""
    settings_ = station_charging_settings(station)
    limit, unit = _limit_in_site_unit(station=station, watts=_min_w(station), site=site)
    return {
        "id": BALANCER_PROFILE_ID_BASE,
        "stack_level": BALANCER_STACK_LEVEL,
        "purpose": "TxDefaultProfile",
        "kind": "Relative",
        "charging_rate_unit": unit,
        "periods": [{"start_period": 0, "limit": limit, "number_phases": settings_.phases}],
    }


def _min_w(station: Station) -> float:
    settings_ = station_charging_settings(station)
    return settings_.min_current_a * settings_.phases * settings_.voltage


def _stations_without_admission_profile(stations: list[Station]) -> list[Station]:
    """Connected stations that were never sent the balancer's TxDefaultProfile (or lost it undelivered).

    Read from the profile rows (indexed by station and status), not from the commands' JSON."""
    holding = set(
        ChargingProfile.objects.filter(
            station__in=stations, source=ProfileSource.BALANCER, purpose="TxDefaultProfile",
            status__in=[ProfileStatus.PENDING, ProfileStatus.INSTALLED, ProfileStatus.REJECTED],
        ).values_list("station_id", flat=True)
    )
    return [s for s in stations if s.pk not in holding]


def location_rebalance(*, location_id: int) -> RebalanceResult:
    """Share the location's limit among its running sessions and send each changed share as a TxProfile.

    Serialised per location (the site limit row is locked): two gateway nodes recomputing at once
    would otherwise send crossing profiles. Decreases are sent before increases, so the sum moves
    down first. Nothing here blocks an event loop: callers run it in a thread (or a worker).
    """
    from commands.services import command_create

    started = time.perf_counter()
    result = RebalanceResult(location_id=location_id)
    with transaction.atomic():
        site = SiteLimit.objects.select_for_update().filter(location_id=location_id, enabled=True).first()
        if site is None:
            return result
        result.limit_w = site.limit_w
        sessions = list(active_sessions_with_power(location_id=location_id))
        allocations = {a.session_id: a for a in SessionAllocation.objects.filter(location_id=location_id)}
        previous = {key: a.limit_w for key, a in allocations.items()}
        stations = list(
            Station.objects.filter(location_id=location_id).exclude(channel_name="").select_related("charging_settings")
        )
        controllable_stations = [s for s in stations if station_charging_settings(s).accepts_profiles is not False]
        charging = {s.station_id for s in sessions}
        idle = [s for s in controllable_stations if s.pk not in charging]
        # Room for one arrival at its station's minimum (its TxDefaultProfile) while the others turn down.
        reserve_w = max((_min_w(s) for s in idle), default=0.0)
        compute_started = time.perf_counter()
        demands = site_demands(
            sessions=sessions, previous=previous, sent_at={key: a.updated_at for key, a in allocations.items()}
        )
        result.shares = share_site_power(limit_w=site.limit_w, demands=demands, reserve_w=reserve_w)
        result.compute_seconds = time.perf_counter() - compute_started
        controllable = {d.key for d in demands if d.controllable}
        changes = []
        for session in sessions:
            if session.pk not in controllable or not session.transaction_id:
                continue
            old = previous.get(session.pk)
            # A session without a share yet draws its station's default, the minimum.
            change = result.shares[session.pk] - (old if old is not None else _min_w(session.station))
            # Every decrease goes out (the sum must stay under the limit); a small increase waits
            # for a bigger one, so meter noise does not become traffic.
            if old is None or change < -0.1 or change > RESEND_THRESHOLD_W:
                changes.append((change, session))
            else:
                result.shares[session.pk] = old  # what the station still holds
        changes.sort(key=lambda change: change[0])  # decreases (negative) first
        now = timezone.now()
        changed, created = [], []
        for _, session in changes:
            share = result.shares[session.pk]
            command = command_create(
                station=session.station,
                action="set_charging_profile",
                parameters={
                    "evse_id": session.evse_id or 1,
                    "profile": _balancer_spec(session=session, share_w=share, site=site),
                    "source": ProfileSource.BALANCER,
                    "session": session.pk,
                },
                listener="smartcharging.balancer",
            )
            allocation = allocations.get(session.pk)
            if allocation is None:
                created.append(SessionAllocation(session=session, location_id=location_id, limit_w=share, command=command))
            else:
                allocation.limit_w, allocation.command, allocation.updated_at = share, command, now
                changed.append(allocation)
            result.sent += 1
        # One statement each, not one per session: with 200 sessions a start changes every share.
        SessionAllocation.objects.bulk_create(created)
        SessionAllocation.objects.bulk_update(changed, ["limit_w", "command", "updated_at"])
        for station in _stations_without_admission_profile(controllable_stations):
            spec = _admission_spec(station=station, site=site)
            command = command_create(
                station=station,
                action="set_charging_profile",
                parameters={"evse_id": 0, "profile": spec, "source": ProfileSource.BALANCER},
                listener="smartcharging.balancer",
            )
            result.sent += 1
            if command.is_final:
                continue  # offline after all: profile_command_finished already recorded it
            # Pending until answered (profile_command_finished updates this row with the verdict).
            ChargingProfile.objects.create(
                network_id=station.network_id, station=station, source=ProfileSource.BALANCER,
                status=ProfileStatus.PENDING, profile_id=spec["id"], evse_id=0, stack_level=spec["stack_level"],
                purpose=spec["purpose"], kind=spec["kind"], charging_rate_unit=spec["charging_rate_unit"],
                periods=spec["periods"], command=command,
            )
        # Sessions that ended free their share record.
        SessionAllocation.objects.filter(location_id=location_id).exclude(session_id__in=[s.pk for s in sessions]).delete()
    result.total_seconds = time.perf_counter() - started
    return result


def balancer_command_finished(*, command: Command) -> None:
    """Listener of the balancer's SetChargingProfile: a station that refuses profiles is counted at its
    maximum from now on (and the others' shares recomputed); one that accepts is marked so."""
    error_code = (command.answer or {}).get("errorCode", "") if isinstance(command.answer, dict) else ""
    refused = command.status == CommandStatus.REJECTED or error_code in ("NotSupported", "NotImplemented")
    if command.status != CommandStatus.ACCEPTED and not refused:
        return  # offline, timed out: says nothing about the station
    settings_, _ = StationChargingSettings.objects.get_or_create(station=command.station)
    accepts = not refused
    if settings_.accepts_profiles != accepts:
        settings_.accepts_profiles = accepts
        settings_.save(update_fields=["accepts_profiles"])
        if refused and command.station.location_id:
            from smartcharging.scheduling import scheduler

            location_id = command.station.location_id
            transaction.on_commit(lambda: scheduler.request_threadsafe(location_id))


def site_limit_changed(*, site: SiteLimit) -> None:
    """A limit set, changed or switched off: recompute (or release) once the change is committed."""
    location_id = site.location_id
    if not site.enabled:
        transaction.on_commit(lambda: site_limit_release(location_id=location_id))
        return
    transaction.on_commit(lambda: location_rebalance(location_id=location_id))


def site_limit_delete(*, site: SiteLimit) -> None:
    location_id = site.location_id
    site.delete()
    transaction.on_commit(lambda: site_limit_release(location_id=location_id))


def site_limit_release(*, location_id: int) -> int:
    """The location has no limit any more: clear what the balancer installed (its TxDefaultProfile on
    every station, the TxProfile of every running session), or the stations would stay held at their
    minimum. By profile id, so an operator's own profiles stay. Returns how many clears were sent."""
    from commands.services import command_create

    sent = 0
    with transaction.atomic():
        running = set(
            Session.objects.filter(station__location_id=location_id, status=SessionStatus.ACTIVE).values_list("station_id", "transaction_id")
        )
        held = [
            p
            for p in ChargingProfile.objects.filter(
                station__location_id=location_id, source=ProfileSource.BALANCER,
                status__in=[ProfileStatus.PENDING, ProfileStatus.INSTALLED],
            ).exclude(station__channel_name="").select_related("station")
            # A TxProfile ends with its transaction: only the running sessions' ones are still held.
            if p.purpose != "TxProfile" or (p.station_id, p.transaction_id) in running
        ]
        for station_id, profile_id in sorted({(p.station_id, p.profile_id) for p in held}):
            station = next(p.station for p in held if p.station_id == station_id)
            command_create(station=station, action="clear_charging_profile", parameters={"profile_id": profile_id})
            sent += 1
        SessionAllocation.objects.filter(location_id=location_id).delete()
    return sent
