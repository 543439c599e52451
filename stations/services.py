from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from locations.models import Location
from networks.models import Network
from stations import bounds
from stations.configuration import configuration_value_is_secret
from stations.faults import station_faults_record
from stations.models import (
    EVSE,
    ConfigurationKey,
    Connector,
    DeviceModelVariable,
    EquipmentStatus,
    Station,
    StationEvent,
    StationState,
    password_hex,
    zaptec_password_warning,
)
from switchplatform.prepared import PreparedQuery, batch_cursor, in_values

logger = logging.getLogger(__name__)


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
    station_disconnect_if_disabled(station=station)


# --- Gateway: presence, boot, status, configuration and events (called by ocpp_gateway handlers) ---


# Close codes for a socket the platform drops because an operator revoked what it logged in with
# (4000-4999 are the application's; 4000 is a replaced connection).
CLOSE_CREDENTIALS_CHANGED = 4001
CLOSE_DISABLED = 4003
CLOSE_DELETED = 4004


def _station_socket_close(*, channel_name: str, code: int) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    def close() -> None:
        try:
            async_to_sync(get_channel_layer().send)(channel_name, {"type": "ocpp.close", "code": code})
        except Exception:  # a channel-layer hiccup must not fail the operator's save
            logger.exception("Could not tell channel %s to close", channel_name)

    # After the commit: the station reconnects at once and must meet the new row.
    transaction.on_commit(close)


def station_disconnect_if_disabled(*, station: Station) -> bool:
    """Drop the open socket of a station an operator disabled (4003) or gave a new password (4001).

    The connection was admitted with what is no longer valid (issue 12): it ends now, not at the
    station's next reconnect. The consumer holds its own copy of the station row; on reconnect a
    disabled station is answered Rejected at BootNotification, a changed password needs the new one.
    Call after saving. Returns whether a socket was told to close.
    """
    changed = getattr(station, "_password_changed", False)
    station._password_changed = False
    if not station.channel_name:
        return False
    if station.state == StationState.REJECTED:
        code = CLOSE_DISABLED
    elif changed:
        code = CLOSE_CREDENTIALS_CHANGED
    else:
        return False
    _station_socket_close(channel_name=station.channel_name, code=code)
    return True


def station_deleted_disconnect(*, sender, instance: Station, **kwargs) -> None:
    """post_delete of a Station (admin, API, a network's cascade): its open socket closes (4004)."""
    if instance.channel_name:
        _station_socket_close(channel_name=instance.channel_name, code=CLOSE_DELETED)


def station_connected(*, station_id: int, channel_name: str, at: datetime, previous: str | None = None) -> str:
    """Mark the station online on ``channel_name``; return the channel of the socket it replaces ('' if none).

    ``previous``: the channel the station row named when the login read it. If the row still names
    it, one conditional UPDATE does (a reconnect storm's thousands of logins, issue 17); if another
    socket took the station meanwhile, the locked read below finds out which.
    """
    if previous is not None:
        # Plain SQL: the ORM's UPDATE costs more to build than to run, and every login runs it.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Station._meta.db_table} SET connected = %s, channel_name = %s, last_seen = %s "
                "WHERE id = %s AND channel_name = %s",
                [True, channel_name, connection.ops.adapt_datetimefield_value(at), station_id, previous],
            )
            if cursor.rowcount:
                return previous if previous != channel_name else ""
    with transaction.atomic():
        previous = (
            Station.objects.select_for_update().filter(pk=station_id).values_list("channel_name", flat=True).first()
        )
        Station.objects.filter(pk=station_id).update(connected=True, channel_name=channel_name, last_seen=at)
    return previous if previous and previous != channel_name else ""


def station_connection_handed_back(*, station_id: int, from_channel: str, to_channel: str) -> bool:
    """The socket on ``from_channel`` took the station over and closed at once: ``to_channel``, the
    socket it replaced, has it again. Only while no third socket took it meanwhile."""
    return bool(Station.objects.filter(pk=station_id, channel_name=from_channel).update(channel_name=to_channel, connected=True))


