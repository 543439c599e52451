"""The station simulator (simulator, with simulator.certificates mixed in) taken from
profile 1 to 2 to 3 by the platform's upgrade action, over nginx's real TLS."""
from __future__ import annotations

import asyncio

import pytest

from simulator import Station201
from tests.test_security_upgrade import (
    _secure_platform,
    create_station,
    pytestmark,  # noqa: F401 - the same nginx requirement
    security,
    start_upgrade,
    wait_upgrade,
)


@pytest.fixture(scope="module")
def sim_platform(tmp_path_factory):
    yield from _secure_platform(tmp_path_factory)


async def test_the_simulator_is_upgraded_from_profile_1_to_2_to_3(sim_platform):
    platform = sim_platform
    identity, password = create_station(platform)
    station = Station201(identity=identity, password=password, url=platform.ocpp_url)
    try:
        await station.connect()
        await station.boot_until_accepted()
        await asyncio.sleep(0.5)

        for target, slot in ((2, 1), (3, 2)):
            upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, target)["id"])
            assert upgrade["status"] == "succeeded", upgrade
            await asyncio.wait_for(station.rebooted.wait(), 10)
            assert station.connected_slot == slot
            state = security(platform, identity)
            assert (state["minimum_profile"], state["connection"]["profile"]) == (target, target)

        assert state["connection"]["client_certificate_cn"] == identity
        assert station.client_certificate is not None
        assert station.trusted_certificates == [platform.api.get("/pki/ca.pem", expect=200).text]
        assert station.variables[("SecurityCtrlr", None, None, "SecurityProfile", None)].value == "3"
        # Every request the platform sent passed the station's schema validation.
        assert station.errors_sent == []
    finally:
        await station.disconnect()
