"""Reads behind the operator pages.

Every function starts from ``Model.objects.for_user(user).in_network(network)``; equipment (EVSEs,
connectors) is reached only through the scoped stations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from certificates.models import ConnectionSecurity, UpgradeRecord
from commands import selectors as command_selectors
from commands.models import Command
from console import explanations
from locations.models import Location
from networks.models import Network
from ocpp_gateway import actions as gateway_actions
from ocpp_gateway.models import Message
from sessions.models import Session
from stations.models import (
    EVSE,
    STATION_CATEGORIES,
    Category,
    ConfigurationKey,
    Connector,
    StationFault,
    DeviceModelReport,
    DeviceModelVariable,
    OcppVersion,
    Station,
    StationEvent,
    StationState,
)
from stations.configuration import configuration_entry_writable
from stations.selectors import (
    connector_counts_by_category,
    equipment_category,
    equipment_status_text,
    evse_mirrors_a_connector,
    faulted_equipment,
    last_report_text,
    offline_stations_last_faulted,
)

# The categories and what puts a station or a connector in one are the stations app's rules
# (stations.models.Category, stations.selectors); these pages only display them.
CATEGORIES = STATION_CATEGORIES


def stations_visible(*, user, network: Network | None) -> QuerySet[Station]:
    return Station.objects.for_user(user).in_network(network)


def station_get(*, user, network: Network | None, identity: str) -> Station | None:
    """The station with that identity, if the user may read it (else None: the page answers 404)."""
    return (
        stations_visible(user=user, network=network)
        .select_related("network", "location")
        .prefetch_related("evses__connectors")
        .filter(identity=identity)
        .first()
    )


def station_is_writable(*, user, station: Station) -> bool:
    return Station.objects.for_user(user, write=True).filter(pk=station.pk).exists()


@dataclass(frozen=True)
class EquipmentRow:
    label: str
    kind: str  # "evse" or "connector"
    evse_id: int
    connector_id: int | None
    status: str
    category: str
    error: str
    status_at: Any
    # What the operator reads: the status, or "offline (last: Faulted GroundFailure)".
    status_text: str = ""

    @property
    def title(self) -> str:
        return self.error or self.status_text or self.status


def evse_label(evse: EVSE) -> str:
    # 1.6 connector 0 (stored as EVSE 0) is the charge point as a whole.
    return "Station" if evse.evse_id == 0 else f"EVSE {evse.evse_id}"


def connector_label(station: Station, evse: EVSE, connector: Connector) -> str:
    # 1.6 numbers connectors across the station; 2.0.1 within their EVSE.
    if station.ocpp_version == OcppVersion.V16:
        return str(connector.connector_id)
    return f"{evse.evse_id}/{connector.connector_id}"


def station_equipment(station: Station) -> list[EquipmentRow]:
    """EVSEs and their connectors in order. In 1.6, EVSE 0 is the charge point as a whole."""
    rows = []
    for evse in station.evses.all():
        label = evse_label(evse)
        connectors = list(evse.connectors.all())
        # An EVSE that only mirrors its connector would say the same thing twice.
        if not evse_mirrors_a_connector(evse, connectors):
            rows.append(
                EquipmentRow(
                    label=label,
                    kind="evse",
                    evse_id=evse.evse_id,
                    connector_id=None,
                    status=evse.status,
                    category=equipment_category(station=station, item=evse),
                    error=evse.error_text if evse.is_faulted else "",
                    status_at=evse.status_at,
                    status_text=equipment_status_text(station=station, item=evse),
                )
            )
        for connector in connectors:
            rows.append(
                EquipmentRow(
                    label=connector_label(station, evse, connector),
                    kind="connector",
                    evse_id=evse.evse_id,
                    connector_id=connector.connector_id,
                    status=connector.status,
                    category=equipment_category(station=station, item=connector),
                    error=connector.error_text if connector.is_faulted else "",
                    status_at=connector.status_at,
                    status_text=equipment_status_text(station=station, item=connector),
                )
            )
    return rows


@dataclass
class StationFilters:
    tab: str = StationState.ONBOARDED
    q: str = ""
    status: str = ""
    vendor: str = ""
    location: str = ""


def station_list(*, user, network: Network | None, filters: StationFilters) -> QuerySet[Station]:
    qs = stations_visible(user=user, network=network).select_related("network", "location")
    if filters.tab == StationState.PENDING:
        qs = qs.exclude(state=StationState.ONBOARDED)
    else:
        qs = qs.filter(state=StationState.ONBOARDED)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(identity__icontains=q)
            | Q(location__name__icontains=q)
            | Q(vendor__icontains=q)
            | Q(model__icontains=q)
        )
    if filters.vendor:
        qs = qs.filter(vendor__iexact=filters.vendor)
    if filters.location:
        qs = qs.filter(location_id=filters.location) if filters.location.isdigit() else qs.none()
    if filters.status in CATEGORIES:
        qs = qs.in_category(filters.status)
    return qs.prefetch_related("evses__connectors").order_by("name")


def station_vendors(*, user, network: Network | None) -> list[str]:
    return list(
        stations_visible(user=user, network=network)
        .exclude(vendor="")
        .order_by("vendor")
        .values_list("vendor", flat=True)
        .distinct()
    )


def locations_visible(*, user, network: Network | None) -> QuerySet[Location]:
    return Location.objects.for_user(user).in_network(network)


@dataclass
class FaultRow:
    station: Station
    label: str
    error: str


@dataclass
class ChargingStatus:
    stations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    connectors: dict[str, int] = field(default_factory=lambda: {**dict.fromkeys(CATEGORIES, 0), Category.UNAVAILABLE: 0})
    faults: list[FaultRow] = field(default_factory=list)
    station_total: int = 0
    location_total: int = 0
    more_faults: int = 0
    # Offline stations whose equipment last reported a fault: not counted as faulted (the station
    # is offline), but not forgotten either (issue 16).
    offline_faults: list[FaultRow] = field(default_factory=list)
    offline_fault_total: int = 0
    offline_faulted_stations: int = 0


def charging_status(*, user, network: Network | None) -> ChargingStatus:
    """Stations and connectors by status for the dashboard, with the faulted equipment and its error.

    Counted in the database (a few queries whatever the number of stations): the dashboard
    refreshes itself every few seconds on every operator's screen.
    """
    result = ChargingStatus()
    result.location_total = locations_visible(user=user, network=network).count()
    stations = stations_visible(user=user, network=network)
    result.station_total = stations.count()
    result.stations.update(stations.count_by_category())
    result.connectors.update(connector_counts_by_category(stations=stations))
    faulted = faulted_equipment(stations=stations, limit=FAULTS_SHOWN)
    faults = [FaultRow(station=e.station, label=evse_label(e), error=e.error_text) for e in faulted.evses] + [
        FaultRow(station=c.evse.station, label=connector_label(c.evse.station, c.evse, c), error=c.error_text)
        for c in faulted.connectors
    ]
    result.faults = sorted(faults, key=lambda f: (f.station.name, f.label))[:FAULTS_SHOWN]
    result.more_faults = faulted.total - len(result.faults)
    offline = faulted_equipment(stations=stations, limit=FAULTS_SHOWN, connected=False)
    offline_rows = [
        FaultRow(station=e.station, label=evse_label(e), error=f"offline (last: {last_report_text(e)})")
        for e in offline.evses
    ] + [
        FaultRow(
            station=c.evse.station,
            label=connector_label(c.evse.station, c.evse, c),
            error=f"offline (last: {last_report_text(c)})",
        )
        for c in offline.connectors
    ]
    result.offline_faults = sorted(offline_rows, key=lambda f: (f.station.name, f.label))[:FAULTS_SHOWN]
    result.offline_fault_total = offline.total
    result.offline_faulted_stations = offline_stations_last_faulted(stations=stations)
    return result


#: The dashboard lists this many faults; the station list's "faulted" filter has them all.
FAULTS_SHOWN = 100


@dataclass(frozen=True)
class SessionsToday:
    count: int
    energy_kwh: float


def sessions_today(*, user, network: Network | None) -> SessionsToday | None:
    """Sessions started today (platform time zone) and the energy they have delivered so far."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    totals = (
        Session.objects.for_user(user)
        .in_network(network)
        .filter(started_at__gte=start)
        .aggregate(count=Count("id"), energy=Sum("energy_wh"))
    )
    return SessionsToday(count=totals["count"], energy_kwh=(totals["energy"] or 0) / 1000)


