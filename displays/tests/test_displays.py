"""The displays app without a live server: the form, the request it builds, the API's network scoping."""
from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from commands.models import Command
from commands.services import command_parameters_clean
from displays.actions import message_info
from displays.models import DisplayMessage
from displays.services import display_message_set_answered

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(station_a):
    station_a.ocpp_version = "2.0.1"
    station_a.save()
    return station_a


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_new_message_gets_the_next_free_id_and_times_in_utc(station):
    DisplayMessage.objects.create(station=station, message_id=7, priority="NormalCycle", content="x", message_format="UTF8", source="set")
    parameters = command_parameters_clean(
        station=station, action="set_display_message",
        data={"priority": "InFront", "content": "Hallo", "start_date_time": "2030-01-05T22:00:00+01:00", "language": "nl"},
    )
    assert parameters == {
        "message_id": 8, "priority": "InFront", "content": "Hallo", "message_format": "UTF8", "language": "nl",
        "start_date_time": "2030-01-05T21:00:00Z",
    }
    assert message_info(parameters) == {
        "id": 8, "priority": "InFront", "start_date_time": "2030-01-05T21:00:00Z",
        "message": {"format": "UTF8", "language": "nl", "content": "Hallo"},
    }


def test_bad_messages_get_field_errors(station):
    with pytest.raises(ValidationError) as refused:
        command_parameters_clean(
            station=station, action="set_display_message",
            data={"priority": "Loud", "content": "   ", "start_date_time": "2030-01-05T22:00:00Z", "end_date_time": "2030-01-05T21:00:00Z",
                  "display_component_instance": "left"},
        )
    assert set(refused.value.message_dict) == {"priority", "content", "end_date_time", "display_component"}


def test_an_accepted_message_replaces_the_one_with_its_id(station):
    DisplayMessage.objects.create(station=station, message_id=1, priority="NormalCycle", state="Idle", content="old", message_format="UTF8", source="report")
    command = Command.objects.create(
        station=station, action="set_display_message", status="accepted",
        parameters={"message_id": 1, "priority": "AlwaysFront", "content": "new", "message_format": "ASCII"},
    )
    display_message_set_answered(command=command)
    assert list(DisplayMessage.objects.values_list("message_id", "priority", "state", "content", "source")) == [(1, "AlwaysFront", "", "new", "set")]


def test_another_networks_messages_do_not_exist(operator_b, viewer_a, station):
    message = DisplayMessage.objects.create(station=station, message_id=1, priority="NormalCycle", content="x", message_format="UTF8", source="set")
    assert client_for(operator_b).get("/api/display_messages/").json()["count"] == 0
    assert client_for(operator_b).get(f"/api/display_messages/{message.pk}/").status_code == 404
    assert client_for(viewer_a).get("/api/display_messages/", {"station": "CP-A-1"}).json()["results"][0]["content"] == "x"


def test_the_station_page_marks_ended_and_future_messages(operator_a, station):
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    now = timezone.now()
    DisplayMessage.objects.create(station=station, message_id=1, priority="NormalCycle", content="Gisteren", message_format="UTF8", source="set", end_at=now - timedelta(hours=1))
    DisplayMessage.objects.create(station=station, message_id=2, priority="InFront", content="Morgen", message_format="UTF8", source="report", start_at=now + timedelta(days=1))
    client = Client()
    client.force_login(operator_a)
    page = client.get(f"/console/stations/{station.identity}/maintenance/").content.decode()
    rows = {int(i): row for i, row in re.findall(r'<tr data-message-id="(\d+)">(.*?)</tr>', page, re.S)}
    assert "(ended)" in rows[1] and "Gisteren" in rows[1] and "set here" in rows[1]
    assert "(not yet shown)" in rows[2] and "Morgen" in rows[2] and "station report" in rows[2]


def test_a_station_keeps_a_bounded_number_of_messages(station):
    import displays.services as services
    from ocpp.exceptions import OCPPError

    def message(n: int) -> services.ReportedMessage:
        return services.ReportedMessage(n, "NormalCycle", "", None, None, "", f"m{n}", "UTF8", "", "", "")

    original = services.MAX_MESSAGES_PER_STATION
    services.MAX_MESSAGES_PER_STATION = 2
    try:
        services.display_messages_report_store(station=station, request_id=1, tbc=True, messages=[message(1), message(2)])
        services.display_messages_report_store(station=station, request_id=1, tbc=True, messages=[message(2)])
        with pytest.raises(OCPPError, match="at most 2"):
            services.display_messages_report_store(station=station, request_id=1, tbc=False, messages=[message(3)])
    finally:
        services.MAX_MESSAGES_PER_STATION = original
    assert sorted(DisplayMessage.objects.values_list("message_id", flat=True)) == [1, 2]
