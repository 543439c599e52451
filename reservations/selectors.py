from __future__ import annotations

from django.db.models import QuerySet

from reservations.models import Reservation


def reservations_visible(*, user, network, status: str = "") -> QuerySet[Reservation]:
    """The reservations a user may read, narrowed to the selected network and optionally a status."""
    reservations = Reservation.objects.for_user(user).select_related("station", "session")
    if network is not None:
        reservations = reservations.filter(station__network=network)
    return reservations.filter(status=status) if status else reservations
