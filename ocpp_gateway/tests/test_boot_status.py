"""BootNotification, Heartbeat, StatusNotification and the other station requests, 1.6 and 2.0.1."""
from __future__ import annotations

import pytest
from django.test import override_settings
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_gateway.tests.conftest import send_command
from ocpp_gateway.write_buffer import buffer as write_buffer
from stations.models import EVSE, Connector, StationEvent, StationState

pytestmark = pytest.mark.django_db(transaction=True)

BOOT16 = call16.BootNotification(
    charge_point_vendor="Zaptec", charge_point_model="Go", charge_point_serial_number="ZAP-1", firmware_version="2.1.0"
)
BOOT201 = call201.BootNotification(
    charging_station={"vendor_name": "Alfen", "model": "Eve", "serial_number": "ALF-9", "firmware_version": "6.2"},
    reason="PowerUp",
)


async def answer_configuration_request(station) -> list:
    """After Accepted the platform reads the configuration; answer it so the socket is quiet again."""
    request = await station.receive()
    assert request[0] == 2
    if request[2] == "GetConfiguration":
        await station.reply(request[1], {"configurationKey": []})
    else:
        await station.reply(request[1], {"status": "Accepted"})
    return request


@override_settings(OCPP_HEARTBEAT_INTERVAL=120)
async def test_a_pending_16_station_is_onboarded_and_accepted_at_boot(station_a, connect):
    station = await connect("CP-A-1")
    reply = await station.call(BOOT16)
    assert reply[2]["status"] == "Accepted"
    assert reply[2]["interval"] == 120
    await station_a.arefresh_from_db()
    assert station_a.state == StationState.ONBOARDED
    assert (station_a.vendor, station_a.model, station_a.serial_number, station_a.firmware_version) == (
        "Zaptec", "Go", "ZAP-1", "2.1.0"
    )
    assert station_a.ocpp_version == "1.6"
    await answer_configuration_request(station)


