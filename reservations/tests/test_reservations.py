"""Reservation rules without a station: the platform's own expiry, scoping, the cancel form."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from commands.models import Command, CommandStatus
from reservations.actions import CancelReservationForm, ReserveNowForm
from reservations.models import Reservation, ReservationStatus
from reservations.services import reservation_command_finished, reservations_expire
from sessions.models import IdToken, IdTokenGroup


def _reserved(station, reservation_id: int, *, minutes: int = 30, **fields) -> Reservation:
    return Reservation.objects.create(
        reservation_id=reservation_id, station=station, evse_id=1, id_token="T", expires_at=timezone.now() + timedelta(minutes=minutes), **fields
    )


def test_the_platform_expires_reservations_past_their_time(station_a):
    past = _reserved(station_a, 1, minutes=-1)
    future = _reserved(station_a, 2, minutes=10)
    used = _reserved(station_a, 3, minutes=-1, status=ReservationStatus.USED)
    assert reservations_expire() == 1
    past.refresh_from_db(), future.refresh_from_db(), used.refresh_from_db()
    assert (past.status, future.status, used.status) == ("expired", "reserved", "used")
    assert past.ended_at is not None


def test_the_stations_answer_makes_the_record(station_a):
    command = Command.objects.create(
        station=station_a, action="reserve_now", status=CommandStatus.REJECTED, result="Occupied",
        parameters={"id_token": "T", "connector_id": 1, "expiry_date_time": "2026-12-06T21:00:00Z"},
    )
    reservation_command_finished(command)
    row = Reservation.objects.get(reservation_id=command.pk)
    assert (row.status, row.station_status, row.evse_id) == ("refused", "Occupied", 1)
    offline = Command.objects.create(station=station_a, action="reserve_now", status=CommandStatus.STATION_OFFLINE, parameters={})
    reservation_command_finished(offline)
    assert not Reservation.objects.filter(reservation_id=offline.pk).exists()


def test_the_form_takes_type_and_group_from_the_allow_list(station_a, network_a):
    station_a.ocpp_version = "2.0.1"
    group = IdTokenGroup.objects.create(network=network_a, token="FLEET")
    IdToken.objects.create(network=network_a, token="CARD-9", token_type="ISO15693", group=group)
    form = ReserveNowForm(data={"id_token": "card-9", "expires_in_minutes": 15}, station=station_a)
    assert form.is_valid(), form.errors
    params = form.parameters()
    assert (params["id_token_type"], params["group_id_token"]) == ("ISO15693", "FLEET")
    assert params["expiry_date_time"].endswith("Z") and "expires_in_minutes" not in params


def test_16_needs_a_connector_and_short_tags(station_a):
    station_a.ocpp_version = "1.6"
    form = ReserveNowForm(data={"id_token": "X" * 21, "expires_in_minutes": 15}, station=station_a)
    assert not form.is_valid()
    assert set(form.errors) == {"id_token", "connector_id"}


def test_cancel_only_an_open_reservation_of_this_station(station_a, station_b):
    _reserved(station_a, 10)
    _reserved(station_a, 11, status=ReservationStatus.CANCELLED, ended_at=timezone.now())
    _reserved(station_b, 12)
    assert CancelReservationForm(data={"reservation_id": 10}, station=station_a).is_valid()
    assert "over" in str(CancelReservationForm(data={"reservation_id": 11}, station=station_a).errors)
    assert "no reservation" in str(CancelReservationForm(data={"reservation_id": 12}, station=station_a).errors)


def test_members_see_only_their_networks_reservations(client, operator_a, operator_b, station_a, station_b):
    mine = _reserved(station_a, 20)
    theirs = _reserved(station_b, 21)
    client.force_login(operator_a)
    assert [r["reservation_id"] for r in client.get("/api/reservations/").json()["results"]] == [20]
    assert client.get(f"/api/reservations/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/reservations/{mine.pk}/").json()["station"] == "CP-A-1"
    page = client.get("/admin/reservations/reservation/")
    assert page.status_code == 200 and b"CP-A-1" in page.content and b"CP-B-1" not in page.content
