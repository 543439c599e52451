"""The gateway's shortcuts through the ocpp library agree with it, on generated frames
(tests/test_gateway_fuzz's strategies: extreme values, one in ten off its schema):
- the jsonschema-rs pass (ocpp_gateway.schemas) gives the library's jsonschema verdict, and an
  invalid frame still gets the library's CALLERROR;
- the handlers' keyword arguments are the names the library's camel_to_snake_case gives.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ocpp import messages
from ocpp.exceptions import FormatViolationError, TypeConstraintViolationError
from ocpp.messages import Call, MessageType

from ocpp_gateway import protocol  # noqa: F401 - installs the wrapper
from ocpp_gateway.schemas import FastValidator
from tests.test_gateway_fuzz import Raw, payloads

ACTIONS = [
    ("1.6", "MeterValues"), ("1.6", "StatusNotification"), ("1.6", "StartTransaction"), ("1.6", "StopTransaction"),
    ("1.6", "BootNotification"), ("1.6", "DataTransfer"),
    ("2.0.1", "TransactionEvent"), ("2.0.1", "NotifyReport"), ("2.0.1", "StatusNotification"),
    ("2.0.1", "BootNotification"), ("2.0.1", "MeterValues"), ("2.0.1", "NotifyEVChargingNeeds"),
]


def _has_raw(value) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, dict):
        return any(_has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_raw(v) for v in value)
    return False


def for_generated_frames(version: str, action: str, check, *, examples: int) -> None:
    """Run check(payload) over generated payloads as the gateway receives them (the frame's JSON
    parsed); payloads holding numbers JSON cannot write are left out."""

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(payloads(version, action))
    def run(payload):
        if not _has_raw(payload):
            check(json.loads(json.dumps(payload)))

    run()


@pytest.mark.parametrize(("version", "action"), ACTIONS)
def test_jsonschema_rs_and_jsonschema_agree_on_generated_frames(version, action):
    validator = messages.get_validator(MessageType.Call, action, version)
    assert isinstance(validator, FastValidator) and validator.fast is not None
    seen = {True: 0, False: 0}

    def check(payload):
        verdict = validator.slow.is_valid(payload)
        try:
            fast = validator.fast.is_valid(payload)
        except ValueError:  # e.g. a lone surrogate jsonschema-rs cannot read: the library decides
            fast = verdict
        assert fast == verdict, payload
        assert validator.is_valid(payload) == verdict
        seen[verdict] += 1

    for_generated_frames(version, action, check, examples=60)
    assert seen[True] > 0


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"connectorId": "one", "meterValue": []}, TypeConstraintViolationError),
        ({"connectorId": 1, "meterValue": [], "surprise": 1}, FormatViolationError),
    ],
)
def test_an_invalid_frame_gets_the_library_callerror(payload, error):
    with pytest.raises(error):
        messages._validate_payload(Call("1", "MeterValues", payload), "1.6")


def test_decimal_charging_profiles_still_validate():
    # The library parses 1.6 charging profiles with Decimal (multipleOf 0.1): jsonschema-rs cannot
    # read those values and the library's validator decides.
    payload = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 21.4}]},
        },
    }
    messages._validate_payload(Call("1", "SetChargingProfile", payload), "1.6")


@pytest.mark.parametrize(("version", "action"), ACTIONS)
def test_the_gateways_snake_case_names_are_the_librarys(version, action):
    # GatewayChargePoint._handle_call converts each key's name once per process; the handlers must
    # get exactly the keyword arguments the library's camel_to_snake_case would give them.
    from ocpp.charge_point import camel_to_snake_case

    from ocpp_gateway.protocol import _snake_case

    def check(payload):
        assert _snake_case(payload) == camel_to_snake_case(payload)

    for_generated_frames(version, action, check, examples=40)
