"""Reads of the sessions app that pages show."""
from __future__ import annotations

from dataclasses import dataclass

from networks.models import Network
from sessions.models import LocalListVersion, StationLocalList
from stations.models import Station


@dataclass(frozen=True)
class StationListVersion:
    identity: str
    name: str
    version: int | None
    supported: bool | None
    last_result: str


@dataclass(frozen=True)
class LocalListOverview:
    latest: LocalListVersion | None
    #: The allow-list changed since the latest version: the next send makes a new one.
    changed: bool
    stations: list[StationListVersion]


def local_list_overview(*, network: Network) -> LocalListOverview:
    """The network's latest local list version and the version each of its stations holds.

    ``network`` comes from a scoped read (the caller's ``Network.objects.for_user``).
    """
    from sessions.services.local_list import local_list_entries

    latest = LocalListVersion.objects.filter(network=network).order_by("-version").first()
    changed = latest is None or latest.entries != local_list_entries(network=network)
    held = {row.station_id: row for row in StationLocalList.objects.filter(station__network=network)}
    stations = [
        StationListVersion(
            identity=s.identity,
            name=s.name,
            version=held[s.pk].version if s.pk in held else None,
            supported=held[s.pk].supported if s.pk in held else None,
            last_result=held[s.pk].last_result if s.pk in held else "",
        )
        for s in Station.objects.filter(network=network).order_by("identity").only("pk", "identity", "name")
    ]
    return LocalListOverview(latest=latest, changed=changed, stations=stations)