def station_disconnected(*, station_id: int, channel_name: str, at: datetime) -> bool:
    """Mark the station offline, unless a newer socket took over meanwhile. last_seen is kept."""
    # Conditional UPDATE: the replaced socket's disconnect may land after the new socket's connect,
    # and must not clear the new connection's flag.
    return bool(
        Station.objects.filter(pk=station_id, channel_name=channel_name).update(connected=False, channel_name="")
    )


def stations_forget_connections() -> int:
    """Mark every station offline: for a single-process platform starting up, no socket survives.

    A clean shutdown marks its stations offline itself; a killed process cannot, and its stations
    would otherwise show "connected" until they reconnect. Only for the in-memory channel layer,
    where this process is the only one that can hold sockets.
    """
    return Station.objects.filter(connected=True).update(connected=False, channel_name="")


def stations_forget_node(*, channel_prefix: str) -> int:
    """Mark offline the stations whose socket a dead gateway node held (ocpp_gateway.presence).

    ``channel_prefix`` is what every channel of that node starts with; a station that reconnected
    to a live node meanwhile has another prefix and is left alone.
    """
    return Station.objects.filter(connected=True, channel_name__startswith=channel_prefix).update(
        connected=False, channel_name=""
    )


def stations_reclaim(*, connections: dict[int, str]) -> int:
    """A live node was taken for dead (its presence key lapsed): mark its sockets online again.

    Only where no other socket took the station meanwhile (channel_name still empty).
    """
    reclaimed = 0
    with transaction.atomic():
        for station_id, channel_name in connections.items():
            reclaimed += Station.objects.filter(pk=station_id, channel_name="").update(
                connected=True, channel_name=channel_name
            )
    return reclaimed


def stations_mark_seen(*, station_ids: Iterable[int], at: datetime) -> None:
    """One UPDATE for every station that sent a frame since the last message-log flush."""
    if station_ids:
        where, params = in_values("id", station_ids)
        with batch_cursor() as cursor:
            cursor.execute(
                f"UPDATE {Station._meta.db_table} SET last_seen = %s WHERE {where}",
                [connection.ops.adapt_datetimefield_value(at), *params],
            )


def station_connection_refused(*, station: Station, reason: str, at: datetime) -> None:
    """Record why a connection attempt failed, on the station (never the password)."""
    station.last_connection_error = reason[:300]
    station.last_connection_error_at = at
    Station.objects.filter(pk=station.pk).update(
        last_connection_error=station.last_connection_error, last_connection_error_at=at
    )


@dataclass(frozen=True, slots=True)
class BootAnswer:
    """What the gateway answers a BootNotification with, and what it does next."""

    status: str  # RegistrationStatus: Accepted, Pending or Rejected
    # Accepted: the heartbeat interval; Pending/Rejected: the least wait before the next boot
    # (1.6 §4.2, 2.0.1 B02.FR.06 / B03.FR.02).
    interval: int
    # The network's setting: read the configuration after the boot (ocpp_gateway.protocol says when).
    read_configuration: bool


_BOOT_SAID = ["vendor", "model", "serial_number", "firmware_version", "ocpp_version", "state"]
# Compiled once: every boot of every station runs it (issue 17: reconnect storms).
_boot_query = PreparedQuery(
    lambda pk: Station.objects.filter(pk=pk)
    .order_by()
    .values_list("boot_pending", "boot_pending_interval", "network__read_configuration_after_boot", *_BOOT_SAID),
    stand_in=-7_777_777,
)


