"""After Accepted the platform reads the configuration: 1.6 GetConfiguration, 2.0.1 GetBaseReport + NotifyReport."""
from __future__ import annotations

import pytest
from ocpp.messages import Call, validate_payload
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from stations.models import ConfigurationKey, DeviceModelVariable

pytestmark = pytest.mark.django_db(transaction=True)


async def platform_request(station, action: str) -> list:
    request = await station.receive()
    assert request[0] == 2 and request[2] == action, request
    # Every frame the platform sends must validate against the OCA schema.
    await validate_payload(Call(request[1], request[2], request[3]), station.version)
    return request


async def test_16_configuration_keys_are_read_after_boot_and_shown(station_a, connect, async_client, operator_a):
    station = await connect("CP-A-1")
    await station.call(call16.BootNotification(charge_point_vendor="Zaptec", charge_point_model="Go"))
    request = await platform_request(station, "GetConfiguration")
    assert request[3] == {}
    await station.reply(
        request[1],
        {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
                {"key": "AuthorizationKey", "readonly": False},
            ],
            "unknownKey": [],
        },
    )
    await station.call(call16.Heartbeat())  # a round trip: the store has happened by now
    keys = {k.key: (k.value, k.readonly) async for k in ConfigurationKey.objects.filter(station=station_a)}
    assert keys == {"HeartbeatInterval": ("300", False), "NumberOfConnectors": ("1", True), "AuthorizationKey": ("", False)}

    await async_client.aforce_login(operator_a)
    page = (await async_client.get(f"/admin/stations/station/{station_a.pk}/change/")).content.decode()
    assert "Configuration keys" in page and "NumberOfConnectors" in page
    assert "Device model" not in page


async def test_16_a_second_read_replaces_the_keys(station_a, connect):
    for keys in (
        [{"key": "A", "readonly": False, "value": "1"}, {"key": "B", "readonly": False, "value": "2"}],
        [{"key": "A", "readonly": True, "value": "3"}],
    ):
        station = await connect("CP-A-1")
        await station.call(call16.BootNotification(charge_point_vendor="Zaptec", charge_point_model="Go"))
        request = await platform_request(station, "GetConfiguration")
        await station.reply(request[1], {"configurationKey": keys})
        await station.call(call16.Heartbeat())
        await station.comm.disconnect()
    assert [(k.key, k.value, k.readonly) async for k in ConfigurationKey.objects.filter(station=station_a)] == [
        ("A", "3", True)
    ]


def report_item(component: dict, variable: dict, value: str, **characteristics) -> dict:
    return {
        "component": component,
        "variable": variable,
        "variableAttribute": [{"type": "Actual", "value": value, "mutability": "ReadWrite"}],
        "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False, **characteristics},
    }


async def test_201_device_model_is_read_with_get_base_report_and_shown(station_a, connect, async_client, operator_a):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    await station.call(
        call201.BootNotification(charging_station={"vendor_name": "Alfen", "model": "Eve"}, reason="PowerUp")
    )
    request = await platform_request(station, "GetBaseReport")
    assert request[3]["reportBase"] == "FullInventory"
    request_id = request[3]["requestId"]
    await station.reply(request[1], {"status": "Accepted"})
    parts = [
        [report_item({"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}, "300", unit="s")],
        [
            report_item({"name": "EVSE", "evse": {"id": 1}}, {"name": "Power"}, "22000", unit="W", maxLimit=22000),
            report_item({"name": "Connector", "evse": {"id": 1, "connectorId": 1}}, {"name": "ConnectorType"}, "cType2"),
        ],
    ]
    for seq_no, data in enumerate(parts):
        reply = await station.call(
            call201.NotifyReport(
                request_id=request_id, generated_at="2026-03-01T10:00:00Z", seq_no=seq_no,
                tbc=seq_no < len(parts) - 1, report_data=data,
            ),
            validate=False,  # the library's dataclass would need snake_case keys; this is the wire form
        )
        assert reply[0] == 3
    rows = {
        (r.component, r.evse_id, r.connector_id, r.variable): (r.value, r.unit, r.mutability)
        async for r in DeviceModelVariable.objects.filter(station=station_a)
    }
    assert rows == {
        ("OCPPCommCtrlr", None, None, "HeartbeatInterval"): ("300", "s", "ReadWrite"),
        ("EVSE", 1, None, "Power"): ("22000", "W", "ReadWrite"),
        ("Connector", 1, 1, "ConnectorType"): ("cType2", "", "ReadWrite"),
    }
    power = await DeviceModelVariable.objects.aget(station=station_a, variable="Power")
    assert power.max_limit == 22000 and power.data_type == "integer"

    await async_client.aforce_login(operator_a)
    page = (await async_client.get(f"/admin/stations/station/{station_a.pk}/change/")).content.decode()
    assert "Device model" in page and "ConnectorType" in page
    assert "Configuration keys" not in page


async def test_201_a_new_full_inventory_replaces_the_old_one(station_a, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    await DeviceModelVariable.objects.acreate(station=station_a, component="Old", variable="Gone", value="x")
    await station.call(call201.BootNotification(charging_station={"vendor_name": "Alfen", "model": "Eve"}, reason="PowerUp"))
    request = await platform_request(station, "GetBaseReport")
    await station.reply(request[1], {"status": "Accepted"})
    await station.comm.send_json_to(
        [2, "r0", "NotifyReport", {
            "requestId": request[3]["requestId"], "generatedAt": "2026-03-01T10:00:00Z", "seqNo": 0, "tbc": False,
            "reportData": [report_item({"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}, "60")],
        }]
    )
    assert (await station.receive())[0] == 3
    assert [r.variable async for r in DeviceModelVariable.objects.filter(station=station_a)] == ["HeartbeatInterval"]


async def test_a_station_that_does_not_answer_the_read_keeps_working(station_a, connect, settings):
    settings.OCPP_CALL_TIMEOUT = 1
    station = await connect("CP-A-1")
    await station.call(call16.BootNotification(charge_point_vendor="Zaptec", charge_point_model="Go"))
    await platform_request(station, "GetConfiguration")
    # The read waits in the background; the station's own requests are answered meanwhile.
    reply = await station.call(call16.Heartbeat())
    assert reply[0] == 3


def test_a_partial_report_updates_the_variables_it_names(station_a):
    from stations.services import station_device_model_store

    first = [
        report_item({"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"}, "300"),
        report_item({"name": "EVSE", "evse": {"id": 1}}, {"name": "Power"}, "11000"),
    ]
    station_device_model_store(station=station_a, report_data=first, replace=True)
    # A GetReport answer (another request id) for one variable leaves the rest alone.
    station_device_model_store(
        station=station_a, report_data=[report_item({"name": "EVSE", "evse": {"id": 1}}, {"name": "Power"}, "22000")], replace=False
    )
    assert sorted(DeviceModelVariable.objects.filter(station=station_a).values_list("variable", "value")) == [
        ("HeartbeatInterval", "300"), ("Power", "22000")
    ]
