"""Charging profiles as OCPP carries them: one version-neutral spec (what a command's parameters and a
ChargingProfile row hold) turned into the 1.6 csChargingProfiles or the 2.0.1 ChargingProfileType.

Pure functions: the builders run on the gateway's event loop and must not touch the database.
"""
from __future__ import annotations

from typing import Any

from ocpp.charge_point import remove_nones

# 1.6 and 2.0.1 name the station-wide maximum differently; everything else is spelled alike.
STATION_MAX = {"1.6": "ChargePointMaxProfile", "2.0.1": "ChargingStationMaxProfile"}
SENDABLE_PURPOSES = ("ChargingStationMaxProfile", "ChargePointMaxProfile", "TxDefaultProfile", "TxProfile")


def purpose_for(purpose: str, version: str) -> str:
    if purpose in STATION_MAX.values():
        return STATION_MAX[version]
    return purpose


def _periods(spec: dict[str, Any], version: str) -> list[dict[str, Any]]:
    periods = []
    for period in spec["periods"]:
        item: dict[str, Any] = {"start_period": int(period["start_period"]), "limit": float(period["limit"])}
        if period.get("number_phases") is not None:
            item["number_phases"] = int(period["number_phases"])
        # 2.0.1 only: phaseToUse (a single-phase EV on a three-phase station).
        if version == "2.0.1" and period.get("phase_to_use") is not None:
            item["phase_to_use"] = int(period["phase_to_use"])
        periods.append(item)
    return periods


def profile_v16(spec: dict[str, Any]) -> dict[str, Any]:
    """The OCPP 1.6 ChargingProfile type (snake_case; the library writes camelCase)."""
    transaction_id = spec.get("transaction_id")
    if transaction_id not in (None, ""):
        try:
            transaction_id = int(transaction_id)
        except (TypeError, ValueError):
            raise ValueError("OCPP 1.6 transaction ids are integers.") from None
    schedule = {
        "duration": spec.get("duration"),
        "start_schedule": spec.get("start_schedule"),
        "charging_rate_unit": spec["charging_rate_unit"],
        "charging_schedule_period": _periods(spec, "1.6"),
        "min_charging_rate": spec.get("min_charging_rate"),
    }
    return remove_nones(
        {
            "charging_profile_id": int(spec["id"]),
            "transaction_id": transaction_id if transaction_id != "" else None,
            "stack_level": int(spec["stack_level"]),
            "charging_profile_purpose": purpose_for(spec["purpose"], "1.6"),
            "charging_profile_kind": spec["kind"],
            "recurrency_kind": spec.get("recurrency_kind") or None,
            "valid_from": spec.get("valid_from"),
            "valid_to": spec.get("valid_to"),
            "charging_schedule": remove_nones(schedule),
        }
    )


def profile_v201(spec: dict[str, Any]) -> dict[str, Any]:
    """OCPP 2.0.1 ChargingProfileType with one ChargingScheduleType (K01)."""
    schedule = {
        # ChargingScheduleType.id is required; one schedule per profile, so the profile's id serves.
        "id": int(spec["id"]),
        "start_schedule": spec.get("start_schedule"),
        "duration": spec.get("duration"),
        "charging_rate_unit": spec["charging_rate_unit"],
        "min_charging_rate": spec.get("min_charging_rate"),
        "charging_schedule_period": _periods(spec, "2.0.1"),
    }
    return remove_nones(
        {
            "id": int(spec["id"]),
            "stack_level": int(spec["stack_level"]),
            "charging_profile_purpose": purpose_for(spec["purpose"], "2.0.1"),
            "charging_profile_kind": spec["kind"],
            "recurrency_kind": spec.get("recurrency_kind") or None,
            "valid_from": spec.get("valid_from"),
            "valid_to": spec.get("valid_to"),
            "transaction_id": str(spec["transaction_id"]) if spec.get("transaction_id") not in (None, "") else None,
            "charging_schedule": [remove_nones(schedule)],
        }
    )


def spec_from_reported(profile: dict[str, Any]) -> dict[str, Any]:
    """A 2.0.1 ChargingProfileType as the station reported it (camelCase) → the version-neutral spec."""
    schedules = profile.get("chargingSchedule") or [{}]
    schedule = schedules[0]
    return {
        "id": profile.get("id"),
        "stack_level": profile.get("stackLevel", 0),
        "purpose": profile.get("chargingProfilePurpose", ""),
        "kind": profile.get("chargingProfileKind", "Absolute"),
        "recurrency_kind": profile.get("recurrencyKind", ""),
        "valid_from": profile.get("validFrom"),
        "valid_to": profile.get("validTo"),
        "transaction_id": profile.get("transactionId", ""),
        "start_schedule": schedule.get("startSchedule"),
        "duration": schedule.get("duration"),
        "charging_rate_unit": schedule.get("chargingRateUnit", "A"),
        "min_charging_rate": schedule.get("minChargingRate"),
        "periods": [
            {
                "start_period": p.get("startPeriod", 0),
                "limit": p.get("limit", 0),
                "number_phases": p.get("numberPhases"),
                "phase_to_use": p.get("phaseToUse"),
            }
            for p in schedule.get("chargingSchedulePeriod", [])
        ],
    }
