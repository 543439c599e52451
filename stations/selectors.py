"""Reads about stations and their equipment: which category a station or a connector is in, and the
faulted equipment. The rules live here (and in StationQuerySet); the console and the API display them."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from stations.models import (
    EVSE,
    IN_USE_STATUSES,
    Category,
    Connector,
    EquipmentStatus,
    Station,
    StationState,
    faulted_q,
)


def station_category(station: Station) -> str:
    """The station's category (one of STATION_CATEGORIES), from its prefetched ``evses__connectors``.

    The Python form of StationQuerySet.in_category(): a fault anywhere outweighs a session elsewhere.
    """
    if station.state != StationState.ONBOARDED:
        return Category.PENDING
    if not station.connected:
        return Category.OFFLINE
    items = [item for evse in station.evses.all() for item in (evse, *evse.connectors.all())]
    if any(item.is_faulted for item in items):
        return Category.FAULTED
    if any(item.status in IN_USE_STATUSES for item in items):
        return Category.CHARGING
    return Category.AVAILABLE


def equipment_category(*, station: Station, item: EVSE | Connector) -> str:
    """An EVSE's or connector's category; what the station's state says comes first."""
    if station.state != StationState.ONBOARDED:
        return Category.PENDING
    if not station.connected:
        return Category.OFFLINE
    if item.is_faulted:
        return Category.FAULTED
    if item.status in IN_USE_STATUSES:
        return Category.CHARGING
    if item.status == EquipmentStatus.AVAILABLE:
        return Category.AVAILABLE
    return Category.UNAVAILABLE


def last_report_text(item: EVSE | Connector) -> str:
    """What the equipment last reported, e.g. "Faulted GroundFailure" (status, then the error if any)."""
    error = item.error_text if item.is_faulted else ""
    return f"{item.status} {error}".strip()


def equipment_status_text(*, station: Station, item: EVSE | Connector) -> str:
    """The status an operator reads: the reported one, or for an offline station
    "offline (last: Faulted GroundFailure)": the last report is kept, not forgotten."""
    if station.state == StationState.ONBOARDED and not station.connected:
        if item.status_at is None and item.status == EquipmentStatus.UNKNOWN:
            return "offline"
        return f"offline (last: {last_report_text(item)})"
    return item.status


def evse_mirrors_a_connector(evse: EVSE, connectors: list[Connector]) -> bool:
    """Whether the EVSE only repeats one of its connectors (every 1.6 EVSE, most 2.0.1 ones): then
    the connector says it, and the EVSE is not listed on its own."""
    return any((c.status, c.error_text) == (evse.status, evse.error_text) for c in connectors)


def connector_counts_by_category(*, stations: QuerySet[Station]) -> dict[str, int]:
    """How many connectors of ``stations`` are in each equipment category, in one query."""
    connectors = Connector.objects.filter(evse__station__in=stations.values("pk"))
    live = Q(evse__station__state=StationState.ONBOARDED, evse__station__connected=True)
    healthy = live & ~faulted_q()
    in_use, available = Q(status__in=IN_USE_STATUSES), Q(status=EquipmentStatus.AVAILABLE)
    return connectors.aggregate(
        **{
            Category.AVAILABLE: Count("pk", filter=healthy & available),
            Category.CHARGING: Count("pk", filter=healthy & in_use),
            Category.FAULTED: Count("pk", filter=live & faulted_q()),
            Category.OFFLINE: Count(
                "pk", filter=Q(evse__station__state=StationState.ONBOARDED, evse__station__connected=False)
            ),
            Category.PENDING: Count("pk", filter=~Q(evse__station__state=StationState.ONBOARDED)),
            Category.UNAVAILABLE: Count("pk", filter=healthy & ~in_use & ~available),
        }
    )


@dataclass
class FaultedEquipment:
    total: int
    evses: list[EVSE]
    connectors: list[Connector]


def faulted_equipment(*, stations: QuerySet[Station], limit: int, connected: bool = True) -> FaultedEquipment:
    """The faulted EVSEs (those not mirroring a connector) and connectors of the connected, onboarded
    ``stations``: up to ``limit`` of each, by station name, and how many there are in all.

    ``connected=False``: those of the offline stations whose last report was a fault (kept when the
    station went offline: the fault is a fact until the station reports otherwise)."""
    station_ids = stations.values("pk")
    mirrored = Connector.objects.filter(
        evse=OuterRef("pk"),
        status=OuterRef("status"),
        error_code=OuterRef("error_code"),
        error_info=OuterRef("error_info"),
        vendor_error_code=OuterRef("vendor_error_code"),
    )
    evses = EVSE.objects.filter(
        faulted_q(), station__in=station_ids, station__state=StationState.ONBOARDED, station__connected=connected
    ).exclude(Exists(mirrored))
    connectors = Connector.objects.filter(
        faulted_q(),
        evse__station__in=station_ids,
        evse__station__state=StationState.ONBOARDED,
        evse__station__connected=connected,
    )
    return FaultedEquipment(
        total=evses.count() + connectors.count(),
        evses=list(evses.select_related("station").order_by("station__name", "evse_id")[:limit]),
        connectors=list(
            connectors.select_related("evse__station").order_by(
                "evse__station__name", "evse__evse_id", "connector_id"
            )[:limit]
        ),
    )


def offline_stations_last_faulted(*, stations: QuerySet[Station]) -> int:
    """How many onboarded, offline ``stations`` had a fault in their last reports."""
    return (
        stations.filter(state=StationState.ONBOARDED, connected=False)
        .with_equipment_flags()
        .filter(Q(evse_faulted=True) | Q(connector_faulted=True))
        .count()
    )