def station_boot(
    *,
    station: Station,
    ocpp_version: str,
    vendor: str,
    model: str,
    serial_number: str = "",
    firmware_version: str = "",
) -> BootAnswer:
    """BootNotification: record what the station says it is; return the answer.

    A pending station is onboarded by its first Accepted boot; a station an operator rejected stays
    rejected. While the operator's "answer Pending" switch is on, every boot is answered Pending
    (registration not accepted yet) and the station's state is left as it was.
    """
    # The switch, the network setting and the state may have changed since the station connected;
    # what the station said last time is compared so that an unchanged boot writes nothing.
    boot_pending, pending_interval, read_configuration, *said = _boot_query.all(station.pk)[0]
    before = dict(zip(_BOOT_SAID, said))
    station.boot_pending, station.boot_pending_interval = boot_pending, pending_interval
    station.state = before["state"]
    station.vendor = vendor[:50]
    station.model = model[:50]
    station.serial_number = (serial_number or "")[:50]
    station.firmware_version = (firmware_version or "")[:50]
    station.ocpp_version = ocpp_version
    if station.state == StationState.REJECTED:
        status, interval = "Rejected", settings.OCPP_HEARTBEAT_INTERVAL
    elif boot_pending:
        status, interval = "Pending", pending_interval
    else:
        status, interval = "Accepted", settings.OCPP_HEARTBEAT_INTERVAL
        if station.state == StationState.PENDING:
            station.state = StationState.ONBOARDED
    changed = [name for name in _BOOT_SAID if getattr(station, name) != before[name]]
    if changed:
        station.save(update_fields=changed)
    return BootAnswer(status=status, interval=interval, read_configuration=read_configuration)


def station_registration_set(*, station: Station, boot_pending: bool, interval: int | None = None) -> Station:
    """The operator's "answer Pending at the next boot" switch and its retry interval.

    Turned off, the station's next BootNotification is answered Accepted: it comes after the
    interval the station was given, or at once when the operator triggers one (TriggerMessage
    BootNotification, 2.0.1 TC_B_31).
    """
    station.boot_pending = boot_pending
    fields = ["boot_pending"]
    if interval is not None:
        station.boot_pending_interval = interval
        fields.append("boot_pending_interval")
    station.clean_fields(exclude=[f.name for f in Station._meta.fields if f.name not in fields])
    station.save(update_fields=fields)
    return station


def station_status_notify(
    *,
    station: Station,
    evse_id: int,
    connector_id: int | None,
    status: str,
    at: datetime,
    error_code: str = "",
    error_info: str = "",
    vendor_error_code: str = "",
) -> None:
    """StatusNotification: the status of an EVSE (connector_id None) or of one of its connectors.

    The EVSE mirrors its connector's status when it has only that one (every 1.6 connector, most
    2.0.1 EVSEs), so the station list shows one consistent state.
    """
    with transaction.atomic():
        _status_apply(
            station=station,
            evse_id=evse_id,
            connector_id=connector_id,
            status=status,
            at=at,
            error_code=error_code,
            error_info=error_info,
            vendor_error_code=vendor_error_code,
        )
        station_faults_record(reports=[StatusReport(
            station=station, evse_id=evse_id, connector_id=connector_id, status=status, at=at,
            error_code=error_code, error_info=error_info, vendor_error_code=vendor_error_code,
        )])


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One StatusNotification as the gateway's write buffer holds it until its batch is written."""

    station: Station
    evse_id: int
    connector_id: int | None
    status: str
    at: datetime
    error_code: str = ""
    error_info: str = ""
    vendor_error_code: str = ""


def station_statuses_notify(*, reports: Iterable[StatusReport]) -> int:
    """A batch of StatusNotifications in one transaction; return the number of rows written.

    Only each connector's (or EVSE's) newest report by timestamp is applied: an older one would be
    overwritten within the same transaction anyway. The report is applied whole, so an Available
    after a Faulted clears the error fields, and a Faulted's error code is never mixed with another
    report's status. Equal timestamps: the later arrival wins, as it would unbatched.
    """
    reports = list(reports)
    newest: dict[tuple[int, int, int | None], StatusReport] = {}
    for report in reports:
        key = (report.station.pk, report.evse_id, report.connector_id)
        current = newest.get(key)
        if current is None or report.at >= current.at:
            newest[key] = report
    if not newest:
        return 0
    with transaction.atomic():
        existing = _equipment_keys(station_ids={key[0] for key in newest})
        # New equipment (a station's first report per connector) takes the row-creating path;
        # the rest, nearly every report, are three executemany UPDATEs for the whole batch.
        for key, r in newest.items():
            if key not in existing:
                _status_apply(
                    station=r.station,
                    evse_id=r.evse_id,
                    connector_id=r.connector_id,
                    status=r.status,
                    at=r.at,
                    error_code=r.error_code,
                    error_info=r.error_info,
                    vendor_error_code=r.vendor_error_code,
                )
        known = [r for key, r in newest.items() if key in existing]
        _status_update_many(reports=known)
        # Every report, not only the newest per connector: a fault raised and cleared within one batch is history too.
        station_faults_record(reports=reports)
    return len(newest)


