"""The gateway's smart-charging handlers, mixed into ocpp_gateway's ChargePoint16 / ChargePoint201.

- 2.0.1 station-initiated messages (K09 ReportChargingProfiles, K12 NotifyChargingLimit, K13
  ClearedChargingLimit, K15/K17 NotifyEVChargingNeeds, NotifyEVChargingSchedule): stored, then
  answered (acknowledged once stored). Reported schedules are bounded (stations.bounds) before they are
  read; limit reports are kept as sent (only evseId is read) and nothing computes on them.
- The site balancer's triggers: after a session starts or stops, and after meter values at a
  location with a limit, ``scheduler.request`` schedules a debounced recompute off the loop.
  @after handlers run once the answer is sent, so the session they concern is committed.
"""
from __future__ import annotations

from channels.db import database_sync_to_async
from ocpp.routing import after, on
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from smartcharging.models import LimitReportKind
from smartcharging.scheduling import scheduler
from smartcharging.services import charging_limit_report_store, charging_profiles_report
from stations import bounds


class _BalancerTriggers:
    def _rebalance(self, *, meter_value: bool = False) -> None:
        station = self.consumer.station
        if station is not None:
            scheduler.request(station.location_id, meter_value=meter_value)

    def _station_seen(self) -> None:
        # A station (re)connected or changed status: at a limited location (or one not computed yet
        # by this node) it may need the balancer's default profile before its next session.
        station = self.consumer.station
        if station is not None and station.location_id is not None and scheduler.may_be_limited(station.location_id):
            scheduler.request(station.location_id)


class SmartChargingHandlers16(_BalancerTriggers):
    @after(Action16.status_notification)
    def after_status_notification_rebalance(self, **kwargs) -> None:
        self._station_seen()

    @after(Action16.start_transaction)
    def after_start_transaction_rebalance(self, **kwargs) -> None:
        self._rebalance()

    @after(Action16.stop_transaction)
    def after_stop_transaction_rebalance(self, **kwargs) -> None:
        self._rebalance()

    @after(Action16.meter_values)
    def after_meter_values_rebalance(self, **kwargs) -> None:
        self._rebalance(meter_value=True)


class SmartChargingHandlers201(_BalancerTriggers):
    @after(Action201.status_notification)
    def after_status_notification_rebalance(self, **kwargs) -> None:
        self._station_seen()

    @after(Action201.transaction_event)
    def after_transaction_event_rebalance(self, event_type: str, **kwargs) -> None:
        self._rebalance(meter_value=event_type == "Updated")

    @after(Action201.meter_values)
    def after_meter_values_rebalance(self, **kwargs) -> None:
        self._rebalance(meter_value=True)

    async def _store_report(self, kind: str) -> None:
        payload = self.payload
        if payload.get("evseId") is not None:
            bounds.evse_id(payload["evseId"])
        await database_sync_to_async(charging_limit_report_store)(station=self.consumer.station, kind=kind, payload=payload)

    @on(Action201.report_charging_profiles)
    async def on_report_charging_profiles(self, **kwargs):
        bounds.evse_id(self.payload.get("evseId"))
        await database_sync_to_async(charging_profiles_report)(station=self.consumer.station, payload=self.payload)
        return result201.ReportChargingProfiles()

    @on(Action201.notify_charging_limit)
    async def on_notify_charging_limit(self, **kwargs):
        await self._store_report(LimitReportKind.NOTIFY_CHARGING_LIMIT)
        return result201.NotifyChargingLimit()

    @on(Action201.cleared_charging_limit)
    async def on_cleared_charging_limit(self, **kwargs):
        await self._store_report(LimitReportKind.CLEARED_CHARGING_LIMIT)
        return result201.ClearedChargingLimit()

    @on(Action201.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, **kwargs):
        await self._store_report(LimitReportKind.NOTIFY_EV_CHARGING_NEEDS)
        # Accepted: the needs are stored and the CSMS answers with a charging profile when it has one
        # to give (an operator's, or the site balancer's share at a limited location).
        return result201.NotifyEVChargingNeeds(status="Accepted")

    @on(Action201.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(self, **kwargs):
        await self._store_report(LimitReportKind.NOTIFY_EV_CHARGING_SCHEDULE)
        return result201.NotifyEVChargingSchedule(status="Accepted")
