from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from locations.models import Location
from networks.models import Network
from stations.models import Station, password_hex, zaptec_password_warning


@dataclass(frozen=True)
class ConnectionDetails:
    """What an operator enters on the station; shown once, right after the password is set."""

    url: str
    identity: str
    password_hex: str
    zaptec_warning: str | None

    @property
    def is_secure(self) -> bool:
        return self.url.startswith("wss://")


def station_connection_url(*, station: Station) -> str:
    return f"{settings.OCPP_PUBLIC_URL}{station.identity}"


def station_connection_details(*, station: Station, password: str) -> ConnectionDetails:
    return ConnectionDetails(
        url=station_connection_url(station=station),
        identity=station.identity,
        password_hex=password_hex(password),
        zaptec_warning=zaptec_password_warning(password),
    )


@transaction.atomic
def station_create(
    *,
    network: Network,
    identity: str,
    password: str,
    name: str = "",
    location: Location | None = None,
    **fields,
) -> Station:
    station = Station(network=network, identity=identity, name=name or identity, location=location, **fields)
    station.set_password(password)
    station.full_clean()
    station.save()
    return station


def station_set_password(*, station: Station, password: str) -> None:
    station.set_password(password)
    station.save(update_fields=["password_hash"])
