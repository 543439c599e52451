"""A frame refused on purpose is one WARNING line; a fault of the platform keeps its ERROR and traceback.

The `ocpp` library logs every exception a handler raises with a traceback at ERROR, including the
CALLERRORs the gateway raises to refuse a frame (ocpp_gateway.protocol.RefusalLog).
"""
from __future__ import annotations

import logging

import pytest

from stations.models import StationState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def onboarded(station_a):
    station_a.state = StationState.ONBOARDED
    await station_a.asave(update_fields=["state"])
    return station_a


async def test_a_refused_frame_is_one_warning_without_a_traceback(onboarded, connect, caplog):
    station = await connect("CP-A-1", subprotocols=["ocpp1.6"])
    caplog.set_level(logging.INFO)
    reply = await station.send_raw(
        '[2, "big-1", "StatusNotification", {"connectorId": 9223372036854775807, "errorCode": "NoError", "status": "Available"}]'
    )
    assert reply[:3] == [4, "big-1", "PropertyConstraintViolation"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    refusals = [r for r in caplog.records if r.name == "ocpp_gateway.protocol"]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    line = refusals[0].getMessage()
    assert "CP-A-1" in line and "StatusNotification big-1 answered PropertyConstraintViolation" in line
    assert "connectorId" in line and "\n" not in line


async def test_a_fault_of_the_platform_keeps_its_error_and_traceback(onboarded, connect, caplog, monkeypatch):
    def broken() -> str:
        raise RuntimeError("clock broke")

    monkeypatch.setattr("ocpp_gateway.v16.now_iso", broken)
    station = await connect("CP-A-1", subprotocols=["ocpp1.6"])
    reply = await station.send_raw('[2, "hb-1", "Heartbeat", {}]')
    assert reply[:3] == [4, "hb-1", "InternalError"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info and "clock broke" in caplog.text