def _equipment_keys(*, station_ids: set[int]) -> set[tuple[int, int, int | None]]:
    """(station id, EVSE id, connector id or None) of every EVSE and connector the stations have."""
    evse_table, connector_table = EVSE._meta.db_table, Connector._meta.db_table
    with batch_cursor() as cursor:
        where, params = in_values("station_id", station_ids)
        cursor.execute(f"SELECT station_id, evse_id FROM {evse_table} WHERE {where}", params)
        keys: set[tuple[int, int, int | None]] = {(station_id, evse_id, None) for station_id, evse_id in cursor.fetchall()}
        where, params = in_values("e.station_id", station_ids)
        cursor.execute(
            f"SELECT e.station_id, e.evse_id, c.connector_id FROM {connector_table} c "
            f"JOIN {evse_table} e ON c.evse_id = e.id WHERE {where}",
            params,
        )
        keys.update(tuple(row) for row in cursor.fetchall())
    return keys


def _status_update_many(*, reports: list[StatusReport]) -> None:
    """The UPDATEs of _status_apply for rows that exist, one executemany per statement."""
    if not reports:
        return
    evse_table = EVSE._meta.db_table
    connector_table = Connector._meta.db_table
    assignments = "status = %s, error_code = %s, error_info = %s, vendor_error_code = %s, status_at = %s"
    evse_rows = [_status_values(r) + [r.station.pk, r.evse_id] for r in reports if r.connector_id is None]
    connector_reports = [r for r in reports if r.connector_id is not None]
    with batch_cursor() as cursor:
        if evse_rows:
            cursor.executemany(f"UPDATE {evse_table} SET {assignments} WHERE station_id = %s AND evse_id = %s", evse_rows)
        if connector_reports:
            cursor.executemany(
                f"UPDATE {connector_table} SET {assignments} WHERE connector_id = %s AND evse_id = "
                f"(SELECT id FROM {evse_table} WHERE station_id = %s AND evse_id = %s)",
                [_status_values(r) + [r.connector_id, r.station.pk, r.evse_id] for r in connector_reports],
            )
            # The EVSE mirrors a lone connector, as in _status_apply.
            cursor.executemany(
                f"UPDATE {evse_table} SET {assignments} WHERE station_id = %s AND evse_id = %s AND NOT EXISTS "
                f"(SELECT 1 FROM {connector_table} c WHERE c.evse_id = {evse_table}.id AND c.connector_id <> %s)",
                [_status_values(r) + [r.station.pk, r.evse_id, r.connector_id] for r in connector_reports],
            )


_STATUSES = frozenset(EquipmentStatus.values)


def _status_values(r: StatusReport) -> list[Any]:
    return [
        r.status if r.status in _STATUSES else EquipmentStatus.UNKNOWN,
        (r.error_code or "")[:50],
        (r.error_info or "")[:500],
        (r.vendor_error_code or "")[:50],
        connection.ops.adapt_datetimefield_value(r.at),
    ]


def _status_apply(
    *,
    station: Station,
    evse_id: int,
    connector_id: int | None,
    status: str,
    at: datetime,
    error_code: str,
    error_info: str,
    vendor_error_code: str,
) -> None:
    fields = {
        "status": status if status in EquipmentStatus.values else EquipmentStatus.UNKNOWN,
        "error_code": (error_code or "")[:50],
        "error_info": (error_info or "")[:500],
        "vendor_error_code": (vendor_error_code or "")[:50],
        "status_at": at,
    }
    if connector_id is None:
        if not _equipment_status_update(EVSE, fields, "station_id = %s AND evse_id = %s", [station.pk, evse_id]):
            EVSE.objects.create(station=station, evse_id=evse_id, **fields)
        return
    evse_table = EVSE._meta.db_table
    connector_table = Connector._meta.db_table
    where = f"connector_id = %s AND evse_id = (SELECT id FROM {evse_table} WHERE station_id = %s AND evse_id = %s)"
    if not _equipment_status_update(Connector, fields, where, [connector_id, station.pk, evse_id]):
        evse, _ = EVSE.objects.get_or_create(station=station, evse_id=evse_id)
        Connector.objects.create(evse=evse, connector_id=connector_id, **fields)
    lone = (
        f"station_id = %s AND evse_id = %s AND NOT EXISTS (SELECT 1 FROM {connector_table} c "
        f"WHERE c.evse_id = {evse_table}.id AND c.connector_id <> %s)"
    )
    _equipment_status_update(EVSE, fields, lone, [station.pk, evse_id, connector_id])


