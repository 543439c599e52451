"""A simulated 2.0.1 station's monitoring (N02-N06) and customer data (N09/N10), mixed into Station201.

Monitors live in ``self.monitors`` (id → monitor); a monitor may be set on any variable of the
device model. Tests script an answer with ``station.scripted[action].append({...})``: the next
request of that action gets it instead of the station's own (e.g. a Rejected the OCTT always gives).
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import after, on
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from simulator.base import now_iso

CRITERIA_TYPES = {
    "ThresholdMonitoring": {"UpperThreshold", "LowerThreshold"},
    "DeltaMonitoring": {"Delta"},
    "PeriodicMonitoring": {"Periodic", "PeriodicClockAligned"},
}
CUSTOMER_DATA_PART = 512  # NotifyCustomerInformationRequest.data is string(512)


class MonitoringMixin201:
    monitor_part_size = 10

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from simulator.v201 import Variable

        self.monitors: dict[int, dict[str, Any]] = {}
        self._monitor_ids = itertools.count(1)
        self.monitoring_base = "All"
        self.monitoring_level = 9
        # Customer data held per id token / identifier: N09 reports it, N10 clears it.
        self.customer_data: dict[str, str] = {}
        if not hasattr(self, "scripted"):
            self.scripted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for instance, count in (("SetVariableMonitoring", "10"), ("ClearVariableMonitoring", "10")):
            var = Variable("MonitoringCtrlr", "ItemsPerMessage", count, mutability="ReadOnly", data_type="integer", instance=instance)
            self.variables[var.key] = var
        var = Variable("MonitoringCtrlr", "Enabled", "true", data_type="boolean")
        self.variables[var.key] = var

    def _items_per_message(self, message: str) -> int:
        return int(self.variables[("MonitoringCtrlr", None, None, "ItemsPerMessage", message)].value)

    def _check_items(self, message: str, count: int) -> None:
        # N04/N06: a request past MonitoringCtrlr.ItemsPerMessage is refused as a whole.
        limit = self._items_per_message(message)
        if count > limit:
            raise OccurrenceConstraintViolationError(description=f"{count} items, at most {limit} per {message}")

    def _scripted(self, action: str) -> dict[str, Any] | None:
        queue = self.scripted.get(action)
        return queue.pop(0) if queue else None

    # -- N02 GetMonitoringReport

    def _monitor_matches(self, monitor: dict[str, Any], criteria: list[str] | None, component_variable: list[dict[str, Any]] | None) -> bool:
        if criteria and not any(monitor["type"] in CRITERIA_TYPES[c] for c in criteria):
            return False
        if component_variable:
            return any(
                cv["component"]["name"] == monitor["component"]["name"]
                and (cv["component"].get("evse") or {}).get("id") == (monitor["component"].get("evse") or {}).get("id")
                and (cv.get("variable") is None or cv["variable"]["name"] == monitor["variable"]["name"])
                for cv in component_variable
            )
        return True

    @on("GetMonitoringReport")
    def on_get_monitoring_report(self, request_id: int, monitoring_criteria: list[str] | None = None, component_variable: list[dict[str, Any]] | None = None, **kwargs):
        scripted = self._scripted("GetMonitoringReport")
        found = [m for m in self.monitors.values() if self._monitor_matches(m, monitoring_criteria, component_variable)]
        self._report_request = (request_id, found)
        status = scripted["status"] if scripted else ("Accepted" if found else "EmptyResultSet")
        self._report_accepted = status == "Accepted"
        return result201.GetMonitoringReport(status=status)

    @after("GetMonitoringReport")
    def after_get_monitoring_report(self, request_id: int, **kwargs):
        if self._report_accepted:
            self.spawn(self.send_monitoring_report(*self._report_request))

    async def send_monitoring_report(self, request_id: int, monitors: list[dict[str, Any]]) -> None:
        """NotifyMonitoringReport parts, seqNo from 0, tbc until the last (N02.FR.?)."""
        parts = [monitors[i:i + self.monitor_part_size] for i in range(0, len(monitors), self.monitor_part_size)] or [[]]
        generated_at = now_iso()
        for seq_no, part in enumerate(parts):
            data = [
                {
                    "component": m["component"],
                    "variable": m["variable"],
                    "variable_monitoring": [
                        {"id": m["id"], "transaction": m["transaction"], "value": m["value"], "type": m["type"], "severity": m["severity"]}
                    ],
                }
                for m in part
            ]
            await self.request(
                call201.NotifyMonitoringReport(
                    request_id=request_id, seq_no=seq_no, generated_at=generated_at, monitor=data or None, tbc=seq_no < len(parts) - 1
                )
            )

    # -- N04 SetVariableMonitoring

    @on("SetVariableMonitoring")
    def on_set_variable_monitoring(self, set_monitoring_data: list[dict[str, Any]], **kwargs):
        self._check_items("SetVariableMonitoring", len(set_monitoring_data))
        scripted = self._scripted("SetVariableMonitoring")
        results = []
        for data in set_monitoring_data:
            result = {"type": data["type"], "severity": data["severity"], "component": data["component"], "variable": data["variable"]}
            var, problem = self._find(data["component"], data["variable"])
            if scripted:
                result["status"] = scripted["status"]
            elif var is None:
                result["status"] = problem
            elif data.get("id") is not None and data["id"] not in self.monitors:
                result["status"] = "Rejected"
            else:
                monitor_id = data.get("id") if data.get("id") is not None else next(self._monitor_ids)
                self.monitors[monitor_id] = {
                    "id": monitor_id, "component": data["component"], "variable": data["variable"], "type": data["type"],
                    "value": data["value"], "severity": data["severity"], "transaction": bool(data.get("transaction")),
                }
                result.update(status="Accepted", id=monitor_id)
            results.append(result)
        return result201.SetVariableMonitoring(set_monitoring_result=results)

    # -- N06 ClearVariableMonitoring

    @on("ClearVariableMonitoring")
    def on_clear_variable_monitoring(self, id: list[int], **kwargs):
        self._check_items("ClearVariableMonitoring", len(id))
        scripted = self._scripted("ClearVariableMonitoring")
        results = []
        for monitor_id in id:
            if scripted:
                status = scripted["status"]
            elif monitor_id in self.monitors:
                del self.monitors[monitor_id]
                status = "Accepted"
            else:
                status = "NotFound"
            results.append({"status": status, "id": monitor_id})
        return result201.ClearVariableMonitoring(clear_monitoring_result=results)

    # -- N03 SetMonitoringBase, N05 SetMonitoringLevel

    @on("SetMonitoringBase")
    def on_set_monitoring_base(self, monitoring_base: str, **kwargs):
        scripted = self._scripted("SetMonitoringBase")
        if scripted:
            return result201.SetMonitoringBase(status=scripted["status"])
        self.monitoring_base = monitoring_base
        if monitoring_base != "All":
            # N03.FR.04/05: the custom monitors go with FactoryDefault and HardWiredOnly.
            self.monitors.clear()
        return result201.SetMonitoringBase(status="Accepted")

    @on("SetMonitoringLevel")
    def on_set_monitoring_level(self, severity: int, **kwargs):
        scripted = self._scripted("SetMonitoringLevel")
        if scripted:
            return result201.SetMonitoringLevel(status=scripted["status"])
        if not 0 <= severity <= 9:
            return result201.SetMonitoringLevel(status="Rejected")  # N05.FR.02
        self.monitoring_level = severity
        return result201.SetMonitoringLevel(status="Accepted")

    # -- N09/N10 CustomerInformation

    def _customer_key(self, id_token: dict[str, Any] | None, customer_identifier: str | None, customer_certificate: dict[str, Any] | None) -> str:
        if id_token:
            return f"{id_token['type']}:{id_token['id_token']}"
        if customer_identifier:
            return customer_identifier
        return f"certificate:{(customer_certificate or {}).get('serial_number', '')}"

    @on("CustomerInformation")
    def on_customer_information(self, request_id: int, report: bool, clear: bool, id_token=None, customer_identifier=None, customer_certificate=None, **kwargs):
        scripted = self._scripted("CustomerInformation")
        status = scripted["status"] if scripted else "Accepted"
        key = self._customer_key(id_token, customer_identifier, customer_certificate)
        data = self.customer_data.get(key, "") if report else ""
        if status == "Accepted" and clear:
            self.customer_data.pop(key, None)
        self._customer_report = (request_id, data, status == "Accepted")
        return result201.CustomerInformation(status=status)

    @after("CustomerInformation")
    def after_customer_information(self, **kwargs):
        request_id, data, accepted = self._customer_report
        if accepted:
            self.spawn(self.send_customer_information(request_id, data))

    async def send_customer_information(self, request_id: int, data: str) -> None:
        """NotifyCustomerInformation parts of at most 512 characters, seqNo from 0 (N09.FR.04); one
        part, possibly empty, when there is nothing (N10: also after a clear without report)."""
        parts = [data[i:i + CUSTOMER_DATA_PART] for i in range(0, len(data), CUSTOMER_DATA_PART)] or [""]
        generated_at = now_iso()
        for seq_no, part in enumerate(parts):
            await self.request(
                call201.NotifyCustomerInformation(data=part, seq_no=seq_no, generated_at=generated_at, request_id=request_id, tbc=seq_no < len(parts) - 1)
            )
