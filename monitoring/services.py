"""Writes of the monitoring app: what stations report (NotifyMonitoringReport, NotifyCustomerInformation)
and what they answered to the platform's monitoring commands."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from monitoring.models import CustomerInformationPart, MonitoringSettings, VariableMonitor
from stations import bounds
from stations.models import Station

logger = logging.getLogger(__name__)

#: Monitors kept per station: real stations hold tens to a few hundred (MonitoringCtrlr.Entries).
MAX_MONITORS_PER_STATION = 5000


@dataclass(frozen=True)
class ReportedMonitor:
    """One VariableMonitoringType of a NotifyMonitoringReport, numbers already bounded (stations.bounds)."""

    monitor_id: int
    component: str
    component_instance: str
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str
    monitor_type: str
    value: float
    severity: int
    transaction: bool


def _upsert(*, station: Station, monitor: ReportedMonitor, source: str) -> None:
    VariableMonitor.objects.update_or_create(
        station=station,
        monitor_id=monitor.monitor_id,
        defaults={
            "component": monitor.component,
            "component_instance": monitor.component_instance,
            "evse_id": monitor.evse_id,
            "connector_id": monitor.connector_id,
            "variable": monitor.variable,
            "variable_instance": monitor.variable_instance,
            "monitor_type": monitor.monitor_type,
            "value": monitor.value,
            "severity": monitor.severity,
            "transaction": monitor.transaction,
            "source": source,
        },
    )


def _is_full_report(*, station: Station, request_id: int) -> bool:
    """Whether request_id is the platform's GetMonitoringReport for every monitor (no criteria)."""
    from commands.models import Command

    parameters = (
        Command.objects.filter(pk=request_id, station=station, action="get_monitoring_report").values_list("parameters", flat=True).first()
    )
    return parameters is not None and not parameters.get("monitoring_criteria") and not parameters.get("component_variables")


def monitoring_report_store(*, station: Station, request_id: int, seq_no: int, monitors: list[ReportedMonitor]) -> int:
    """A NotifyMonitoringReport part (N02): its monitors replace the stored ones with the same ids.

    The first part of a report of every monitor replaces the whole list: monitors not in it are gone.
    """
    with transaction.atomic():
        if seq_no == 0 and _is_full_report(station=station, request_id=request_id):
            VariableMonitor.objects.filter(station=station).delete()
        stored = VariableMonitor.objects.filter(station=station)
        new_ids = {m.monitor_id for m in monitors} - set(stored.filter(monitor_id__in=[m.monitor_id for m in monitors]).values_list("monitor_id", flat=True))
        if new_ids and stored.count() + len(new_ids) > MAX_MONITORS_PER_STATION:
            # A station reporting ever new ids would grow the table without end: refused as a whole.
            raise bounds.TooMany("monitors of the station", stored.count() + len(new_ids), MAX_MONITORS_PER_STATION, ocpp_version="2.0.1")
        for monitor in monitors:
            _upsert(station=station, monitor=monitor, source="report")
    return len(monitors)


def _results(command, field: str) -> list[dict[str, Any]]:
    answer = command.answer if isinstance(command.answer, dict) else {}
    results = answer.get(field)
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _chunk(command, field: str) -> list[Any]:
    items = command.parameters.get(field) or []
    limit = command.parameters.get("items_per_message")
    return items[:limit] if limit else items


def monitors_set_answered(*, command) -> int:
    """SetVariableMonitoring answered (N04): each Accepted result with its id is a monitor the station has.

    N04.FR.01 gives one result per requested monitor; they are matched by position, as the
    results repeat component, variable and type but not the value.
    """
    requested = _chunk(command, "monitors")
    results = _results(command, "setMonitoringResult")
    stored = 0
    for position, result in enumerate(results):
        if result.get("status") != "Accepted" or position >= len(requested):
            continue
        monitor_id = result.get("id")
        if type(monitor_id) is not int or not 0 <= monitor_id <= 2**31 - 1:
            continue
        item = requested[position]
        _upsert(
            station=command.station,
            monitor=ReportedMonitor(
                monitor_id=monitor_id,
                component=item["component"],
                component_instance=item.get("component_instance", ""),
                evse_id=item.get("evse_id"),
                connector_id=item.get("connector_id"),
                variable=item["variable"],
                variable_instance=item.get("variable_instance", ""),
                monitor_type=item["type"],
                value=float(item["value"]),
                severity=item["severity"],
                transaction=bool(item.get("transaction")),
            ),
            source="set",
        )
        stored += 1
    return stored


