"""The `ocpp` library keeps one @on and one @after handler per action: a second one anywhere in a
ChargePoint's classes silently replaces the first (e.g. the site balancer's triggers). Apps that need
to follow up on a CALL another app already follows use GatewayChargePoint.after_answer instead."""
from __future__ import annotations

from collections import defaultdict

import pytest

from ocpp_gateway.v16 import ChargePoint16
from ocpp_gateway.v201 import ChargePoint201


@pytest.mark.parametrize("charge_point", [ChargePoint16, ChargePoint201], ids=["1.6", "2.0.1"])
@pytest.mark.parametrize("marker", ["_on_action", "_after_action"])
def test_each_action_has_one_handler_of_each_kind(charge_point, marker):
    owners: dict[str, set[str]] = defaultdict(set)
    for cls in charge_point.__mro__:
        for name, func in vars(cls).items():
            action = getattr(func, marker, None)
            if action is None:
                continue
            # A subclass overriding its base's method by name is one handler, not two.
            owners[action].add(name)
            resolved = getattr(charge_point, name)
            assert getattr(resolved, marker, None) == action, (action, name)
    clashes = {action: names for action, names in owners.items() if len(names) > 1}
    assert not clashes, f"actions with more than one {marker} handler (only one would run): {clashes}"


def test_the_route_map_is_shared_by_the_class_and_binds_to_each_station():
    from ocpp_gateway.protocol import SharedRoutes
    from ocpp_gateway.v16 import ChargePoint16
    from ocpp_gateway.v201 import ChargePoint201

    class Consumer:
        pass

    for cls in (ChargePoint16, ChargePoint201):
        first, second = cls("A", Consumer(), response_timeout=5), cls("B", Consumer(), response_timeout=5)
        assert isinstance(first.route_map, SharedRoutes)
        # One table per class, not per connection (memory per station, issue 17).
        assert first.route_map._routes is second.route_map._routes
        boot = first.route_map["BootNotification"]
        assert boot["_on_action"].__self__ is first and second.route_map["BootNotification"]["_on_action"].__self__ is second
        assert boot["_skip_schema_validation"] is False
        assert "Heartbeat" in first.route_map and "NoSuchAction" not in first.route_map


def test_a_gateway_charge_point_has_what_the_library_s_own_init_sets():
    """GatewayChargePoint.__init__ sets the library's attributes itself (no per-station route walk):
    a library upgrade that adds one must show up here."""
    from ocpp.v16 import ChargePoint as LibraryChargePoint16

    from ocpp_gateway.v16 import ChargePoint16

    class Consumer:
        pass

    library = LibraryChargePoint16("X", object(), response_timeout=5)
    ChargePoint16("W", Consumer(), response_timeout=5)  # the first one of a class computes its routes
    ours = ChargePoint16("Y", Consumer(), response_timeout=5)
    assert set(vars(library)) <= set(vars(ours))
    assert ours.id == "Y" and ours._response_timeout == 5 and ours._response_queue.empty()


def test_no_mixin_between_the_gateway_and_the_library_needs_an_init():
    """GatewayChargePoint.__init__ does not call the next __init__ in line: nothing may need it."""
    from ocpp.charge_point import ChargePoint as LibraryChargePoint

    from ocpp_gateway.protocol import GatewayChargePoint
    from ocpp_gateway.v16 import ChargePoint16
    from ocpp_gateway.v201 import ChargePoint201

    for cls in (ChargePoint16, ChargePoint201):
        with_init = [k for k in cls.__mro__ if "__init__" in vars(k) and k is not object]
        assert with_init == [GatewayChargePoint, LibraryChargePoint]
