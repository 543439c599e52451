"""The admin lists log requests of the user's networks only, with the file's download link."""
from __future__ import annotations

from django.test import Client

from commands.services import command_create
from diagnostics.services import GET_LOG


def test_the_admin_lists_only_the_users_networks(station_a, station_b, operator_a):
    mine = command_create(station=station_a, action=GET_LOG, parameters={"log_type": "SecurityLog"}, send=False)
    theirs = command_create(station=station_b, action=GET_LOG, parameters={}, send=False)
    client = Client()
    client.force_login(operator_a)
    page = client.get("/admin/diagnostics/logrequest/")
    assert page.status_code == 200
    text = page.content.decode()
    assert station_a.identity in text and station_b.identity not in text
    assert client.get(f"/admin/diagnostics/logrequest/{mine.log_request.pk}/change/").status_code == 200
    assert client.get(f"/admin/diagnostics/logrequest/{theirs.log_request.pk}/change/").status_code in (302, 404)
