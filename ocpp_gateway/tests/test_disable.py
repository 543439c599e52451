"""An admin disabling a connected station: its socket is dropped now and it is Rejected at its next boot."""
from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from ocpp.v16 import call
from rest_framework.test import APIClient

from stations.models import StationState

pytestmark = pytest.mark.django_db(transaction=True)


def _disable_through_the_api(user, identity: str) -> int:
    api = APIClient()
    api.force_authenticate(user)
    return api.patch(f"/api/charging_stations/{identity}/", {"state": "rejected"}, format="json").status_code


async def test_disabling_a_connected_station_closes_its_socket_and_the_next_boot_is_rejected(
    connect, station_a, operator_a
):
    station = await connect("CP-A-1")
    reply = await station.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    assert reply[2]["status"] == "Accepted"

    assert await sync_to_async(_disable_through_the_api)(operator_a, "CP-A-1") == 200

    # The platform's own GetConfiguration after Accepted may come first; the close must follow.
    outputs = [await station.comm.receive_output(timeout=3)]
    while outputs[-1]["type"] == "websocket.send" and len(outputs) < 5:
        outputs.append(await station.comm.receive_output(timeout=3))
    assert outputs[-1] == {"type": "websocket.close", "code": 4003}
    await station.comm.disconnect()
    await station_a.arefresh_from_db()
    assert station_a.state == StationState.REJECTED and not station_a.connected

    again = await connect("CP-A-1")
    reply = await again.call(call.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    assert reply[2]["status"] == "Rejected"
    await again.comm.disconnect()


async def test_saving_a_disconnected_disabled_station_sends_nothing(station_a, operator_a):
    from stations.services import station_disconnect_if_disabled

    station_a.state = StationState.REJECTED
    assert await sync_to_async(station_disconnect_if_disabled)(station=station_a) is False
