"""Schema validation of every frame, in microseconds: jsonschema-rs answers "valid", jsonschema "why not".

The `ocpp` library validates each CALL it takes and each CALLRESULT and CALL it sends with
jsonschema's Draft4Validator: ~85 us for a MeterValues, a sixth of the gateway's CPU per frame under
load (issue 17). jsonschema-rs (Rust) checks the same OCA schema in under 1 us. Here the library's
validators are wrapped: a payload jsonschema-rs accepts is valid; any other payload (invalid, or
one jsonschema-rs cannot read, such as the Decimal values the library uses for 1.6 charging
profiles) goes to the library's own validator, whose errors the library and
``protocol.schema_error`` turn into CALLERRORs as before. So a "no" and its CALLERROR never change;
only a "yes" is faster. tests/ check the two agree on generated frames.

Installed once, by wrapping ``ocpp.messages.get_validator`` (the library looks it up at each
validation, as it does ``ASYNC_VALIDATION``, which ocpp_gateway.protocol also sets).
"""
from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs
from ocpp import messages as ocpp_messages


class FastValidator:
    """A library validator with a jsonschema-rs pass in front of it."""

    __slots__ = ("slow", "fast")

    def __init__(self, slow: Any) -> None:
        self.slow = slow
        try:
            # Formats unchecked, as the library's validator leaves them (a date-time of Feb 30 passes
            # the schema; the handlers bound timestamps themselves).
            self.fast = jsonschema_rs.Draft4Validator(slow.schema, validate_formats=False)
        except Exception:  # a schema it cannot compile: the library's validator alone
            self.fast = None

    def _confirmed(self, instance: Any) -> bool:
        """jsonschema-rs says valid; False means "ask the library's validator", not "invalid"."""
        if self.fast is None:
            return False
        try:
            return self.fast.is_valid(instance)
        except Exception:  # values it cannot read (Decimal, a lone surrogate)
            return False

    def is_valid(self, instance: Any) -> bool:
        return self._confirmed(instance) or self.slow.is_valid(instance)

    def validate(self, instance: Any) -> None:
        if not self._confirmed(instance):
            self.slow.validate(instance)

    def __getattr__(self, name: str) -> Any:
        # iter_errors, schema, ...: the library's validator answers.
        return getattr(self.slow, name)


_library_get_validator = getattr(ocpp_messages.get_validator, "__wrapped__", ocpp_messages.get_validator)
_wrapped: dict[int, FastValidator] = {}


@functools.wraps(_library_get_validator)
def get_validator(message_type_id: int, action: str, ocpp_version: str, parse_float: Any = float) -> FastValidator:
    slow = _library_get_validator(message_type_id, action, ocpp_version, parse_float=parse_float)
    # The library caches its validators; one wrapper per cached validator.
    wrapper = _wrapped.get(id(slow))
    if wrapper is None or wrapper.slow is not slow:
        wrapper = _wrapped[id(slow)] = FastValidator(slow)
    return wrapper


def install() -> None:
    ocpp_messages.get_validator = get_validator