def _equipment_status_update(model, fields: dict[str, Any], where: str, params: list[Any]) -> int:
    """One UPDATE of an EVSE or Connector status, in SQL: StatusNotification is among the most
    frequent frames, and building the equivalent ORM queries cost several times running them."""
    values = [
        fields["status"],
        fields["error_code"],
        fields["error_info"],
        fields["vendor_error_code"],
        connection.ops.adapt_datetimefield_value(fields["status_at"]),
    ]
    sql = (
        f"UPDATE {model._meta.db_table} SET status = %s, error_code = %s, error_info = %s, "
        f"vendor_error_code = %s, status_at = %s WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values + params)
        return cursor.rowcount


def station_configuration_store(*, station: Station, keys: list[dict[str, Any]]) -> int:
    """1.6 GetConfiguration.conf configurationKey: replace the stored keys with what the station reported."""
    reported = {
        item["key"][:50]: (
            # A secret the station discloses (AuthorizationKey) is not kept (stations.configuration).
            "" if configuration_value_is_secret(key=item["key"]) else item.get("value") or "",
            bool(item.get("readonly", False)),
        )
        for item in keys
    }
    # Most reads after a boot find the keys as they were: those write nothing and build no
    # instance (reconnect storms; the read is compiled once).
    stored = {key: (value, readonly) for key, value, readonly in _configuration_query.all(station.pk)}
    changed = [
        ConfigurationKey(station=station, key=key, value=value, readonly=readonly)
        for key, (value, readonly) in reported.items()
        if stored.get(key) != (value, readonly)
    ]
    gone = set(stored) - set(reported)
    if not changed and not gone:
        return len(reported)
    with transaction.atomic():
        if gone:
            ConfigurationKey.objects.filter(station=station, key__in=gone).delete()
        ConfigurationKey.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["station", "key"],
            update_fields=["value", "readonly", "updated_at"],
        )
    return len(reported)


_configuration_query = PreparedQuery(
    lambda station_id: ConfigurationKey.objects.filter(station_id=station_id).order_by().values_list("key", "value", "readonly"),
    stand_in=-7_777_778,
)


def _device_model_rows(*, station: Station, item: dict[str, Any]) -> list[DeviceModelVariable]:
    component = item["component"]
    evse = component.get("evse") or {}
    variable = item["variable"]
    characteristics = item.get("variableCharacteristics") or {}
    common = {
        "station": station,
        "component": component["name"],
        "component_instance": component.get("instance", ""),
        "evse_id": None if evse.get("id") is None else bounds.evse_id(evse["id"], field="component.evse.id"),
        "connector_id": None
        if evse.get("connectorId") is None
        else bounds.connector_id(evse["connectorId"], field="component.evse.connectorId"),
        "variable": variable["name"],
        "variable_instance": variable.get("instance", ""),
        "data_type": characteristics.get("dataType", ""),
        "unit": characteristics.get("unit", ""),
        "min_limit": characteristics.get("minLimit"),
        "max_limit": characteristics.get("maxLimit"),
        "values_list": characteristics.get("valuesList", ""),
    }
    return [
        DeviceModelVariable(
            **common,
            attribute_type=attribute.get("type", "Actual"),
            # A write-only value (a password) is not kept, should a station report one.
            value=""
            if configuration_value_is_secret(
                component=common["component"], variable=common["variable"], mutability=attribute.get("mutability", "")
            )
            else attribute.get("value", ""),
            mutability=attribute.get("mutability", ""),
            persistent=attribute.get("persistent"),
            constant=attribute.get("constant"),
        )
        for attribute in item.get("variableAttribute") or []
    ]