def location_list(*, user, network: Network | None) -> QuerySet[Location]:
    return (
        locations_visible(user=user, network=network)
        .select_related("network")
        .annotate(station_count=Count("stations"))
        .order_by("name")
    )


# --- a station's tabs ---


def station_configuration(*, user, station: Station) -> list[dict[str, Any]]:
    """1.6 configuration keys with their explanation, writable ones marked."""
    rows = ConfigurationKey.objects.for_user(user).filter(station=station).order_by("key")
    return [
        {
            "key": row.key,
            "value": row.value,
            "readonly": row.readonly,
            # The stations app's rule, enforced by the change-configuration form; here it only hides the button.
            "writable": configuration_entry_writable(key=row.key, readonly=row.readonly),
            "explanation": explanations.for_key(row.key),
        }
        for row in rows
    ]


def station_device_model(*, user, station: Station) -> list[dict[str, Any]]:
    """2.0.1 device model variables (Actual attributes first) with their explanation."""
    rows = DeviceModelVariable.objects.for_user(user).filter(station=station).order_by(
        "component", "component_instance", "evse_id", "connector_id", "variable", "variable_instance", "attribute_type"
    )
    return [
        {
            "row": row,
            "writable": configuration_entry_writable(
                component=row.component, variable=row.variable, mutability=row.mutability
            ),
            "explanation": explanations.for_variable(row.component, row.variable),
        }
        for row in rows
    ]


