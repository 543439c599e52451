"""The console's Reservations page: the network's reservations with how each ended, filtered by status;
another network's never listed."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from reservations.models import Reservation, ReservationStatus
from sessions.models import Session


def _reservation(station, reservation_id: int, **fields) -> Reservation:
    return Reservation.objects.create(
        reservation_id=reservation_id, station=station, evse_id=1, id_token=f"DRIVER-{reservation_id}",
        expires_at=timezone.now() + timedelta(minutes=30), **fields,
    )


def test_members_see_their_networks_reservations_and_how_they_ended(client, viewer_a, station_a, station_b):
    session = Session.objects.create(network=station_a.network, station=station_a, ocpp_version="1.6", transaction_id="77",
                                     evse_id=1, started_at=timezone.now())
    _reservation(station_a, 1, group_id_token="FLEET")
    _reservation(station_a, 2, status=ReservationStatus.REFUSED, station_status="Occupied")
    _reservation(station_a, 3, status=ReservationStatus.USED, session=session, ended_at=timezone.now())
    _reservation(station_b, 4)
    client.force_login(viewer_a)
    page = client.get(reverse("console:reservation-list")).content.decode()
    assert 'data-reservation="1"' in page and "or group FLEET" in page
    assert "Refused by the station (Occupied)" in page
    assert 'data-reservation="3"' in page and f'href="{reverse("console:session-detail", args=[session.pk])}">77</a>' in page
    assert 'data-reservation="4"' not in page and "DRIVER-4" not in page
    assert 'href="/console/reservations/"' in page  # the navigation tab

    used = client.get(reverse("console:reservation-list"), {"status": "used"}).content.decode()
    assert 'data-reservation="3"' in used and 'data-reservation="1"' not in used
    # An unknown status filters nothing rather than failing.
    assert client.get(reverse("console:reservation-list"), {"status": "bogus"}).status_code == 200


def test_the_other_networks_operator_sees_only_theirs(client, operator_b, station_a, station_b):
    _reservation(station_a, 5)
    _reservation(station_b, 6)
    client.force_login(operator_b)
    page = client.get(reverse("console:reservation-list")).content.decode()
    assert 'data-reservation="6"' in page and 'data-reservation="5"' not in page
