"""TC_A_19_CSMS (OCPP 2.0.1 Part 6, A05): the operator raises a station's security profile by hand,
with the provisioning actions, over nginx's real TLS.

Steps as the case writes them: SetNetworkProfile with the configured profile + 1 (step 1),
SetVariables OCPPCommCtrlr.NetworkConfigurationPriority naming the new slot (step 3), Reset (step 5);
the station reconnects on the higher profile and is accepted (steps 7-9); then it tries the old
profile and is refused (steps 10-11). The station is the simulator (`ocpp` library client, strict
schema validation of every request it gets).
"""
from __future__ import annotations

import asyncio

import pytest
import websockets

from simulator import Station201, basic_auth_header
from tests.servers import wait_for
from tests.test_provisioning_e2e import operator_action
from tests.test_security_upgrade import _secure_platform, create_station, pytestmark, security  # noqa: F401 - nginx skip

__all__ = ["pytestmark"]


@pytest.fixture(scope="module")
def tls_platform(tmp_path_factory):
    yield from _secure_platform(tmp_path_factory)


async def test_TC_A_19_upgrade_charging_station_security_profile_by_hand(tls_platform):
    platform = tls_platform
    identity, password = create_station(platform)
    sim = Station201(identity=identity, password=password, url=platform.ocpp_url)
    # Prerequisite (profile 1): a trusted certificate is installed, the platform's CA.
    sim.trusted_certificates.append(platform.api.get("/pki/ca.pem", expect=200).text)
    tls_url = platform.nginx.ocpp_url
    try:
        await sim.connect()
        await sim.boot_until_accepted()
        await asyncio.to_thread(platform.api.wait_for_station, identity, lambda s: s["connected"], what="connected")

        # Step 1: a connection profile one level higher in a free slot.
        done = await operator_action(
            platform.api, identity, "set_network_profile", configuration_slot=1, ocpp_csms_url=tls_url,
            security_profile=2, ocpp_interface="Wired0",
        )
        request = await sim.wait_for_request("SetNetworkProfile")
        assert request == {
            "configuration_slot": 1,
            "connection_data": {
                "message_timeout": 10,  # the platform's call timeout (OCPP_CALL_TIMEOUT here)
                "ocpp_csms_url": tls_url,
                "ocpp_interface": "Wired0",
                "ocpp_transport": "JSON",
                "ocpp_version": "OCPP20",
                "security_profile": 2,
            },
        }
        assert (done["status"], done["result"]) == ("accepted", "Accepted")

        # Step 3: the priority list starts with the new slot.
        done = await operator_action(platform.api, identity, "set_variables", variables="OCPPCommCtrlr.NetworkConfigurationPriority=1,0")
        request = await sim.wait_for_request("SetVariables")
        assert request["set_variable_data"] == [
            {"attribute_value": "1,0", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}}
        ]
        assert (done["status"], done["result"]) == ("accepted", "Accepted")

        # Step 5: reboot; steps 7-9: it comes back on profile 2 and is accepted.
        done = await operator_action(platform.api, identity, "reset")
        assert (await sim.wait_for_request("Reset"))["type"] == "Immediate"
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        await asyncio.wait_for(sim.rebooted.wait(), 15)
        assert sim.connected_slot == 1 and sim.boot_status == "Accepted"
        state = await asyncio.to_thread(
            wait_for, lambda: s if (s := security(platform, identity))["connection"]["profile"] == 2 else None,
            timeout=10, what="the connection recorded on profile 2",
        )
        assert state["minimum_profile"] == 2
    finally:
        await sim.disconnect()
    assert sim.errors_sent == []

    # Steps 10-11: the configured (lower) profile is refused now.
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            platform.ocpp_url + identity, subprotocols=["ocpp2.0.1"],
            additional_headers={"Authorization": basic_auth_header(identity, password)},
        ):
            pass
    assert refused.value.response.status_code == 401
    assert "downgrade refused" in platform.api.station(identity)["last_connection_error"]