async def test_a_201_boot_records_the_station_and_version(station_a, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    reply = await station.call(BOOT201)
    assert reply[2]["status"] == "Accepted"
    await station_a.arefresh_from_db()
    assert (station_a.vendor, station_a.model, station_a.serial_number, station_a.firmware_version) == (
        "Alfen", "Eve", "ALF-9", "6.2"
    )
    assert station_a.ocpp_version == "2.0.1"
    await answer_configuration_request(station)


@pytest.mark.parametrize("subprotocol,boot", [("ocpp1.6", BOOT16), ("ocpp2.0.1", BOOT201)])
async def test_a_rejected_station_stays_rejected_and_may_not_send_requests(station_a, connect, subprotocol, boot):
    station_a.state = StationState.REJECTED
    await station_a.asave(update_fields=["state"])
    station = await connect("CP-A-1", subprotocols=[subprotocol])
    reply = await station.call(boot)
    assert reply[2]["status"] == "Rejected"
    # 2.0.1 B03.FR.07 (TC_B_30_CSMS): anything but BootNotification gets SecurityError.
    heartbeat = call16.Heartbeat() if subprotocol == "ocpp1.6" else call201.Heartbeat()
    reply = await station.call(heartbeat)
    assert reply[0] == 4 and reply[2] == "SecurityError"
    # No configuration reading for a station that is not accepted.
    assert await station.comm.receive_nothing(timeout=0.2)


async def test_a_station_that_never_booted_gets_security_error(station_a, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    reply = await station.call(
        call201.StatusNotification(timestamp="2026-01-01T00:00:00Z", connector_status="Available", evse_id=1, connector_id=1)
    )
    assert reply[0] == 4 and reply[2] == "SecurityError"


async def test_messages_the_csms_triggered_are_accepted_before_acceptance(station_a, connect, fake_remote):
    """2.0.1 B02.FR.09 (TC_B_31_CSMS): a message the CSMS asked for is not refused."""
    station_a.state = StationState.REJECTED
    await station_a.asave(update_fields=["state"])

    async def execute(consumer, event):
        await consumer.charge_point.call(call201.TriggerMessage(requested_message="StatusNotification"))

    fake_remote(execute)
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    await send_command(station_a, {})
    trigger = await station.receive()
    assert trigger[2] == "TriggerMessage"
    await station.reply(trigger[1], {"status": "Accepted"})
    reply = await station.call(
        call201.StatusNotification(timestamp="2026-01-01T00:00:00Z", connector_status="Available", evse_id=1, connector_id=1)
    )
    assert reply[0] == 3
    # Not a licence for everything else.
    assert (await station.call(call201.Heartbeat()))[2] == "SecurityError"


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


async def test_heartbeat_answers_the_time_and_marks_the_station_seen(onboarded, connect):
    from ocpp_gateway.message_log import buffer

    station = await connect("CP-A-1")
    before = (await type(onboarded).objects.aget(pk=onboarded.pk)).last_seen
    reply = await station.call(call16.Heartbeat())
    assert reply[2]["currentTime"].endswith("Z")
    await buffer.flush()
    after = (await type(onboarded).objects.aget(pk=onboarded.pk)).last_seen
    assert after > before


async def test_16_status_notification_updates_evse_and_connector(onboarded, connect):
    station = await connect("CP-A-1")
    await station.call(call16.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
    await station.call(
        call16.StatusNotification(
            connector_id=2, error_code="GroundFailure", status="Faulted", info="RCD tripped", vendor_error_code="E42",
            timestamp="2026-03-01T10:00:00Z",
        )
    )
    await write_buffer.flush()  # statuses are written in batches (ocpp_gateway.write_buffer)
    evse0 = await EVSE.objects.aget(station=onboarded, evse_id=0)
    assert evse0.status == "Available" and not evse0.is_faulted
    connector = await Connector.objects.select_related("evse").aget(evse__station=onboarded, connector_id=2)
    assert connector.evse.evse_id == 2
    assert (connector.status, connector.error_code, connector.error_info, connector.vendor_error_code) == (
        "Faulted", "GroundFailure", "RCD tripped", "E42"
    )
    assert connector.is_faulted and connector.evse.is_faulted
    assert connector.status_at.isoformat().startswith("2026-03-01T10:00:00")
    assert not await Connector.objects.filter(evse=evse0).aexists()


async def test_201_status_notification_updates_the_connector(onboarded, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    reply = await station.call(
        call201.StatusNotification(timestamp="2026-03-01T10:00:00Z", connector_status="Occupied", evse_id=1, connector_id=1)
    )
    assert reply[0] == 3
    await write_buffer.flush()
    connector = await Connector.objects.select_related("evse").aget(evse__station=onboarded, evse__evse_id=1, connector_id=1)
    assert connector.status == "Occupied"


async def test_faulted_equipment_is_red_in_the_admin_station_list(onboarded, connect, account_admin, async_client):
    station = await connect("CP-A-1")
    await station.call(call16.StatusNotification(connector_id=1, error_code="OtherError", status="Faulted"))
    await write_buffer.flush()
    await async_client.aforce_login(account_admin)
    response = await async_client.get("/admin/stations/station/")
    assert response.status_code == 200
    assert 'class="equipment faulted"' in response.content.decode()


async def test_notify_event_and_security_events_are_stored(onboarded, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    await station.call(
        call201.NotifyEvent(
            generated_at="2026-03-01T10:00:00Z",
            seq_no=0,
            event_data=[
                {
                    "event_id": 1, "timestamp": "2026-03-01T09:59:00Z", "trigger": "Alerting", "actual_value": "true",
                    "event_notification_type": "HardWiredNotification", "tech_info": "door",
                    "component": {"name": "Controller", "evse": {"id": 1}}, "variable": {"name": "Tampered"},
                }
            ],
        )
    )
    await station.call(call201.SecurityEventNotification(type="FirmwareUpdated", timestamp="2026-03-01T10:01:00Z"))
    events = [e async for e in StationEvent.objects.filter(station=onboarded).order_by("occurred_at")]
    assert [(e.source, e.event_type, e.component, e.variable, e.value) for e in events] == [
        ("NotifyEvent", "Alerting", "Controller EVSE 1", "Tampered", "true"),
        ("SecurityEventNotification", "FirmwareUpdated", "", "", ""),
    ]


async def test_16_security_event_notification_is_stored(onboarded, connect):
    station = await connect("CP-A-1")
    reply = await station.call(call16.SecurityEventNotification(type="SettingSystemTime", timestamp="2026-03-01T10:00:00Z", tech_info="ntp"))
    assert reply[0] == 3
    assert await StationEvent.objects.filter(station=onboarded, event_type="SettingSystemTime").aexists()


async def test_16_transactions_authorize_and_meter_values_get_valid_answers(onboarded, connect):
    station = await connect("CP-A-1")
    assert (await station.call(call16.Authorize(id_tag="TAG1")))[2]["idTagInfo"]["status"] == "Accepted"
    start = await station.call(
        call16.StartTransaction(connector_id=1, id_tag="TAG1", meter_start=100, timestamp="2026-03-01T10:00:00Z")
    )
    transaction_id = start[2]["transactionId"]
    assert isinstance(transaction_id, int)
    reply = await station.call(
        call16.MeterValues(
            connector_id=1, transaction_id=transaction_id,
            meter_value=[{"timestamp": "2026-03-01T10:05:00Z", "sampled_value": [{"value": "150"}]}],
        )
    )
    assert reply[0] == 3
    stop = await station.call(
        call16.StopTransaction(meter_stop=200, timestamp="2026-03-01T11:00:00Z", transaction_id=transaction_id, id_tag="TAG1")
    )
    assert stop[0] == 3
    no_tag = await station.call(
        call16.StopTransaction(meter_stop=200, timestamp="2026-03-01T11:00:00Z", transaction_id=transaction_id)
    )
    assert no_tag[2] == {}


async def test_201_transaction_event_authorize_and_meter_values_get_valid_answers(onboarded, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])
    reply = await station.call(call201.Authorize(id_token={"id_token": "TAG1", "type": "ISO14443"}))
    assert reply[2]["idTokenInfo"]["status"] == "Accepted"
    reply = await station.call(
        call201.TransactionEvent(
            event_type="Started", timestamp="2026-03-01T10:00:00Z", trigger_reason="Authorized", seq_no=0,
            transaction_info={"transaction_id": "tx-1"}, id_token={"id_token": "TAG1", "type": "ISO14443"},
            evse={"id": 1, "connector_id": 1},
        )
    )
    assert reply[2]["idTokenInfo"]["status"] == "Accepted"
    reply = await station.call(
        call201.MeterValues(evse_id=1, meter_value=[{"timestamp": "2026-03-01T10:05:00Z", "sampled_value": [{"value": 1.5}]}])
    )
    assert reply[0] == 3


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_data_transfer_answers_unknown_vendor(onboarded, connect, subprotocol):
    station = await connect("CP-A-1", subprotocols=[subprotocol])
    payload = call16.DataTransfer(vendor_id="com.acme") if subprotocol == "ocpp1.6" else call201.DataTransfer(vendor_id="com.acme")
    reply = await station.call(payload)
    assert reply[2]["status"] == "UnknownVendorId"


async def test_disconnect_keeps_last_seen(onboarded, connect):
    station = await connect("CP-A-1")
    await station.call(call16.Heartbeat())
    await station.comm.disconnect()
    await onboarded.arefresh_from_db()
    assert not onboarded.connected and onboarded.last_seen is not None


async def test_status_updates_existing_rows_and_an_evse_with_two_connectors_keeps_its_own_status(onboarded, connect):
    station = await connect("CP-A-1", subprotocols=["ocpp2.0.1"])

    async def status(connector_id: int, value: str) -> None:
        reply = await station.call(
            call201.StatusNotification(timestamp="2026-03-01T10:00:00Z", connector_status=value, evse_id=1, connector_id=connector_id)
        )
        assert reply[0] == 3
        # Each status in its own batch, so the second one takes the UPDATE path.
        await write_buffer.flush()

    await status(1, "Available")
    await status(1, "Occupied")  # the UPDATE path
    evse = await EVSE.objects.aget(station=onboarded, evse_id=1)
    assert evse.status == "Occupied"  # one connector: the EVSE mirrors it
    await status(2, "Faulted")
    await status(1, "Available")
    statuses = {c.connector_id: c.status async for c in Connector.objects.filter(evse=evse)}
    assert statuses == {1: "Available", 2: "Faulted"}
    await evse.arefresh_from_db()
    assert evse.status == "Occupied"  # two connectors: neither speaks for the EVSE


async def test_the_station_page_shows_its_latest_events(onboarded, async_client, operator_a, monkeypatch):
    from django.utils import timezone

    from ocpp_gateway import admin as gateway_admin

    monkeypatch.setattr(gateway_admin, "EVENTS_SHOWN", 2)
    now = timezone.now()
    for n in range(3):
        await StationEvent.objects.acreate(
            station=onboarded, source="SecurityEventNotification", event_type=f"Event{n}",
            occurred_at=now - timezone.timedelta(minutes=10 - n),
        )
    await async_client.aforce_login(operator_a)
    page = (await async_client.get(f"/admin/stations/station/{onboarded.pk}/change/")).content.decode()
    assert "Event2" in page and "Event1" in page and "Event0" not in page
