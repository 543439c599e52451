from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from locations.models import Location


def location_blocking_stations(*, location: Location) -> list[str]:
    """Names of the stations that keep a location from being deleted."""
    return [str(s) for s in location.stations.order_by("name")]


def _still_attached(location: Location, names: list[str]) -> ValidationError:
    return ValidationError(
        f"Location {location.name!r} still has stations attached: {', '.join(names)}. Move or delete them first."
    )


@transaction.atomic
def location_delete(*, location: Location) -> None:
    stations = location_blocking_stations(location=location)
    if stations:
        raise _still_attached(location, stations)
    try:
        location.delete()
    except ProtectedError as exc:
        # A station attached between the check and the delete: the same answer, not a 500.
        raise _still_attached(location, sorted(str(obj) for obj in exc.protected_objects)) from None