def station_fault_history(*, user, station: Station) -> QuerySet[StationFault]:
    """The station's fault records, newest first (stations.faults)."""
    return StationFault.objects.for_user(user).filter(station=station).order_by("-started_at", "-id")


def station_device_model_reports(*, user, station: Station) -> QuerySet[DeviceModelReport]:
    """2.0.1 reports (GetBaseReport / GetReport) by requestId, newest first: parts received, complete or not."""
    return DeviceModelReport.objects.for_user(user).filter(station=station).order_by("-created_at", "-pk")


def station_events(*, user, station: Station) -> QuerySet[StationEvent]:
    return StationEvent.objects.for_user(user).filter(station=station).order_by("-occurred_at")


@dataclass
class MessageFilters:
    action: str = ""
    direction: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_query(cls, query) -> MessageFilters:
        return cls(
            action=query.get("action", "")[:64],
            direction=query.get("direction", "") if query.get("direction") in ("in", "out") else "",
            since=_parse_local(query.get("since", "")),
            until=_parse_local(query.get("until", "")),
        )

    @property
    def since_value(self) -> str:
        return self.since.strftime("%Y-%m-%dT%H:%M") if self.since else ""

    @property
    def until_value(self) -> str:
        return self.until.strftime("%Y-%m-%dT%H:%M") if self.until else ""


def _parse_local(value: str) -> datetime | None:
    """A datetime-local input's value, read in the platform's time zone (UTC)."""
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def station_messages(*, user, station: Station, filters: MessageFilters) -> QuerySet[Message]:
    qs = Message.objects.for_user(user).filter(station=station)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.since:
        qs = qs.filter(time__gte=filters.since)
    if filters.until:
        qs = qs.filter(time__lte=filters.until)
    # Newest first; the (station, -time) index serves it.
    return qs.order_by("-time", "-id")


def station_message_actions(*, user, station: Station) -> list[str]:
    return list(
        Message.objects.for_user(user)
        .filter(station=station)
        .exclude(action="")
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def station_commands(*, user, station: Station) -> QuerySet[Command]:
    return command_selectors.command_list(user=user, station=station)


def trigger_messages(station: Station) -> list[str]:
    if station.ocpp_version == OcppVersion.V201:
        return gateway_actions.TRIGGERS_V201
    return gateway_actions.TRIGGERS_V16


def session_list(*, user, network: Network | None) -> QuerySet[Session]:
    return Session.objects.for_user(user).in_network(network).select_related("station", "location", "network")


def session_chart(*, session: Session) -> list[dict[str, Any]]:
    """The session's meter samples as chart points: power (kW) and energy delivered so far (kWh).

    Energy is the register minus the session's first reading, so the curve starts at zero.
    """
    points = []
    base = session.meter_start_wh
    for sample in session.samples.order_by("timestamp").only("timestamp", "energy_wh", "power_w"):
        if base is None and sample.energy_wh is not None:
            base = sample.energy_wh
        points.append(
            {
                "t": sample.timestamp.isoformat(),
                "power_kw": None if sample.power_w is None else round(sample.power_w / 1000, 3),
                "energy_kwh": None if sample.energy_wh is None or base is None else round((sample.energy_wh - base) / 1000, 3),
            }
        )
    return points


def station_connection_security(*, user, station: Station) -> ConnectionSecurity | None:
    """The profile the station's latest accepted connection used."""
    return ConnectionSecurity.objects.for_user(user).filter(station=station).first()


def station_security_upgrades(*, user, station: Station) -> QuerySet[UpgradeRecord]:
    return (
        UpgradeRecord.objects.for_user(user)
        .filter(station=station)
        .prefetch_related("steps")
        .order_by("-created_at", "-id")
    )
