"""What the platform may send a station whose registration is Pending (1.6 §4.2, 2.0.1 B02.FR.01)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ocpp_gateway.remote import _refused_while_not_accepted


def consumer(version: str, registration: str | None):
    return SimpleNamespace(ocpp_version=version, is_pending=lambda: registration == "Pending")


@pytest.mark.parametrize(
    ("version", "allowed", "refused"),
    [
        ("1.6", ["GetConfiguration", "ChangeConfiguration", "TriggerMessage"], ["RemoteStartTransaction", "Reset", "UpdateFirmware"]),
        ("2.0.1", ["GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage"],
         ["RequestStartTransaction", "Reset", "InstallCertificate"]),
    ],
)
def test_only_configuration_and_trigger_requests_go_to_a_pending_station(version, allowed, refused):
    pending = consumer(version, "Pending")
    assert [a for a in allowed if _refused_while_not_accepted(pending, a)] == []
    for action in refused:
        reason = _refused_while_not_accepted(pending, action)
        assert "Pending" in reason and action in reason
    # Accepted (or not booted on this connection yet): the gateway does not hold anything back.
    assert all(not _refused_while_not_accepted(consumer(version, state), a) for state in ("Accepted", None) for a in refused)
