"""A simulated OCPP 2.0.1 station: its device model (GetBaseReport/NotifyReport, Get/SetVariables) and
handlers, plus the security-profile (simulator.certificates) and firmware (simulator.firmware) behaviour."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from simulator.base import ChargeResult, ConfigKey, ConnectorState, SimulatedStation, now_iso
from simulator.certificates import SecurityProfilesMixin201
from simulator.displays import DisplayMixin201
from simulator.firmware import FirmwareUpdateMixin
from simulator.logs import LogUploadMixin
from simulator.monitoring import MonitoringMixin201
from simulator.smartcharging import SmartChargingMixin201
from simulator.reservations import ReservationMixin201


@dataclass
class Variable:
    component: str
    name: str
    value: str | None
    mutability: str = "ReadWrite"  # ReadOnly, WriteOnly, ReadWrite
    data_type: str = "string"
    evse: int | None = None
    connector: int | None = None
    instance: str | None = None
    unit: str | None = None

    @property
    def key(self) -> tuple:
        return (self.component, self.evse, self.connector, self.name, self.instance)


# SecurityProfilesMixin201 (simulator.certificates): network profiles, TLS, certificates.
# MonitoringMixin201 / DisplayMixin201: variable monitors, customer data, display messages (N, O).
# LogUploadMixin (simulator.logs): GetLog → upload over HTTP, LogStatusNotification.
class Station201(
    SecurityProfilesMixin201, ReservationMixin201, SmartChargingMixin201, MonitoringMixin201, DisplayMixin201, FirmwareUpdateMixin,
    LogUploadMixin, SimulatedStation, ChargePoint201,
):
    ocpp_version = "2.0.1"
    reset_stop_reason = "ImmediateReset"
    report_part_size = 10

    def default_configuration(self) -> dict[Any, ConfigKey]:
        # 2.0.1 keeps its configuration in `self.variables` (the device model); `config` is unused.
        self.variables: dict[tuple, Variable] = {}
        n = len(self.connectors)
        for var in [
            Variable("OCPPCommCtrlr", "HeartbeatInterval", "300", data_type="integer", unit="s"),
            Variable("OCPPCommCtrlr", "NetworkConfigurationPriority", "0", data_type="SequenceList"),
            Variable("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "3", data_type="integer"),
            Variable("OCPPCommCtrlr", "OfflineThreshold", "600", data_type="integer", unit="s"),
            Variable("OCPPCommCtrlr", "MessageTimeout", "30", data_type="integer", instance="Default", unit="s"),
            Variable("OCPPCommCtrlr", "ResetRetries", "2", data_type="integer"),
            Variable("OCPPCommCtrlr", "WebSocketPingInterval", "60", data_type="integer", unit="s"),
            Variable("OCPPCommCtrlr", "FileTransferProtocols", "HTTPS,FTPS", mutability="ReadOnly", data_type="MemberList"),
            Variable("SecurityCtrlr", "SecurityProfile", "1", mutability="ReadOnly", data_type="integer"),
            Variable("SecurityCtrlr", "Identity", self.identity, mutability="ReadOnly"),
            Variable("SecurityCtrlr", "OrganizationName", "Switch"),
            # B02/A01: BasicAuthPassword is WriteOnly; a report omits its value.
            Variable("SecurityCtrlr", "BasicAuthPassword", None, mutability="WriteOnly"),
            Variable("AuthCtrlr", "Enabled", "true", data_type="boolean"),
            Variable("AuthCtrlr", "AuthorizeRemoteStart", "false", data_type="boolean"),
            Variable("AuthCtrlr", "LocalAuthorizeOffline", "true", data_type="boolean"),
            Variable("AuthCtrlr", "LocalPreAuthorize", "false", data_type="boolean"),
            Variable("AuthCacheCtrlr", "Enabled", "true", data_type="boolean"),
            Variable("TxCtrlr", "EVConnectionTimeOut", "60", data_type="integer", unit="s"),
            Variable("TxCtrlr", "StopTxOnEVSideDisconnect", "true", data_type="boolean"),
            Variable("TxCtrlr", "StopTxOnInvalidId", "true", data_type="boolean"),
            Variable("TxCtrlr", "TxStartPoint", "PowerPathClosed", data_type="MemberList"),
            Variable("TxCtrlr", "TxStopPoint", "EVConnected,Authorized", data_type="MemberList"),
            Variable("SampledDataCtrlr", "TxUpdatedInterval", "60", data_type="integer", unit="s"),
            Variable("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register,Power.Active.Import", data_type="MemberList"),
            Variable("SampledDataCtrlr", "TxEndedMeasurands", "Energy.Active.Import.Register", data_type="MemberList"),
            Variable("AlignedDataCtrlr", "Interval", "900", data_type="integer", unit="s"),
            Variable("AlignedDataCtrlr", "Measurands", "Energy.Active.Import.Register", data_type="MemberList"),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", mutability="ReadOnly", data_type="integer", instance="GetReport"),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", mutability="ReadOnly", data_type="integer", instance="GetVariables"),
            Variable("DeviceDataCtrlr", "ItemsPerMessage", "20", mutability="ReadOnly", data_type="integer", instance="SetVariables"),
            Variable("ChargingStation", "AvailabilityState", "Available", mutability="ReadOnly", data_type="OptionList"),
            Variable("ChargingStation", "Model", self.model, mutability="ReadOnly"),
            Variable("ChargingStation", "VendorName", self.vendor, mutability="ReadOnly"),
        ]:
            self.variables[var.key] = var
        for evse in range(1, n + 1):
            for var in [
                Variable("EVSE", "AvailabilityState", "Available", mutability="ReadOnly", data_type="OptionList", evse=evse),
                Variable("EVSE", "Power", str(round(self.power_kw * 1000)), mutability="ReadOnly", data_type="decimal", evse=evse, unit="W"),
                Variable("Connector", "AvailabilityState", "Available", mutability="ReadOnly", data_type="OptionList", evse=evse, connector=1),
                Variable("Connector", "ConnectorType", "cType2", mutability="ReadOnly", evse=evse, connector=1),
            ]:
                self.variables[var.key] = var
        return {}

    # -- outgoing

    def boot_payload(self, reason: str) -> Any:
        return call201.BootNotification(
            charging_station={"model": self.model, "vendor_name": self.vendor, "serial_number": self.serial_number, "firmware_version": self.firmware_version},
            reason=reason,
        )

    def heartbeat_payload(self) -> Any:
        return call201.Heartbeat()

    async def send_status(self, connector_id: int) -> None:
        # A 2.0.1 EVSE has one connector here: EVSE n, connector 1 (1.6 connector n).
        c = self.connectors[connector_id]
        status = {"Preparing": "Occupied", "Charging": "Occupied", "Finishing": "Occupied"}.get(c.status, c.status)
        await self.request(call201.StatusNotification(timestamp=now_iso(), connector_status=status, evse_id=connector_id, connector_id=1))

    async def fault(self, connector_id: int = 1, *, error_code: str = "GroundFailure", info: str = "Ground fault detected") -> None:
        # 2.0.1 StatusNotification has no error code: the problem itself is a NotifyEvent (N07).
        await super().fault(connector_id, error_code=error_code, info=info)
        await self.request(
            call201.NotifyEvent(
                generated_at=now_iso(),
                seq_no=0,
                event_data=[
                    {
                        "event_id": next(self._seq) + 1,
                        "timestamp": now_iso(),
                        "trigger": "Delta",
                        "actual_value": "true",
                        "tech_code": error_code,
                        "tech_info": info,
                        "event_notification_type": "HardWiredNotification",
                        "component": {"name": "Connector", "evse": {"id": connector_id, "connector_id": 1}},
                        "variable": {"name": "Problem"},
                    }
                ],
            )
        )

    async def authorize(self, id_tag: str) -> str:
        return (await self.request(call201.Authorize(id_token={"id_token": id_tag, "type": "ISO14443"}))).id_token_info["status"]

    def meter_value(self, connector: ConnectorState, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
        values = [{"value": connector.meter_wh, "measurand": "Energy.Active.Import.Register", "context": context, "location": "Outlet", "unit_of_measure": {"unit": "Wh"}}]
        if context == "Sample.Periodic":
            values.append({"value": round(self.drawn_power_w(connector)), "measurand": "Power.Active.Import", "context": context, "location": "Outlet", "unit_of_measure": {"unit": "W"}})
        return [{"timestamp": now_iso(), "sampled_value": values}]

    async def send_meter_values(self, connector_id: int = 1) -> None:
        await self.request(call201.MeterValues(evse_id=connector_id, meter_value=self.meter_value(self.connectors[connector_id])))

    async def _transaction_event(self, connector: ConnectorState, event_type: str, trigger: str, seq: int, *, charging_state: str | None = None, id_tag: str | None = None, stopped_reason: str | None = None, remote_start_id: int | None = None, context: str = "Sample.Periodic") -> Any:
        info: dict[str, Any] = {"transaction_id": connector.transaction_id}
        if charging_state:
            info["charging_state"] = charging_state
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        return await self.request(
            call201.TransactionEvent(
                event_type=event_type, timestamp=now_iso(), trigger_reason=trigger, seq_no=seq, transaction_info=info,
                meter_value=self.meter_value(connector, context),
                evse={"id": connector.connector_id, "connector_id": 1} if event_type == "Started" else None,
                id_token={"id_token": id_tag, "type": "ISO14443"} if id_tag else None,
            )
        )

    async def _charge(self, connector: ConnectorState, *, kwh, id_tag, remote_start_id, steps) -> ChargeResult:
        cid = connector.connector_id
        if remote_start_id is None or self.variables[("AuthCtrlr", None, None, "AuthorizeRemoteStart", None)].value == "true":
            status = await self.authorize(id_tag)
            if status != "Accepted":
                return ChargeResult(cid, None, connector.meter_wh, connector.meter_wh, status, "DeAuthorized")
        else:
            status = "Accepted"
        connector.transaction_id = getattr(self, "_pending_tx_id", None) or uuid.uuid4().hex[:20]
        self._pending_tx_id = None
        meter_start = connector.meter_wh
        connector.status = "Occupied"
        await self.send_status(cid)
        seq = itertools.count()
        started = await self._transaction_event(
            connector, "Started", "RemoteStart" if remote_start_id is not None else "Authorized", next(seq),
            charging_state="EVConnected", id_tag=id_tag, remote_start_id=remote_start_id, context="Transaction.Begin",
        )
        token_status = (started.id_token_info or {}).get("status", "Accepted")
        reason = "Local"
        if token_status != "Accepted":
            reason = "DeAuthorized"
        else:
            connector.status = "Charging"
            await self._transaction_event(connector, "Updated", "ChargingStateChanged", next(seq), charging_state="Charging")
            step = self.step_wh(kwh, steps)
            target = meter_start + round(kwh * 1000) if kwh is not None else None
            while target is None or connector.meter_wh < target:
                if await self._tick(connector, min(step, target - connector.meter_wh) if target else step):
                    reason = connector.stop_reason or "Local"
                    break
                await self._transaction_event(connector, "Updated", "MeterValuePeriodic", next(seq), charging_state="Charging")
            else:
                reason = "EnergyLimitReached" if kwh is not None else "Local"
        trigger = {"Remote": "RemoteStop", "DeAuthorized": "Deauthorized", "EnergyLimitReached": "EnergyLimitReached", "ImmediateReset": "ResetCommand"}.get(reason, "StopAuthorized")
        await self._transaction_event(connector, "Ended", trigger, next(seq), charging_state="Idle", stopped_reason=reason, context="Transaction.End")
        transaction_id = connector.transaction_id
        connector.status = "Available"
        await self.send_status(cid)
        return ChargeResult(cid, transaction_id, meter_start, connector.meter_wh, status, reason)

    # -- device model

    def _find(self, component: dict[str, Any], variable: dict[str, Any]) -> tuple[Variable | None, str | None]:
        evse = component.get("evse") or {}
        key = (component["name"], evse.get("id"), evse.get("connector_id"), variable["name"], variable.get("instance"))
        found = self.variables.get(key)
        if found is not None:
            return found, None
        if not any(v.component == component["name"] for v in self.variables.values()):
            return None, "UnknownComponent"
        return None, "UnknownVariable"

    def report_data(self, var: Variable) -> dict[str, Any]:
        component: dict[str, Any] = {"name": var.component}
        if var.evse is not None:
            component["evse"] = {"id": var.evse, **({"connector_id": var.connector} if var.connector else {})}
        attribute: dict[str, Any] = {"type": "Actual", "mutability": var.mutability, "persistent": True}
        if var.mutability != "WriteOnly":
            attribute["value"] = var.value
        characteristics: dict[str, Any] = {"data_type": var.data_type, "supports_monitoring": False}
        if var.unit:
            characteristics["unit"] = var.unit
        return {
            "component": component,
            "variable": {"name": var.name, **({"instance": var.instance} if var.instance else {})},
            "variable_attribute": [attribute],
            "variable_characteristics": characteristics,
        }

    # -- incoming (CSMS → station)

    @on("GetBaseReport")
    def on_get_base_report(self, request_id: int, report_base: str, **kwargs):
        self.record("GetBaseReport", {"request_id": request_id, "report_base": report_base})
        return result201.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    def after_get_base_report(self, request_id: int, report_base: str, **kwargs):
        self.spawn(self.send_report(request_id, report_base))

    async def send_report(self, request_id: int, report_base: str = "FullInventory") -> None:
        """B07: the report arrives in NotifyReport parts, seqNo from 0, tbc until the last."""
        variables = list(self.variables.values())
        if report_base == "ConfigurationInventory":
            variables = [v for v in variables if v.mutability != "ReadOnly"]
        parts = [variables[i:i + self.report_part_size] for i in range(0, len(variables), self.report_part_size)] or [[]]
        generated_at = now_iso()
        for seq_no, part in enumerate(parts):
            payload = call201.NotifyReport(
                request_id=request_id, generated_at=generated_at, seq_no=seq_no,
                report_data=[self.report_data(v) for v in part] or None, tbc=seq_no < len(parts) - 1,
            )
            self.reports_sent.append({"request_id": request_id, "seq_no": seq_no, "count": len(part)})
            await self.request(payload)

    @on("GetVariables")
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **kwargs):
        self.record("GetVariables", {"get_variable_data": get_variable_data})
        results = []
        for item in get_variable_data:
            var, problem = self._find(item["component"], item["variable"])
            result: dict[str, Any] = {"component": item["component"], "variable": item["variable"], "attribute_type": item.get("attribute_type", "Actual")}
            if var is None:
                result["attribute_status"] = problem
            elif var.mutability == "WriteOnly":
                result["attribute_status"] = "Rejected"
            else:
                result["attribute_status"] = "Accepted"
                result["attribute_value"] = var.value
            results.append(result)
        return result201.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **kwargs):
        self.record("SetVariables", {"set_variable_data": set_variable_data})
        results = []
        for item in set_variable_data:
            var, problem = self._find(item["component"], item["variable"])
            value = item["attribute_value"]
            status = problem or "Accepted"
            if var is not None:
                if var.mutability == "ReadOnly":
                    status = "Rejected"
                elif var.data_type == "integer" and not value.lstrip("-").isdigit():
                    status = "Rejected"
                elif var.data_type == "boolean" and value not in ("true", "false"):
                    status = "Rejected"
                elif var.name == "BasicAuthPassword":
                    if not 16 <= len(value) <= 40:
                        status = "Rejected"
                    else:
                        # A01: the new password is used from the next connection on.
                        self.password = value
                else:
                    var.value = value
                    if var.name == "HeartbeatInterval" and var.component == "OCPPCommCtrlr":
                        self.heartbeat_interval = self.heartbeat_override or int(value)
            results.append({"attribute_type": item.get("attribute_type", "Actual"), "attribute_status": status, "component": item["component"], "variable": item["variable"]})
        return result201.SetVariables(set_variable_result=results)

    @on("Reset")
    def on_reset(self, type: str, evse_id: int | None = None, **kwargs):
        self.record("Reset", {"type": type, "evse_id": evse_id})
        if evse_id is not None:
            return result201.Reset(status="Rejected")
        busy = any(c.transaction_id is not None for c in self.connectors.values())
        if type == "OnIdle" and busy:
            return result201.Reset(status="Scheduled")
        return result201.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, type: str, evse_id: int | None = None, **kwargs):
        busy = any(c.transaction_id is not None for c in self.connectors.values())
        if evse_id is None and not (type == "OnIdle" and busy):
            self.spawn(self.reboot())

    @on("UnlockConnector")
    def on_unlock_connector(self, evse_id: int, connector_id: int, **kwargs):
        self.record("UnlockConnector", {"evse_id": evse_id, "connector_id": connector_id})
        if evse_id not in self.connectors or connector_id != 1:
            return result201.UnlockConnector(status="UnknownConnector")
        if self.connectors[evse_id].transaction_id is not None:
            return result201.UnlockConnector(status="OngoingAuthorizedTransaction")
        return result201.UnlockConnector(status="Unlocked")

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message: str, evse: dict[str, Any] | None = None, **kwargs):
        self.record("TriggerMessage", {"requested_message": requested_message, "evse": evse})
        if requested_message not in self.TRIGGERABLE:
            return result201.TriggerMessage(status="NotImplemented")
        if evse and evse.get("id") not in self.connectors:
            return result201.TriggerMessage(status="Rejected")
        return result201.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, requested_message: str, evse: dict[str, Any] | None = None, **kwargs):
        if requested_message in self.TRIGGERABLE and not (evse and evse.get("id") not in self.connectors):
            self.send_triggered(requested_message, [evse["id"]] if evse and evse.get("id") else list(self.connectors))

    @on("RequestStartTransaction")
    def on_request_start_transaction(self, id_token: dict[str, Any], remote_start_id: int, evse_id: int | None = None, **kwargs):
        self.record("RequestStartTransaction", {"id_token": id_token, "remote_start_id": remote_start_id, "evse_id": evse_id, **kwargs})
        if not self.accept_remote_start(evse_id, id_token["id_token"], remote_start_id):
            return result201.RequestStartTransaction(status="Rejected")
        self.hold_start_profile(evse_id, kwargs.get("charging_profile"))
        self._pending_tx_id = uuid.uuid4().hex[:20]
        return result201.RequestStartTransaction(status="Accepted")

    @after("RequestStartTransaction")
    def after_request_start_transaction(self, **kwargs):
        self.begin_remote_start()

    @on("RequestStopTransaction")
    def on_request_stop_transaction(self, transaction_id: str, **kwargs):
        self.record("RequestStopTransaction", {"transaction_id": transaction_id})
        return result201.RequestStopTransaction(status="Accepted" if self.request_stop(transaction_id) else "Rejected")

    @on("ChangeAvailability")
    def on_change_availability(self, operational_status: str, evse: dict[str, Any] | None = None, **kwargs):
        self.record("ChangeAvailability", {"operational_status": operational_status, "evse": evse})
        ids = [evse["id"]] if evse and evse.get("id") else list(self.connectors)
        return result201.ChangeAvailability(status=self.set_availability(ids, operative=operational_status == "Operative"))

    @on("ClearCache")
    def on_clear_cache(self, **kwargs):
        self.record("ClearCache", {})
        return result201.ClearCache(status="Accepted")

    @on("CostUpdated")
    def on_cost_updated(self, total_cost: float, transaction_id: str, **kwargs):
        # What the station's display would show the driver (2.0.1 I02).
        self.record("CostUpdated", {"total_cost": total_cost, "transaction_id": transaction_id})
        return result201.CostUpdated()

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, transaction_id: str | None = None, **kwargs):
        self.record("GetTransactionStatus", {"transaction_id": transaction_id})
        ongoing = any(c.transaction_id == transaction_id for c in self.connectors.values()) if transaction_id else None
        return result201.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **kwargs):
        self.record("DataTransfer", {"vendor_id": vendor_id, **kwargs})
        return result201.DataTransfer(status="UnknownVendorId")
