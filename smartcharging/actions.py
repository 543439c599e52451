"""Smart-charging remote actions (1.6 Smart Charging profile §5.5/§5.7/§5.16, 2.0.1 K01/K05/K08/K09/K10),
registered with ``commands.registry`` from ``SmartChargingConfig.ready()``."""
from __future__ import annotations

from ocpp.charge_point import remove_nones
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201
from smartcharging.forms import (
    ClearChargingProfileForm,
    GetChargingProfilesForm,
    GetCompositeScheduleForm,
    SetChargingProfileForm,
)
from smartcharging.profiles import profile_v16, profile_v201, purpose_for


def _set_v16(command):
    p = command.parameters
    return call16.SetChargingProfile(connector_id=int(p["evse_id"]), cs_charging_profiles=profile_v16(p["profile"]))


def _set_v201(command):
    p = command.parameters
    return call201.SetChargingProfile(evse_id=int(p["evse_id"]), charging_profile=profile_v201(p["profile"]))


def _clear_v16(command):
    p = command.parameters
    purpose = p.get("purpose")
    return call16.ClearChargingProfile(
        id=p.get("profile_id"),
        connector_id=p.get("evse_id"),
        charging_profile_purpose=purpose_for(purpose, V16) if purpose else None,
        stack_level=p.get("stack_level"),
    )


def _clear_v201(command):
    p = command.parameters
    purpose = p.get("purpose")
    criteria = remove_nones(
        {
            "evse_id": p.get("evse_id"),
            "charging_profile_purpose": purpose_for(purpose, V201) if purpose else None,
            "stack_level": p.get("stack_level"),
        }
    )
    return call201.ClearChargingProfile(charging_profile_id=p.get("profile_id"), charging_profile_criteria=criteria or None)


def _composite_v16(command):
    p = command.parameters
    return call16.GetCompositeSchedule(
        connector_id=int(p["evse_id"]), duration=int(p["duration"]), charging_rate_unit=p.get("charging_rate_unit") or None
    )


def _composite_v201(command):
    p = command.parameters
    return call201.GetCompositeSchedule(
        duration=int(p["duration"]), evse_id=int(p["evse_id"]), charging_rate_unit=p.get("charging_rate_unit") or None
    )


def _get_profiles_v201(command):
    p = command.parameters
    criterion = remove_nones(
        {
            "charging_profile_purpose": p.get("purpose"),
            "stack_level": p.get("stack_level"),
            "charging_profile_id": p.get("profile_ids"),
            "charging_limit_source": p.get("limit_sources"),
        }
    )
    # K09: the station answers with ReportChargingProfiles carrying this requestId.
    return call201.GetChargingProfiles(request_id=command.pk, charging_profile=criterion, evse_id=p.get("evse_id"))


def _set_finished(command) -> None:
    from smartcharging.services import profile_command_finished

    profile_command_finished(command=command)


def _clear_finished(command) -> None:
    from smartcharging.services import profile_clear_finished

    profile_clear_finished(command=command)


def _composite_finished(command) -> None:
    from smartcharging.services import composite_schedule_store

    composite_schedule_store(command=command)


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name="set_charging_profile",
            label="Set charging profile",
            description="Install a charging profile (a template or one given here) on the station or one EVSE.",
            form=SetChargingProfileForm,
            build={V16: _set_v16, V201: _set_v201},
            accepting=frozenset({"Accepted"}),
            on_final=_set_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="clear_charging_profile",
            label="Clear charging profile",
            description="Remove charging profiles by id, or by EVSE, purpose and stack level.",
            form=ClearChargingProfileForm,
            build={V16: _clear_v16, V201: _clear_v201},
            accepting=frozenset({"Accepted"}),
            on_final=_clear_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="get_composite_schedule",
            label="Get composite schedule",
            description="The limits the station will apply over the coming period, all profiles combined (shown as a chart).",
            form=GetCompositeScheduleForm,
            build={V16: _composite_v16, V201: _composite_v201},
            accepting=frozenset({"Accepted"}),
            on_final=_composite_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name="get_charging_profiles",
            label="Get charging profiles",
            description="The station reports its installed profiles (ReportChargingProfiles), stored on the station.",
            form=GetChargingProfilesForm,
            build={V201: _get_profiles_v201},
            accepting=frozenset({"Accepted"}),
        )
    )
    registry.register_listener("smartcharging.balancer", _balancer_heard)


def _balancer_heard(command) -> None:
    from smartcharging.services import balancer_command_finished

    balancer_command_finished(command=command)
