from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from networks.models import Network


def network_delete(*, network: Network) -> None:
    """Delete an empty network; one with locations, stations or other records stays."""
    try:
        network.delete()
    except ProtectedError as exc:
        names = sorted(str(obj) for obj in exc.protected_objects)
        raise ValidationError(f"Network {network.name!r} is still in use by: {', '.join(names)}.") from None
