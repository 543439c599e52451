"""The simulated station's smart charging: it keeps the charging profiles it is sent and draws no
more than the composite limit they give (OCPP 1.6 §3.13, 2.0.1 K), so the site balancer's effect is
measurable in its meter values.

- 1.6 SetChargingProfile / ClearChargingProfile / GetCompositeSchedule; 2.0.1 the same plus
  GetChargingProfiles → ReportChargingProfiles.
- Composite limit of a connector at an instant: the station-wide maximum (ChargePointMaxProfile /
  ChargingStationMaxProfile) bounds the transaction's limit, which is the highest-stack TxProfile of
  the running transaction, else the highest-stack TxDefaultProfile (the EVSE's own before EVSE 0).
- ``accept_profiles=False`` makes a station that refuses every profile (counted at its maximum by
  the site balancer).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

VOLTAGE = 230.0
STATION_MAX = ("ChargePointMaxProfile", "ChargingStationMaxProfile")


@dataclass
class HeldProfile:
    id: int
    evse_id: int
    stack_level: int
    purpose: str
    kind: str
    unit: str
    periods: list[dict[str, Any]]
    transaction_id: str | None = None
    start_schedule: datetime | None = None
    recurrency_kind: str | None = None
    duration: int | None = None
    received: float = field(default_factory=time.time)
    raw: dict[str, Any] = field(default_factory=dict)

    def limit_at(self, now: float) -> tuple[float, int] | None:
        """(limit, phases) at ``now`` (epoch seconds), or None when the schedule does not cover it."""
        if self.kind == "Relative" or self.start_schedule is None:
            start = self.received
        else:
            start = self.start_schedule.timestamp()
            if self.kind == "Recurring":
                cycle = 86400 if self.recurrency_kind == "Daily" else 7 * 86400
                if now >= start:
                    start += ((now - start) // cycle) * cycle
        elapsed = now - start
        if elapsed < 0 or (self.duration is not None and elapsed > self.duration):
            return None
        current = None
        for period in self.periods:
            if period["start_period"] <= elapsed:
                current = period
        if current is None:
            return None
        return float(current["limit"]), int(current.get("number_phases") or 3)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class SmartChargingMixin:
    """Shared by both versions; the station class provides connectors and power_kw."""

    accept_profiles: bool = True

    def held_profiles(self) -> list[HeldProfile]:
        if not hasattr(self, "_profiles"):
            self._profiles: list[HeldProfile] = []
        return self._profiles

    def _hold(self, evse_id: int, profile: dict[str, Any], schedule: dict[str, Any]) -> str:
        """Install a profile (snake_case, as the library hands it over); the station's answer word."""
        if not self.accept_profiles:
            return "Rejected"
        purpose = profile["charging_profile_purpose"]
        if evse_id != 0 and evse_id not in self.connectors:
            return "Rejected"
        transaction_id = profile.get("transaction_id")
        if purpose == "TxProfile":
            # 1.6 §5.16: a TxProfile needs a running transaction on that connector (2.0.1 likewise).
            running = self.connectors[evse_id].transaction_id if evse_id in self.connectors else None
            if running is None or (transaction_id is not None and str(transaction_id) != str(running)):
                return "Rejected"
        if purpose in STATION_MAX and evse_id != 0:
            return "Rejected"
        held = HeldProfile(
            id=profile.get("charging_profile_id", profile.get("id")),
            evse_id=evse_id,
            stack_level=profile["stack_level"],
            purpose=purpose,
            kind=profile["charging_profile_kind"],
            unit=schedule["charging_rate_unit"],
            periods=schedule["charging_schedule_period"],
            transaction_id=str(transaction_id) if transaction_id is not None else None,
            start_schedule=_parse(schedule.get("start_schedule")),
            recurrency_kind=profile.get("recurrency_kind"),
            duration=schedule.get("duration"),
            raw={"evse_id": evse_id, **profile},
        )
        # Same id replaces; same purpose, stack level and EVSE replaces too (as stations do in 1.6 and 2.0.1).
        self._profiles = [
            p for p in self.held_profiles()
            if p.id != held.id and not (p.purpose == held.purpose and p.stack_level == held.stack_level and p.evse_id == held.evse_id and purpose != "TxProfile")
        ]
        self._profiles.append(held)
        return "Accepted"

    def hold_start_profile(self, evse_id: int | None, profile: dict[str, Any] | None) -> None:
        """A TxProfile inside a remote start: it applies to the transaction about to start (no id yet)."""
        if not profile or not self.accept_profiles:
            return
        schedule = profile["charging_schedule"]
        schedule = schedule[0] if isinstance(schedule, list) else schedule
        self.held_profiles().append(
            HeldProfile(
                id=profile.get("charging_profile_id", profile.get("id")), evse_id=evse_id or 1,
                stack_level=profile["stack_level"], purpose="TxProfile", kind=profile["charging_profile_kind"],
                unit=schedule["charging_rate_unit"], periods=schedule["charging_schedule_period"], raw=dict(profile),
            )
        )

    def _clear(self, *, profile_id: int | None, evse_id: int | None, purpose: str | None, stack_level: int | None) -> str:
        before = len(self.held_profiles())
        self._profiles = [
            p for p in self.held_profiles()
            if not (
                (profile_id is None or p.id == profile_id)
                and (evse_id is None or p.evse_id == evse_id)
                and (purpose is None or p.purpose == purpose or (purpose in STATION_MAX and p.purpose in STATION_MAX))
                and (stack_level is None or p.stack_level == stack_level)
            )
        ]
        return "Accepted" if len(self._profiles) < before else "Unknown"

    def _to_w(self, limit: float, unit: str, phases: int) -> float:
        return limit * phases * VOLTAGE if unit == "A" else limit

    def _best(self, profiles: list[HeldProfile], now: float) -> float | None:
        for profile in sorted(profiles, key=lambda p: -p.stack_level):
            value = profile.limit_at(now)
            if value is not None:
                return self._to_w(value[0], profile.unit, value[1])
        return None

    def composite_limit_w(self, evse_id: int, now: float | None = None) -> float | None:
        """The composite limit (W) of an EVSE (0: the station) at ``now``; None when no profile limits it."""
        now = time.time() if now is None else now
        held = self.held_profiles()
        limits = []
        station_max = self._best([p for p in held if p.purpose in STATION_MAX], now)
        if station_max is not None:
            limits.append(station_max)
        if evse_id:
            running = self.connectors[evse_id].transaction_id
            tx = None
            if running is not None:
                tx = self._best([p for p in held if p.purpose == "TxProfile" and p.evse_id == evse_id and p.transaction_id in (None, str(running))], now)
            if tx is None:
                tx = self._best([p for p in held if p.purpose == "TxDefaultProfile" and p.evse_id == evse_id], now)
            if tx is None:
                tx = self._best([p for p in held if p.purpose == "TxDefaultProfile" and p.evse_id == 0], now)
            if tx is not None:
                limits.append(tx)
        return min(limits) if limits else None

    def drawn_power_w(self, connector) -> float:
        full = self.power_kw * 1000
        limit = self.composite_limit_w(connector.connector_id)
        return full if limit is None else max(0.0, min(full, limit))

    def tick_energy_wh(self, connector, step_wh: int) -> int:
        full = self.power_kw * 1000
        return round(step_wh * self.drawn_power_w(connector) / full) if full else step_wh

    def composite_periods(self, evse_id: int, duration: int, unit: str) -> list[dict[str, Any]]:
        """The composite schedule over [now, now + duration], sampled where any profile's period changes."""
        now = time.time()
        offsets = {0}
        for profile in self.held_profiles():
            base = profile.received if profile.kind == "Relative" or profile.start_schedule is None else profile.start_schedule.timestamp()
            for period in profile.periods:
                offset = int(base + period["start_period"] - now)
                if 0 < offset < duration:
                    offsets.add(offset)
        periods: list[dict[str, Any]] = []
        for offset in sorted(offsets):
            limit_w = self.composite_limit_w(evse_id, now + offset)
            if limit_w is None:
                limit_w = self.power_kw * 1000 * (len(self.connectors) if evse_id == 0 else 1)
            limit = round(limit_w / (3 * VOLTAGE), 1) if unit == "A" else round(limit_w, 1)
            if not periods or periods[-1]["limit"] != limit:
                periods.append({"start_period": offset, "limit": limit, "number_phases": 3})
        return periods


