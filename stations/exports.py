"""The station list as CSV: the console's Export button and ``/api/charging_stations/?format=csv``.

Both pass the stations their own filters picked (scoped by ``Station.objects.for_user``); this
module only turns them into rows. Text a station reports (vendor, model, error info) is escaped
against spreadsheet formulas like every other export.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from stations.models import OcppVersion, Station
from stations.selectors import station_category
from switchplatform.csvfiles import csv_chunks_of, escape_cell, streaming_response

HEADER = [
    "identity",
    "name",
    "network",
    "location",
    "status",
    "state",
    "connected",
    "ocpp_version",
    "vendor",
    "model",
    "serial_number",
    "firmware_version",
    "last_seen",
    "connectors",
]
# Stations (with their EVSEs and connectors) fetched per round trip.
STATIONS_PER_FETCH = 500


def _iso(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _equipment_text(station: Station) -> str:
    """Each connector's last reported status and error, e.g. "1: Available; 2: Faulted GroundFailure"."""
    parts = []
    for evse in station.evses.all():
        for connector in evse.connectors.all():
            label = str(connector.connector_id) if station.ocpp_version != OcppVersion.V201 else f"{evse.evse_id}/{connector.connector_id}"
            error = connector.error_text if connector.is_faulted else ""
            parts.append(f"{label}: {connector.status}{' ' + error if error else ''}")
    return "; ".join(parts)


def station_rows(stations: QuerySet[Station]) -> Iterator[list[Any]]:
    stations = stations.select_related("network", "location").prefetch_related("evses__connectors")
    esc = escape_cell
    for station in stations.iterator(chunk_size=STATIONS_PER_FETCH):
        yield [
            esc(station.identity),
            esc(station.name),
            esc(station.network.name),
            esc(station.location.name if station.location else ""),
            station_category(station),
            station.state,
            "yes" if station.connected else "no",
            station.ocpp_version,
            esc(station.vendor),
            esc(station.model),
            esc(station.serial_number),
            esc(station.firmware_version),
            _iso(station.last_seen),
            esc(_equipment_text(station)),
        ]


def station_csv_response(request, stations: QuerySet[Station]):
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return streaming_response(
        request,
        csv_chunks_of(HEADER, station_rows(stations)),
        filename=f"stations-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )
