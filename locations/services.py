from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from locations.models import Location


def location_blocking_stations(*, location: Location) -> list[str]:
    """Names of the stations that keep a location from being deleted."""
    return [str(s) for s in location.stations.order_by("name")]


@transaction.atomic
def location_delete(*, location: Location) -> None:
    stations = location_blocking_stations(location=location)
    if stations:
        raise ValidationError(
            f"Location {location.name!r} still has stations attached: {', '.join(stations)}. "
            "Move or delete them first."
        )
    location.delete()