class SmartChargingMixin16(SmartChargingMixin):
    @on("SetChargingProfile")
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any], **kwargs):
        self.record("SetChargingProfile", {"connector_id": connector_id, "cs_charging_profiles": cs_charging_profiles})
        status = self._hold(connector_id, cs_charging_profiles, cs_charging_profiles["charging_schedule"])
        return result16.SetChargingProfile(status=status)

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, id: int | None = None, connector_id: int | None = None, charging_profile_purpose: str | None = None, stack_level: int | None = None, **kwargs):
        self.record("ClearChargingProfile", {"id": id, "connector_id": connector_id, "charging_profile_purpose": charging_profile_purpose, "stack_level": stack_level})
        return result16.ClearChargingProfile(status=self._clear(profile_id=id, evse_id=connector_id, purpose=charging_profile_purpose, stack_level=stack_level))

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, connector_id: int, duration: int, charging_rate_unit: str | None = None, **kwargs):
        self.record("GetCompositeSchedule", {"connector_id": connector_id, "duration": duration, "charging_rate_unit": charging_rate_unit})
        if connector_id != 0 and connector_id not in self.connectors:
            return result16.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        start = datetime.now(timezone.utc).replace(microsecond=0)
        return result16.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=start.isoformat().replace("+00:00", "Z"),
            charging_schedule={
                "duration": duration,
                "start_schedule": start.isoformat().replace("+00:00", "Z"),
                "charging_rate_unit": unit,
                "charging_schedule_period": self.composite_periods(connector_id, duration, unit),
            },
        )