def monitors_clear_answered(*, command) -> int:
    """ClearVariableMonitoring answered (N06): Accepted and NotFound ids are monitors the station no longer has."""
    gone = [
        r.get("id") for r in _results(command, "clearMonitoringResult") if r.get("status") in ("Accepted", "NotFound") and type(r.get("id")) is int
    ]
    deleted, _ = VariableMonitor.objects.filter(station=command.station, monitor_id__in=gone).delete()
    return deleted


def monitoring_limit_read(*, command) -> None:
    """The GetVariables a clear_variable_monitoring command sent first (TC_N_18) was answered: the limit
    joins the device model, and the clear follows in as many requests as it asks (all at once when the
    station gave no limit)."""
    from commands.models import CommandStatus
    from commands.services import command_create
    from monitoring.selectors import items_per_message
    from stations.device_reports import device_model_values_store

    if command.status not in (CommandStatus.ACCEPTED, CommandStatus.REJECTED):
        return  # no answer: the operator sees the failure and sends the clear again
    answer = command.answer if isinstance(command.answer, dict) else {}
    device_model_values_store(station=command.station, results=[r for r in answer.get("getVariableResult") or [] if isinstance(r, dict)])
    ids = command.parameters["ids"]
    limit = items_per_message(station=command.station, message="ClearVariableMonitoring")
    parameters: dict[str, Any] = {"ids": ids}
    if limit is not None and len(ids) > limit:
        parameters["items_per_message"] = limit
    command_create(station=command.station, action=command.action, parameters=parameters, requested_by=command.requested_by)


def monitoring_settings_answered(*, command) -> None:
    """SetMonitoringBase / SetMonitoringLevel accepted: the station page shows what is in force."""
    if command.status != "accepted":
        return
    settings, _ = MonitoringSettings.objects.get_or_create(station=command.station)
    if command.action == "set_monitoring_base":
        settings.monitoring_base = command.parameters["monitoring_base"]
    else:
        settings.monitoring_level = command.parameters["severity"]
    settings.save()


def customer_information_store(
    *, station: Station, request_id: int, seq_no: int, tbc: bool, data: str, generated_at: datetime
) -> CustomerInformationPart | None:
    """A NotifyCustomerInformation part (N09.FR.04, N10): stored once; a resent part replaces itself.

    The last part of a clear that asked to remove the customer's id token removes it (once).
    """
    from commands.models import Command

    if not Command.objects.filter(pk=request_id, station=station, action="customer_information").exists():
        # No request of the platform's: nothing to file it under (and no way to grow the table unasked).
        logger.warning("%s: NotifyCustomerInformation for request %s, which the platform did not send: not stored", station.identity, request_id)
        return None
    with transaction.atomic():
        part, created = CustomerInformationPart.objects.update_or_create(
            station=station, request_id=request_id, seq_no=seq_no, defaults={"tbc": tbc, "data": data, "generated_at": generated_at}
        )
        if created and not tbc:
            customer_token_forget(station=station, request_id=request_id)
    return part


def _allow_list(station: Station):
    from sessions.models import IdToken

    return IdToken.objects.filter(network_id=station.network_id)


def customer_token_removal_refusal(*, station: Station, token: str) -> str:
    """Why ``token`` cannot be removed from the station's network allow-list, or "" when it can."""
    from sessions.models import AuthorizationStatus

    entries = _allow_list(station)
    if not entries.filter(token__iexact=token).exists():
        return f"{token} is not on the allow-list of {station.network}: there is nothing to remove."
    accepted = entries.filter(status=AuthorizationStatus.ACCEPTED)
    if not accepted.exclude(token__iexact=token).exists():
        # sessions.models.IdToken: a network with no Accepted entry accepts every token.
        return "It is the network's last accepted token: without it the network would accept every token. Block it instead."
    return ""


def customer_token_forget(*, station: Station, request_id: int) -> int:
    """N10.FR.02: after the station reported a clear for an id token whose removal was asked, the token
    leaves the network's allow-list and the stations that hold a local list get a Differential update.

    Returns how many SendLocalList commands were queued.
    """
    from commands.models import Command
    from sessions.services.local_list import DIFFERENTIAL, local_list_network_send

    command = Command.objects.filter(pk=request_id, station=station, action="customer_information").select_related("requested_by").first()
    if command is None or not command.parameters.get("forget_id_token") or not command.parameters.get("clear"):
        return 0
    token = command.parameters.get("id_token") or ""
    if customer_token_removal_refusal(station=station, token=token):
        logger.warning("%s: id token of customer information request %s not removed: %s", station.identity, request_id,
                       customer_token_removal_refusal(station=station, token=token))
        return 0
    _allow_list(station).filter(token__iexact=token).delete()
    outcomes = local_list_network_send(
        network=station.network, action="send_local_list", parameters={"update_type": DIFFERENTIAL}, requested_by=command.requested_by
    )
    return sum(1 for outcome in outcomes if outcome.command is not None)
