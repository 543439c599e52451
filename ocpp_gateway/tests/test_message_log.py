"""The message log: every frame in and out, written in batches, shown per station in the admin."""
from __future__ import annotations

import pytest
from ocpp.v16 import call as call16

from ocpp_gateway import message_log
from ocpp_gateway.models import Message
from stations.models import StationState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


async def rows(station):
    return [
        (m.direction, m.message_type, m.action, m.unique_id)
        async for m in Message.objects.filter(station=station).order_by("time", "id")
    ]


async def test_every_frame_in_and_out_is_logged_with_the_action_it_answers(onboarded, connect):
    station = await connect("CP-A-1")
    await station.call(call16.Heartbeat(), unique_id="hb-1")
    await station.call(call16.Authorize(id_tag="X" * 25), unique_id="bad-1", validate=False)  # idTag is at most 20: CALLERROR
    await message_log.buffer.flush()
    assert await rows(onboarded) == [
        ("in", 2, "Heartbeat", "hb-1"),
        ("out", 3, "Heartbeat", "hb-1"),
        ("in", 2, "Authorize", "bad-1"),
        ("out", 4, "Authorize", "bad-1"),
    ]
    error = await Message.objects.aget(station=onboarded, message_type=4)
    assert error.payload["errorCode"] == "TypeConstraintViolation"
    answer = await Message.objects.aget(station=onboarded, message_type=3)
    assert "currentTime" in answer.payload


async def test_answers_to_platform_requests_carry_the_request_action(onboarded, connect, fake_remote):
    from ocpp_gateway.tests.conftest import send_command

    async def execute(consumer, event):
        await consumer.charge_point.call(call16.GetConfiguration(key=["HeartbeatInterval"]))

    fake_remote(execute)
    station = await connect("CP-A-1")
    await send_command(onboarded, {})
    request = await station.receive()
    await station.reply(request[1], {"configurationKey": []})
    await station.comm.disconnect()
    assert await rows(onboarded) == [
        ("out", 2, "GetConfiguration", request[1]),
        ("in", 3, "GetConfiguration", request[1]),
    ]


async def test_a_calls_row_is_committed_before_its_answer_and_the_answers_row_soon_after(onboarded, connect):
    import asyncio

    station = await connect("CP-A-1")
    for n in range(5):
        await station.call(call16.Heartbeat(), unique_id=f"hb-{n}")
        # Answered means stored: no flush, no disconnect, the CALL is in the log already.
        assert await Message.objects.filter(station=onboarded, direction="in", unique_id=f"hb-{n}").aexists()
    # The answers' own rows go with the next group commit, without a timer to wait for.
    for _ in range(250):  # up to 5 s on a busy machine
        if await Message.objects.filter(station=onboarded).acount() == 10:
            break
        await asyncio.sleep(0.02)
    assert await Message.objects.filter(station=onboarded).acount() == 10


def test_buffered_frames_are_written_at_shutdown(station_a):
    message_log.buffer.add(
        station_id=station_a.pk, direction="in", message_type=2, action="Heartbeat", unique_id="1", payload={}
    )
    message_log._flush_at_exit()
    assert Message.objects.filter(station=station_a, action="Heartbeat").count() == 1


async def _log_some(station_model, connect):
    station = await connect(station_model.identity)
    await station.call(call16.Heartbeat(), unique_id="hb-1")
    await station.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="Available"), unique_id="st-1")
    await station.comm.disconnect()


async def test_the_admin_log_is_searchable_by_action_and_scoped_to_the_network(onboarded, station_b, connect, async_client, operator_a, operator_b):
    station_b.state = StationState.ONBOARDED
    await station_b.asave(update_fields=["state"])
    await _log_some(onboarded, connect)
    await _log_some(station_b, connect)

    await async_client.aforce_login(operator_a)
    page = (await async_client.get("/admin/ocpp_gateway/message/", {"q": "StatusNotification"})).content.decode()
    assert "st-1" in page and "hb-1" not in page
    assert "CP-A-1" in page and "CP-B-1" not in page
    by_station = await async_client.get("/admin/ocpp_gateway/message/", {"station": onboarded.pk})
    assert by_station.status_code == 200 and "hb-1" in by_station.content.decode()
    from django.utils import timezone

    now = timezone.now()
    by_day = await async_client.get(
        "/admin/ocpp_gateway/message/", {"time__year": now.year, "time__month": now.month, "time__day": now.day}
    )
    assert by_day.status_code == 200 and "hb-1" in by_day.content.decode()

    other = await Message.objects.filter(station=station_b).afirst()
    await async_client.aforce_login(operator_b)
    assert (await async_client.get(f"/admin/ocpp_gateway/message/{other.pk}/change/")).status_code == 200
    mine = await Message.objects.filter(station=onboarded).afirst()
    assert (await async_client.get(f"/admin/ocpp_gateway/message/{mine.pk}/change/")).status_code == 404


async def test_the_station_page_links_to_its_message_log(onboarded, async_client, operator_a):
    await async_client.aforce_login(operator_a)
    page = (await async_client.get(f"/admin/stations/station/{onboarded.pk}/change/")).content.decode()
    assert f"/admin/ocpp_gateway/message/?station={onboarded.pk}" in page
