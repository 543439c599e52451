"""Set charging profile parameters: the OCPP rules as field errors, and the request each version gets."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from django import forms

from smartcharging.actions import _set_v16, _set_v201
from smartcharging.forms import SetChargingProfileForm, parse_periods
from smartcharging.models import ChargingProfile

pytestmark = pytest.mark.django_db


def test_periods_are_parsed_and_checked():
    assert parse_periods("0:32, 3600:16:1") == [
        {"start_period": 0, "limit": 32.0}, {"start_period": 3600, "limit": 16.0, "number_phases": 1},
    ]
    for bad in ("10:16", "0:16, 0:8", "0:x", "0:16:4"):
        with pytest.raises(forms.ValidationError):
            parse_periods(bad)


def form(station, **data):
    return SetChargingProfileForm(data=data, station=station)


def test_a_template_fills_what_is_not_given(station_a, network_a):
    template = ChargingProfile.objects.create(
        network=network_a, name="Max 20 A", purpose="ChargingStationMaxProfile", kind="Relative",
        charging_rate_unit="A", periods=[{"start_period": 0, "limit": 20}],
    )
    f = form(station_a, template=template.pk, evse_id=0)
    assert f.is_valid(), f.errors
    params = f.parameters()
    assert params["template"] == template.pk
    assert params["profile"]["purpose"] == "ChargingStationMaxProfile" and params["profile"]["id"] == 1
    command = SimpleNamespace(parameters=params, pk=1)
    assert _set_v16(command).cs_charging_profiles["charging_profile_purpose"] == "ChargePointMaxProfile"
    assert _set_v201(command).charging_profile["charging_profile_purpose"] == "ChargingStationMaxProfile"


def test_another_networks_template_is_not_found(station_a, network_b):
    other = ChargingProfile.objects.create(network=network_b, name="Theirs", periods=[{"start_period": 0, "limit": 6}])
    f = form(station_a, template=other.pk, evse_id=0)
    assert not f.is_valid() and "template" in f.errors


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"evse_id": 1, "purpose": "TxProfile", "periods": "0:16"}, "transaction_id"),
        ({"evse_id": 0, "purpose": "TxProfile", "transaction_id": "T1", "periods": "0:16"}, "evse_id"),
        ({"evse_id": 1, "purpose": "ChargingStationMaxProfile", "periods": "0:16"}, "evse_id"),
        ({"evse_id": 1, "purpose": "TxDefaultProfile", "kind": "Recurring", "periods": "0:16"}, "recurrency_kind"),
        ({"evse_id": 1, "purpose": "TxDefaultProfile", "transaction_id": "T1", "periods": "0:16"}, "transaction_id"),
        ({"evse_id": 1, "purpose": "TxDefaultProfile"}, "periods"),
        ({"evse_id": 1, "periods": "0:16"}, "purpose"),
    ],
)
def test_ocpp_rules_are_field_errors(station_a, data, field):
    f = form(station_a, **data)
    assert not f.is_valid()
    assert field in f.errors


def test_a_station_maximum_is_not_relative_in_2_0_1(station_a):
    station_a.ocpp_version = "2.0.1"
    f = form(station_a, evse_id=0, purpose="ChargingStationMaxProfile", kind="Relative", periods="0:32")
    assert not f.is_valid() and "K01.FR.38" in str(f.errors["kind"])


def test_get_charging_profiles_needs_a_criterion(station_a):
    from smartcharging.forms import GetChargingProfilesForm

    station_a.ocpp_version = "2.0.1"
    empty = GetChargingProfilesForm(data={"evse_id": 0}, station=station_a)
    assert not empty.is_valid() and "K09.FR.03" in str(empty.errors)
    by_ids = GetChargingProfilesForm(data={"profile_ids": "3, 4"}, station=station_a)
    assert by_ids.is_valid() and by_ids.parameters() == {"profile_ids": [3, 4]}
