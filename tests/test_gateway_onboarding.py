"""A new station connects and boots: the operator sees it onboarded, online, with what it reported."""
from __future__ import annotations

import pytest

from tests.servers import simulated_station

pytestmark = pytest.mark.e2e

VERSIONS = ["1.6", "2.0.1"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_booting_station_is_onboarded_and_shows_what_it_reported(version, api, new_station):
    station = new_station("ONB")
    assert station.created["state"] == "pending"
    assert station.created["connected"] is False

    async with simulated_station(
        version, identity=station.identity, password=station.password, url=station.url,
        vendor="Alfen", model="Eve Double", firmware_version="6.4.0", serial_number="ACE0012345", connectors=2,
    ) as sim:
        assert sim.subprotocol == {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}[version]
        assert sim.boot_status == "Accepted"
        assert sim.boot_interval > 0
        seen = await api.station_when(station.identity, lambda s: s["connected"] and len(s["evses"]) >= 2, what="online with two EVSEs")

    assert seen["state"] == "onboarded"
    assert seen["ocpp_version"] == version
    assert (seen["vendor"], seen["model"], seen["firmware_version"], seen["serial_number"]) == ("Alfen", "Eve Double", "6.4.0", "ACE0012345")
    assert seen["last_seen"] is not None
    statuses = {e["evse_id"]: e["status"] for e in seen["evses"] if e["evse_id"] > 0}
    assert statuses == {1: "Available", 2: "Available"}
    assert not any(e["faulted"] for e in seen["evses"])

    after = await api.station_when(station.identity, lambda s: not s["connected"], what="offline after the socket closed")
    assert after["state"] == "onboarded"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_faulted_connector_shows_as_faulted_with_its_error(version, api, new_station):
    station = new_station("FLT")
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url, connectors=2) as sim:
        await sim.fault(2, error_code="GroundFailure", info="RCD tripped")
        seen = await api.station_when(
            station.identity,
            lambda s: any(e["evse_id"] == 2 and e["faulted"] for e in s["evses"]),
            what="EVSE 2 faulted",
        )
        evse2 = next(e for e in seen["evses"] if e["evse_id"] == 2)
        assert evse2["status"] == "Faulted"
        assert evse2["connectors"][0]["status"] == "Faulted"
        if version == "1.6":
            # 1.6 StatusNotification carries the error code itself (§7.6 ChargePointErrorCode).
            assert evse2["connectors"][0]["error_code"] == "GroundFailure"
            assert evse2["connectors"][0]["error_info"] == "RCD tripped"
        evse1 = next(e for e in seen["evses"] if e["evse_id"] == 1)
        assert evse1["status"] == "Available" and not evse1["faulted"]

        await sim.clear_fault(2)
        cleared = await api.station_when(
            station.identity,
            lambda s: any(e["evse_id"] == 2 and e["status"] == "Available" for e in s["evses"]),
            what="EVSE 2 available again",
        )
        assert not any(e["faulted"] for e in cleared["evses"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_station_that_reboots_comes_back_online(version, api, new_station):
    station = new_station("RBT")
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url) as sim:
        await api.station_when(station.identity, lambda s: s["connected"], what="online")
        await sim.reboot(reason="PowerUp")
        assert sim.boots == 2 and sim.connects == 2
        assert await sim.heartbeat()
        seen = await api.station_when(station.identity, lambda s: s["connected"], what="online after the reboot")
        assert seen["state"] == "onboarded"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_rejected_station_is_told_so_and_may_send_nothing_else(version, api, new_station):
    station = new_station("REJ")
    api.patch(f"/api/charging_stations/{station.identity}/", json_body={"state": "rejected"}, expect=200)
    async with simulated_station(version, identity=station.identity, password=station.password, url=station.url, boot=False) as sim:
        assert await sim.boot() == "Rejected"
        # Rejected: the interval is the wait before the next BootNotification (1.6 §4.2, 2.0.1 B03).
        assert sim.boot_interval > 0
        with pytest.raises(Exception) as refused:
            await sim.heartbeat()
        assert type(refused.value).__name__ == "SecurityError"
        seen = await api.station_when(station.identity, lambda s: s["connected"], what="connected")
        assert seen["state"] == "rejected"
        assert seen["vendor"] == "Switch"
