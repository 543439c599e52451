"""A simulated OCPP 1.6 station: the Core profile's configuration keys and handlers, plus the firmware
update behaviour (simulator.firmware)."""
from __future__ import annotations

from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16

from simulator.base import ChargeResult, ConfigKey, ConnectorState, SimulatedStation, now_iso
from simulator.firmware import FirmwareUpdateMixin
from simulator.logs import LogUploadMixin
from simulator.smartcharging import SmartChargingMixin16
from simulator.reservations import ReservationMixin16


# FirmwareUpdateMixin (simulator.firmware): UpdateFirmware → download, check, install, reboot.
# LogUploadMixin (simulator.logs): GetDiagnostics / GetLog → upload over HTTP, status notifications.
class Station16(ReservationMixin16, SmartChargingMixin16, FirmwareUpdateMixin, LogUploadMixin, SimulatedStation, ChargePoint16):
    ocpp_version = "1.6"
    reset_stop_reason = "SoftReset"

    def default_configuration(self) -> dict[Any, ConfigKey]:
        n = str(len(self.connectors))
        keys = {
            # Core profile (OCPP 1.6 §9.1), with realistic values and access.
            "AllowOfflineTxForUnknownId": ConfigKey("false"),
            "AuthorizationCacheEnabled": ConfigKey("true"),
            "AuthorizeRemoteTxRequests": ConfigKey("false"),
            "ClockAlignedDataInterval": ConfigKey("900"),
            "ConnectionTimeOut": ConfigKey("60"),
            "ConnectorPhaseRotation": ConfigKey(",".join(f"{i}.RST" for i in range(int(n) + 1))),
            "GetConfigurationMaxKeys": ConfigKey("64", readonly=True),
            "HeartbeatInterval": ConfigKey("300"),
            "LocalAuthorizeOffline": ConfigKey("true"),
            "LocalPreAuthorize": ConfigKey("false"),
            "MeterValuesAlignedData": ConfigKey("Energy.Active.Import.Register"),
            "MeterValuesSampledData": ConfigKey("Energy.Active.Import.Register,Power.Active.Import"),
            "MeterValueSampleInterval": ConfigKey("60"),
            "NumberOfConnectors": ConfigKey(n, readonly=True),
            "ResetRetries": ConfigKey("3"),
            "StopTransactionOnEVSideDisconnect": ConfigKey("true"),
            "StopTransactionOnInvalidId": ConfigKey("true"),
            "StopTxnAlignedData": ConfigKey(""),
            "StopTxnSampledData": ConfigKey("Energy.Active.Import.Register"),
            "SupportedFeatureProfiles": ConfigKey("Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger", readonly=True),
            "TransactionMessageAttempts": ConfigKey("3"),
            "TransactionMessageRetryInterval": ConfigKey("60"),
            "UnlockConnectorOnEVSideDisconnect": ConfigKey("true"),
            "WebSocketPingInterval": ConfigKey("60"),
            "LocalAuthListEnabled": ConfigKey("true"),
            "LocalAuthListMaxLength": ConfigKey("1000", readonly=True),
            "SendLocalListMaxLength": ConfigKey("100", readonly=True),
            "ChargeProfileMaxStackLevel": ConfigKey("8", readonly=True),
            "ChargingScheduleAllowedChargingRateUnit": ConfigKey("Current,Power", readonly=True),
            "ChargingScheduleMaxPeriods": ConfigKey("24", readonly=True),
            "MaxChargingProfilesInstalled": ConfigKey("8", readonly=True),
            # Security whitepaper: AuthorizationKey is write-only, so a CSMS reading every key
            # never stores it in clear.
            "SecurityProfile": ConfigKey("1"),
            "AuthorizationKey": ConfigKey(None, writeonly=True),
            "CpoName": ConfigKey("Switch"),
            "Vendor.LedBrightness": ConfigKey("80"),
        }
        return keys

    # -- outgoing

    def boot_payload(self, reason: str) -> Any:
        return call16.BootNotification(
            charge_point_model=self.model,
            charge_point_vendor=self.vendor,
            charge_point_serial_number=self.serial_number,
            firmware_version=self.firmware_version,
        )

    def heartbeat_payload(self) -> Any:
        return call16.Heartbeat()

    async def send_status(self, connector_id: int) -> None:
        if connector_id == 0:
            await self.request(call16.StatusNotification(connector_id=0, error_code="NoError", status="Available", timestamp=now_iso()))
            return
        c = self.connectors[connector_id]
        await self.request(
            call16.StatusNotification(
                connector_id=connector_id, error_code=c.error_code, status=c.status, timestamp=now_iso(), info=c.info,
                vendor_error_code="E-" + c.error_code[:8] if c.error_code != "NoError" else None,
            )
        )

    async def authorize(self, id_tag: str) -> str:
        return (await self.request(call16.Authorize(id_tag=id_tag))).id_tag_info["status"]

    def meter_value(self, connector: ConnectorState, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
        values = [{"value": str(connector.meter_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": context, "location": "Outlet"}]
        if context == "Sample.Periodic":
            values.append({"value": str(round(self.drawn_power_w(connector))), "measurand": "Power.Active.Import", "unit": "W", "context": context, "location": "Outlet"})
        return [{"timestamp": now_iso(), "sampled_value": values}]

    async def send_meter_values(self, connector_id: int = 1) -> None:
        c = self.connectors[connector_id]
        await self.request(call16.MeterValues(connector_id=connector_id, transaction_id=c.transaction_id if isinstance(c.transaction_id, int) else None, meter_value=self.meter_value(c)))

    async def _charge(self, connector: ConnectorState, *, kwh, id_tag, remote_start_id, steps) -> ChargeResult:
        cid = connector.connector_id
        # A remote start skips Authorize unless AuthorizeRemoteTxRequests is true (OCPP 1.6 §5.11).
        if remote_start_id is None or self.config["AuthorizeRemoteTxRequests"].value == "true":
            status = await self.authorize(id_tag)
            if status != "Accepted":
                return ChargeResult(cid, None, connector.meter_wh, connector.meter_wh, status, "DeAuthorized")
        else:
            status = "Accepted"
        connector.status = "Preparing"
        await self.send_status(cid)
        meter_start = connector.meter_wh
        started = await self.request(call16.StartTransaction(connector_id=cid, id_tag=id_tag, meter_start=meter_start, timestamp=now_iso()))
        connector.transaction_id = started.transaction_id
        reason = "Local"
        if started.id_tag_info["status"] != "Accepted":
            reason = "DeAuthorized"
        else:
            connector.status = "Charging"
            await self.send_status(cid)
            step = self.step_wh(kwh, steps)
            target = meter_start + round(kwh * 1000) if kwh is not None else None
            while target is None or connector.meter_wh < target:
                if await self._tick(connector, min(step, target - connector.meter_wh) if target else step):
                    reason = connector.stop_reason or "Local"
                    break
                await self.send_meter_values(cid)
        await self.request(
            call16.StopTransaction(
                meter_stop=connector.meter_wh, timestamp=now_iso(), transaction_id=started.transaction_id, reason=reason,
                id_tag=id_tag if reason == "Local" else None,
                transaction_data=self.meter_value(connector, "Transaction.End"),
            )
        )
        connector.status = "Finishing"
        await self.send_status(cid)
        connector.status = "Available"
        await self.send_status(cid)
        return ChargeResult(cid, started.transaction_id, meter_start, connector.meter_wh, status, reason)

    # -- incoming (CSMS → station)

    @on("GetConfiguration")
    def on_get_configuration(self, key: list[str] | None = None, **kwargs):
        self.record("GetConfiguration", {"key": key})
        wanted = key or [k for k, v in self.config.items() if not v.writeonly]
        known, unknown = [], []
        for name in wanted:
            entry = self.config.get(name)
            if entry is None:
                unknown.append(name)
            elif entry.writeonly:
                # Asked for by name: admit the key exists, never its value.
                known.append({"key": name, "readonly": False})
            else:
                known.append({"key": name, "readonly": entry.readonly, "value": entry.value})
        return result16.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    def on_change_configuration(self, key: str, value: str, **kwargs):
        self.record("ChangeConfiguration", {"key": key, "value": value})
        entry = self.config.get(key)
        if entry is None:
            return result16.ChangeConfiguration(status="NotSupported")
        if entry.readonly:
            return result16.ChangeConfiguration(status="Rejected")
        if key == "AuthorizationKey":
            # Security whitepaper §3.2: the key arrives as hex; its bytes are the Basic password
            # of the next connection.
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                return result16.ChangeConfiguration(status="Rejected")
            if not 16 <= len(raw) <= 20:
                return result16.ChangeConfiguration(status="Rejected")
            self.password = raw
            return result16.ChangeConfiguration(status="Accepted")
        if key in ("HeartbeatInterval", "MeterValueSampleInterval", "ConnectionTimeOut", "WebSocketPingInterval"):
            if not value.isdigit():
                return result16.ChangeConfiguration(status="Rejected")
            if key == "HeartbeatInterval":
                self.heartbeat_interval = self.heartbeat_override or int(value)
        if key == "SecurityProfile":
            return result16.ChangeConfiguration(status="Rejected")
        entry.value = value
        return result16.ChangeConfiguration(status="Accepted")

    @on("Reset")
    def on_reset(self, type: str, **kwargs):
        self.record("Reset", {"type": type})
        self.reset_stop_reason = "HardReset" if type == "Hard" else "SoftReset"
        return result16.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, **kwargs):
        self.spawn(self.reboot())

    @on("UnlockConnector")
    def on_unlock_connector(self, connector_id: int, **kwargs):
        self.record("UnlockConnector", {"connector_id": connector_id})
        if connector_id not in self.connectors:
            return result16.UnlockConnector(status="NotSupported")
        return result16.UnlockConnector(status="Unlocked")

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message: str, connector_id: int | None = None, **kwargs):
        self.record("TriggerMessage", {"requested_message": requested_message, "connector_id": connector_id})
        if requested_message not in self.TRIGGERABLE:
            return result16.TriggerMessage(status="NotImplemented")
        if connector_id is not None and connector_id != 0 and connector_id not in self.connectors:
            return result16.TriggerMessage(status="Rejected")
        return result16.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, requested_message: str, connector_id: int | None = None, **kwargs):
        if requested_message in self.TRIGGERABLE and (connector_id in (None, 0) or connector_id in self.connectors):
            # 1.6 connector 0 is the charge point itself; without a connector, all of them.
            self.send_triggered(requested_message, [connector_id] if connector_id is not None else [0, *self.connectors])

    @on("RemoteStartTransaction")
    def on_remote_start_transaction(self, id_tag: str, connector_id: int | None = None, **kwargs):
        self.record("RemoteStartTransaction", {"id_tag": id_tag, "connector_id": connector_id, **kwargs})
        accepted = self.accept_remote_start(connector_id, id_tag, remote_start_id=1)
        if accepted:
            self.hold_start_profile(connector_id, kwargs.get("charging_profile"))
        return result16.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @after("RemoteStartTransaction")
    def after_remote_start_transaction(self, **kwargs):
        self.begin_remote_start()

    @on("RemoteStopTransaction")
    def on_remote_stop_transaction(self, transaction_id: int, **kwargs):
        self.record("RemoteStopTransaction", {"transaction_id": transaction_id})
        return result16.RemoteStopTransaction(status="Accepted" if self.request_stop(transaction_id) else "Rejected")

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str, **kwargs):
        self.record("ChangeAvailability", {"connector_id": connector_id, "type": type})
        ids = list(self.connectors) if connector_id == 0 else [connector_id]
        return result16.ChangeAvailability(status=self.set_availability(ids, operative=type == "Operative"))

    @on("ClearCache")
    def on_clear_cache(self, **kwargs):
        self.record("ClearCache", {})
        return result16.ClearCache(status="Accepted")

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **kwargs):
        self.record("DataTransfer", {"vendor_id": vendor_id, **kwargs})
        return result16.DataTransfer(status="UnknownVendorId")