class SmartChargingMixin201(SmartChargingMixin):
    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict[str, Any], **kwargs):
        self.record("SetChargingProfile", {"evse_id": evse_id, "charging_profile": charging_profile})
        status = self._hold(evse_id, charging_profile, charging_profile["charging_schedule"][0])
        return result201.SetChargingProfile(status=status)

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, charging_profile_id: int | None = None, charging_profile_criteria: dict[str, Any] | None = None, **kwargs):
        criteria = charging_profile_criteria or {}
        self.record("ClearChargingProfile", {"charging_profile_id": charging_profile_id, "charging_profile_criteria": criteria})
        status = self._clear(
            profile_id=charging_profile_id, evse_id=criteria.get("evse_id"),
            purpose=criteria.get("charging_profile_purpose"), stack_level=criteria.get("stack_level"),
        )
        return result201.ClearChargingProfile(status=status)

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **kwargs):
        self.record("GetCompositeSchedule", {"duration": duration, "evse_id": evse_id, "charging_rate_unit": charging_rate_unit})
        if evse_id != 0 and evse_id not in self.connectors:
            return result201.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        start = datetime.now(timezone.utc).replace(microsecond=0)
        return result201.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": duration,
                "schedule_start": start.isoformat().replace("+00:00", "Z"),
                "charging_rate_unit": unit,
                "charging_schedule_period": self.composite_periods(evse_id, duration, unit),
            },
        )

    @on("GetChargingProfiles")
    def on_get_charging_profiles(self, request_id: int, charging_profile: dict[str, Any], evse_id: int | None = None, **kwargs):
        self.record("GetChargingProfiles", {"request_id": request_id, "charging_profile": charging_profile, "evse_id": evse_id})
        matching = self._matching(charging_profile, evse_id)
        self._report_request = (request_id, matching)
        return result201.GetChargingProfiles(status="Accepted" if matching else "NoProfiles")

    def _matching(self, criterion: dict[str, Any], evse_id: int | None) -> list[HeldProfile]:
        ids = criterion.get("charging_profile_id")
        return [
            p for p in self.held_profiles()
            if (evse_id is None or p.evse_id == evse_id)
            and (criterion.get("charging_profile_purpose") in (None, p.purpose))
            and (criterion.get("stack_level") in (None, p.stack_level))
            and (not ids or p.id in ids)
        ]

    @after("GetChargingProfiles")
    def after_get_charging_profiles(self, **kwargs):
        request_id, matching = getattr(self, "_report_request", (None, []))
        if not matching:
            return

        async def report() -> None:
            by_evse: dict[int, list[HeldProfile]] = {}
            for profile in matching:
                by_evse.setdefault(profile.evse_id, []).append(profile)
            evses = sorted(by_evse)
            for index, evse in enumerate(evses):
                profiles = [{k: v for k, v in p.raw.items() if k != "evse_id"} for p in by_evse[evse]]
                await self.request(
                    call201.ReportChargingProfiles(
                        request_id=request_id, charging_limit_source="CSO", evse_id=evse,
                        charging_profile=profiles, tbc=index < len(evses) - 1,
                    )
                )

        self.spawn(report())
