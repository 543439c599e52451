"""A small world with objects in both networks, for the scoping tests.

Every persona has an "own" network (account admins see all) and each admin page and API endpoint
is tried against an object of the own network and one of the other network.
"""
from __future__ import annotations

import pytest

from conftest import STATION_PASSWORD
from stations.models import StationState
from stations.services import station_create

MEMBER_NETWORK = {"operator_a": "a", "viewer_a": "a", "operator_b": "b"}
OTHER_NETWORK = {"a": "b", "b": "a"}
PERSONAS = ["account_admin", "operator_a", "viewer_a", "operator_b"]
MEMBERS = ["operator_a", "viewer_a", "operator_b"]
WRITERS = {"account_admin", "operator_a", "operator_b"}


@pytest.fixture
def world(account_admin, operator_a, viewer_a, operator_b, network_a, network_b, location_a, location_b,
          station_a, station_b) -> dict:
    """Objects per network key: each admin page finds an own and another network's object."""
    onboarded = {
        key: station_create(
            network=network,
            location=location,
            identity=f"CP-{key.upper()}-ON",
            name=f"Onboarded {key.upper()}",
            password=STATION_PASSWORD,
            state=StationState.ONBOARDED,
        )
        for key, network, location in [("a", network_a, location_a), ("b", network_b, location_b)]
    }
    return {
        "users": {
            "account_admin": account_admin,
            "operator_a": operator_a,
            "viewer_a": viewer_a,
            "operator_b": operator_b,
        },
        "network": {"a": network_a, "b": network_b},
        "location": {"a": location_a, "b": location_b},
        "station": {"a": station_a, "b": station_b},
        "pendingstation": {"a": station_a, "b": station_b},
        "onboardedstation": onboarded,
    }