def _device_model_key(row: DeviceModelVariable) -> tuple:
    return (
        row.component,
        row.component_instance,
        row.evse_id,
        row.connector_id,
        row.variable,
        row.variable_instance,
        row.attribute_type,
    )


def station_device_model_store(*, station: Station, report_data: list[dict[str, Any]], replace: bool) -> int:
    """2.0.1 NotifyReport reportData: upsert the reported variable attributes.

    ``replace`` (the first part of a FullInventory report) drops what an earlier report left behind.
    """
    rows = [row for item in report_data for row in _device_model_rows(station=station, item=item)]
    with transaction.atomic():
        if replace:
            DeviceModelVariable.objects.filter(station=station).delete()
            existing = {}
        else:
            existing = {_device_model_key(r): r.pk for r in DeviceModelVariable.objects.filter(station=station)}
        # Nullable evse/connector ids make a database unique constraint useless (NULLs are distinct),
        # so rows are matched here: one report part is at most a few hundred rows.
        stale = [existing[_device_model_key(r)] for r in rows if _device_model_key(r) in existing]
        DeviceModelVariable.objects.filter(pk__in=stale).delete()
        DeviceModelVariable.objects.bulk_create(rows)
    return len(rows)


def _component_label(component: dict[str, Any] | None) -> str:
    if not component:
        return ""
    label = component.get("name", "")
    if component.get("instance"):
        label += f"({component['instance']})"
    evse = component.get("evse")
    if evse:
        label += f" EVSE {evse.get('id')}"
        if evse.get("connectorId") is not None:
            label += f"/{evse['connectorId']}"
    return label


def station_events_record(*, station: Station, source: str, events: list[dict[str, Any]]) -> int:
    """NotifyEvent eventData items or one SecurityEventNotification, as StationEvent rows."""
    rows = []
    for event in events:
        variable = event.get("variable") or {}
        rows.append(
            StationEvent(
                station=station,
                source=source,
                event_type=(event.get("type") or event.get("trigger") or "")[:50],
                component=_component_label(event.get("component"))[:120],
                variable=(variable.get("name", "") + (f"({variable['instance']})" if variable.get("instance") else ""))[:120],
                value=event.get("actualValue", ""),
                tech_info=event.get("techInfo", ""),
                cleared=event.get("cleared"),
                occurred_at=parse_ocpp_datetime(event.get("timestamp")),
                data=event,
            )
        )
    StationEvent.objects.bulk_create(rows)
    return len(rows)


def parse_ocpp_datetime(value: str | None) -> datetime:
    """An OCPP dateTime, or now when absent, unreadable or outside the clock window (stations.bounds):
    a station's clock is no reason to drop a status or an event, nor to date it years off."""
    now = timezone.now()
    if value:
        try:
            parsed = bounds.ocpp_datetime(value)
        except (TypeError, ValueError):
            return now
        if bounds.in_clock_window(parsed, now=now):
            return parsed
    return now


# Events a station reported nothing about: what the platform answered but did not use.
INPUT_IGNORED = "InputIgnored"
# Notes kept per event: a station replaying a queue of bad readings makes one event, not thousands.
_NOTES_PER_EVENT = 5


def station_inputs_ignored(*, notes: Iterable[tuple[Station, str, list[str]]]) -> int:
    """Record what frames were answered but not used (stations.bounds: timestamps outside the clock
    or transaction window), one StationEvent per frame, so the operator sees why a reading is missing."""
    now = timezone.now()
    rows = []
    for station, action, texts in notes:
        if not texts:
            continue
        shown = texts[:_NOTES_PER_EVENT]
        more = len(texts) - len(shown)
        summary = "; ".join(shown) + (f"; and {more} more" if more else "")
        rows.append(
            StationEvent(
                station=station,
                source=action[:40],
                event_type=INPUT_IGNORED,
                tech_info=summary,
                occurred_at=now,
                data={"ignored": shown, "count": len(texts)},
            )
        )
    StationEvent.objects.bulk_create(rows)
    return len(rows)
