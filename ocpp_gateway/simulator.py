"""A charging station simulator on the `ocpp` library's client ChargePoint, over `websockets`.

Used by the end-to-end tests, the benchmark and `manage.py simulate_station` to show the platform
at work. It behaves like a well-mannered station:

- connects to `<url><identity>` with Basic auth (identity:password) and the subprotocol of its version,
- boots, waits while Pending (OCPP 1.6 §4.2 / 2.0.1 B02: no requests of its own unless triggered),
  then heartbeats and reports every connector's status,
- answers configuration reads and writes from a realistic key set (1.6 GetConfiguration /
  ChangeConfiguration; 2.0.1 GetBaseReport → NotifyReport in parts, GetVariables, SetVariables).
  Write-only secrets (1.6 AuthorizationKey, 2.0.1 BasicAuthPassword) are never reported in clear,
  and a new one becomes the password of the next connection,
- Reset reboots it: the socket closes, it reconnects and boots again,
- charges: Authorize, then Start/StopTransaction with MeterValues (1.6) or TransactionEvent
  Started/Updated/Ended (2.0.1), up to a given energy, locally or on a remote start,
- faults a connector on demand (StatusNotification Faulted with an error code; 2.0.1 adds a NotifyEvent).

    station = Station16(identity="CP-1", password="...", url="ws://127.0.0.1:8000/ocpp/")
    await station.connect()
    await station.boot()
    await station.charge(kwh=5)
    await station.disconnect()
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import math
import ssl as ssl_module
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

import websockets
from ocpp.charge_point import ChargePoint as BaseChargePoint
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.asyncio.client import ClientConnection

from certificates.simulation import SecurityProfilesMixin201
from firmware.simulation import FirmwareUpdateMixin

logger = logging.getLogger("ocpp_gateway.simulator")

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def basic_auth_header(username: str, password: str | bytes) -> str:
    """RFC 7617 Basic credentials; OCPP 1.6 security profile 1 passes the AuthorizationKey's bytes."""
    raw = password if isinstance(password, bytes) else password.encode("utf-8")
    return "Basic " + base64.b64encode(username.encode("utf-8") + b":" + raw).decode("ascii")


async def open_websocket(
    url: str,
    *,
    identity: str | None = None,
    password: str | bytes | None = None,
    subprotocols: list[str] | None = None,
    headers: dict[str, str] | None = None,
    open_timeout: float = 10,
    max_size: int | None = 2**22,
    ssl: ssl_module.SSLContext | None = None,
) -> ClientConnection:
    """Open a websocket the way a station does. Raises websockets.InvalidStatus on a refused upgrade
    (e.g. `exc.response.status_code == 403`)."""
    all_headers = dict(headers or {})
    if identity is not None and password is not None:
        all_headers["Authorization"] = basic_auth_header(identity, password)
    return await websockets.connect(
        url,
        subprotocols=subprotocols,
        additional_headers=all_headers,
        open_timeout=open_timeout,
        max_size=max_size,
        # Stations rarely negotiate permessage-deflate; keep frames as sent, as real ones do.
        compression=None,
        ping_interval=None,
        ssl=ssl,
    )


@dataclass
class ConfigKey:
    value: str | None
    readonly: bool = False
    # Write-only keys (secrets) are never reported, only accepted.
    writeonly: bool = False
    data_type: str = "string"


@dataclass
class ConnectorState:
    connector_id: int
    status: str = "Available"
    error_code: str = "NoError"
    info: str | None = None
    meter_wh: int = 0
    transaction_id: int | str | None = None
    session: asyncio.Task | None = None
    stop_reason: str | None = None
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ChargeResult:
    connector_id: int
    transaction_id: int | str | None
    meter_start: int
    meter_stop: int
    authorized: str
    stop_reason: str

    @property
    def energy_kwh(self) -> float:
        return (self.meter_stop - self.meter_start) / 1000


class SimulatedStation:
    """What both protocol versions share: the connection, the boot cycle, heartbeats, charging."""

    ocpp_version: ClassVar[str]
    id: str
    _connection: Any

    def __init__(
        self,
        *,
        identity: str,
        password: str | bytes | None,
        url: str,
        connectors: int = 1,
        vendor: str = "Switch",
        model: str = "SimCharger",
        serial_number: str | None = None,
        firmware_version: str = "1.4.2",
        subprotocols: list[str] | None = None,
        username: str | None = None,
        heartbeat_interval: float | None = None,
        response_timeout: float = 15,
        id_tag: str = "SIMTAG0001",
        power_kw: float = 11.0,
        meter_interval: float = 1.0,
        meter_start_wh: int = 1_250_000,
    ):
        BaseChargePoint.__init__(self, identity, None, response_timeout=response_timeout, logger=logger)
        self.identity = identity
        self.password = password
        self.username = identity if username is None else username
        self.base_url = url if url.endswith("/") else url + "/"
        self.subprotocols = subprotocols if subprotocols is not None else [SUBPROTOCOLS[self.ocpp_version]]
        self.vendor = vendor
        self.model = model
        self.serial_number = serial_number or f"SN-{identity}"[:25]
        self.firmware_version = firmware_version
        self.heartbeat_override = heartbeat_interval
        self.id_tag = id_tag
        self.power_kw = power_kw
        self.meter_interval = meter_interval
        self.connectors = {
            n: ConnectorState(connector_id=n, meter_wh=meter_start_wh + 1000 * n) for n in range(1, connectors + 1)
        }
        self.config: dict[Any, ConfigKey] = self.default_configuration()
        self.websocket: ClientConnection | None = None
        self.subprotocol: str | None = None
        self._reader: asyncio.Task | None = None
        self._heartbeats: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._rebooting = False
        self.boot_status: str | None = None
        self.boot_interval: int = 0
        self.heartbeat_interval: float = 300
        self.boots = 0
        self.connects = 0
        self.accepted = asyncio.Event()
        self.disconnected = asyncio.Event()
        self.rebooted = asyncio.Event()
        # Every request the CSMS sent, in order: (action, payload as the library hands it over).
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.received_event = asyncio.Event()
        self.reports_sent: list[dict[str, Any]] = []
        # CALLERRORs this station sent: a request from the CSMS that failed the OCA schema (the
        # library validates every incoming CALL) or that no handler here takes. Tests assert it stays empty.
        self.errors_sent: list[list[Any]] = []
        self._seq = itertools.count()

    # -- configuration ---------------------------------------------------------------------------

    def default_configuration(self) -> dict[Any, ConfigKey]:
        raise NotImplementedError

    # -- connection ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.base_url + self.identity

    @property
    def is_connected(self) -> bool:
        return self.websocket is not None and self._reader is not None and not self._reader.done()

    def ssl_context(self) -> ssl_module.SSLContext | None:
        """For wss:// URLs: the default trust store (certificates.simulation trusts the installed CSMS root)."""
        return None

    async def connect(self) -> str | None:
        """Open the websocket and start answering the CSMS. Returns the negotiated subprotocol."""
        self.websocket = await open_websocket(
            self.url,
            identity=self.username if self.password is not None else None,
            password=self.password,
            subprotocols=self.subprotocols,
            ssl=self.ssl_context(),
        )
        self._connection = self.websocket
        self.subprotocol = self.websocket.subprotocol
        self.connects += 1
        self.disconnected.clear()
        self._reader = asyncio.create_task(self._read(self.websocket), name=f"{self.identity}-reader")
        return self.subprotocol

    async def _read(self, websocket: ClientConnection) -> None:
        try:
            while True:
                message = await websocket.recv()
                await self.route_message(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            # A reboot closes the socket on purpose and reconnects: not a disconnection to react to.
            if self.websocket is websocket and not self._rebooting:
                self.disconnected.set()

    async def wait_closed(self, timeout: float = 10) -> int | None:
        """Wait until the CSMS closes the socket; return the close code it sent."""
        assert self.websocket is not None
        await asyncio.wait_for(self.disconnected.wait(), timeout)
        return self.websocket.close_code

    async def disconnect(self, code: int = 1000) -> None:
        for task in [self._heartbeats, *self._background]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if self.websocket is not None:
            await self.websocket.close(code)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)
        self.disconnected.set()

    def spawn(self, coro) -> asyncio.Task:
        """Run work that a handler starts after answering (a handler must not await a call itself:
        the answer would arrive on the very loop that is busy running the handler)."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)
        return task

    async def _send(self, message: str) -> None:
        if message.startswith("[4"):
            self.errors_sent.append(json.loads(message))
        await self._connection.send(message)

    async def request(self, payload: Any) -> Any:
        """Send a CALL and return the CALLRESULT; a CALLERROR raises (never a silent None)."""
        return await self.call(payload, suppress=False)

    # -- boot and heartbeat ----------------------------------------------------------------------

    async def boot(self, reason: str = "PowerUp") -> str:
        response = await self.request(self.boot_payload(reason))
        self.boots += 1
        self.boot_status = response.status
        self.boot_interval = response.interval
        if response.status == "Accepted":
            self.heartbeat_interval = self.heartbeat_override or response.interval or 300
            self.accepted.set()
        else:
            self.accepted.clear()
        return response.status

    async def boot_until_accepted(self, *, reason: str = "PowerUp", retry_interval: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Boot; while Pending or Rejected wait the interval the CSMS gave and boot again (OCPP 1.6
        §4.2, 2.0.1 B02.FR.01). A BootNotification the CSMS triggers meanwhile may accept us."""
        while True:
            if await self.boot(reason) == "Accepted":
                return
            wait = retry_interval if retry_interval is not None else max(self.boot_interval, 1)
            waiters = [asyncio.ensure_future(self.accepted.wait())]
            if stop is not None:
                waiters.append(asyncio.ensure_future(stop.wait()))
            done, pending = await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if self.accepted.is_set() or (stop is not None and stop.is_set()):
                return

    def start_heartbeats(self) -> None:
        if self._heartbeats is None or self._heartbeats.done():
            self._heartbeats = asyncio.create_task(self._heartbeat_loop())

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            with contextlib.suppress(asyncio.TimeoutError):
                await self.heartbeat()

    async def heartbeat(self) -> str:
        response = await self.request(self.heartbeat_payload())
        return response.current_time

    async def send_all_status(self) -> None:
        for connector in self.connectors.values():
            await self.send_status(connector.connector_id)

    async def fault(self, connector_id: int = 1, *, error_code: str = "GroundFailure", info: str = "Ground fault detected") -> None:
        connector = self.connectors[connector_id]
        connector.status, connector.error_code, connector.info = "Faulted", error_code, info
        await self.send_status(connector_id)

    async def clear_fault(self, connector_id: int = 1) -> None:
        connector = self.connectors[connector_id]
        connector.status, connector.error_code, connector.info = "Available", "NoError", None
        await self.send_status(connector_id)

    async def reboot(self, reason: str = "RemoteReset", delay: float = 0.2) -> None:
        """What a station does on Reset: end its sessions, drop the socket, come back and boot."""
        self.rebooted.clear()
        self._rebooting = True
        try:
            await self._reboot(reason, delay)
        finally:
            self._rebooting = False
        self.rebooted.set()

    async def _reboot(self, reason: str, delay: float) -> None:
        for connector in self.connectors.values():
            if connector.session is not None and not connector.session.done():
                connector.stop_reason = self.reset_stop_reason
                connector.stop_requested.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(connector.session), 10)
        # Whatever else was in flight (a report being sent, a triggered message) dies with the power:
        # left running, it would hold the call lock waiting for an answer that never comes.
        for task in [self._heartbeats, *self._background]:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        if self.websocket is not None:
            await self.websocket.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        await asyncio.sleep(delay)
        await self.connect()
        await self.boot_until_accepted(reason=reason)
        await self.send_all_status()
        self.start_heartbeats()

    reset_stop_reason = "SoftReset"
    reconnect_delay = 5.0

    async def _charge_and_log(self, kwh: float) -> None:
        result = await self.charge(kwh=kwh)
        logger.info(
            "%s: session on connector %s ended (%s): %.3f kWh, transaction %s",
            self.identity, result.connector_id, result.stop_reason, result.energy_kwh, result.transaction_id,
        )

    # -- lifecycle for the command line ----------------------------------------------------------

    async def run(self, *, stop: asyncio.Event, charge_kwh: float | None = None) -> None:
        """Connect, boot until accepted, report status, heartbeat, optionally charge; until `stop`.
        A lost connection is retried every `reconnect_delay` seconds, as stations do."""
        charged = False
        while not stop.is_set():
            try:
                await self.connect()
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as exc:
                logger.warning("%s: cannot connect to %s: %s", self.identity, self.url, exc)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.reconnect_delay)
                continue
            logger.info("%s: connected to %s (%s)", self.identity, self.url, self.subprotocol)
            try:
                await self.boot_until_accepted(stop=stop)
                if stop.is_set():
                    break
                logger.info("%s: boot accepted, heartbeat every %ss", self.identity, self.heartbeat_interval)
                await self.send_all_status()
                self.start_heartbeats()
                if charge_kwh and not charged:
                    charged = True
                    self.spawn(self._charge_and_log(charge_kwh))
            except (websockets.ConnectionClosed, asyncio.TimeoutError) as exc:
                logger.warning("%s: connection lost during boot: %r", self.identity, exc)
            stopper = asyncio.ensure_future(stop.wait())
            closed = asyncio.ensure_future(self.disconnected.wait())
            await asyncio.wait([stopper, closed], return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            closed.cancel()
            if not stop.is_set():
                logger.warning("%s: connection closed (code %s); reconnecting in %ss", self.identity, self.websocket.close_code if self.websocket else None, self.reconnect_delay)
                if self._heartbeats is not None:
                    self._heartbeats.cancel()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.reconnect_delay)
        for connector in self.connectors.values():
            if connector.session is not None and not connector.session.done() and self.is_connected:
                connector.stop_reason = "Local"
                connector.stop_requested.set()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(connector.session), 10)
        await self.disconnect()

    # -- charging ----------------------------------------------------------------------------------

    async def charge(
        self,
        *,
        kwh: float | None = None,
        connector_id: int = 1,
        id_tag: str | None = None,
        remote_start_id: int | None = None,
        meter_values: int = 5,
    ) -> ChargeResult:
        """Run a session on a connector until `kwh` were delivered (in `meter_values` steps, one per
        `meter_interval` seconds) or a stop is requested (remote stop, reset). Without `kwh` it charges
        until stopped."""
        connector = self.connectors[connector_id]
        connector.stop_requested.clear()
        connector.stop_reason = None
        connector.session = asyncio.current_task()
        try:
            return await self._charge(connector, kwh=kwh, id_tag=id_tag or self.id_tag, remote_start_id=remote_start_id, steps=meter_values)
        finally:
            connector.transaction_id = None

    async def _tick(self, connector: ConnectorState, step_wh: int) -> bool:
        """Wait one meter interval; return True if a stop was requested meanwhile."""
        try:
            await asyncio.wait_for(connector.stop_requested.wait(), self.meter_interval)
            return True
        except asyncio.TimeoutError:
            connector.meter_wh += step_wh
            return False

    async def _charge(self, connector: ConnectorState, *, kwh, id_tag, remote_start_id, steps) -> ChargeResult:
        raise NotImplementedError

    def step_wh(self, kwh: float | None, steps: int) -> int:
        if kwh is None:
            return max(1, round(self.power_kw * 1000 * self.meter_interval / 3600))
        return max(1, math.ceil(kwh * 1000 / max(steps, 1)))

    # -- version-specific payloads ------------------------------------------------------------------

    def boot_payload(self, reason: str) -> Any:
        raise NotImplementedError

    def heartbeat_payload(self) -> Any:
        raise NotImplementedError

    async def send_status(self, connector_id: int) -> None:
        raise NotImplementedError

    # -- behaviour both versions share, called by their handlers -----------------------------------

    TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues")
    remote_kwh: float | None = None  # energy a remotely started session delivers; None: until stopped
    _remote_start: tuple[int, str, int] | None = None

    def send_triggered(self, requested_message: str, connector_ids: list[int]) -> None:
        """After answering TriggerMessage Accepted: send what was asked for (1.6 §5.17, 2.0.1 F06)."""

        async def send() -> None:
            if requested_message == "BootNotification":
                await self.boot("Triggered")
                if self.accepted.is_set():
                    self.start_heartbeats()
            elif requested_message == "Heartbeat":
                await self.heartbeat()
            elif requested_message == "StatusNotification":
                await self._send_statuses(connector_ids)
            elif requested_message == "MeterValues":
                for cid in connector_ids:
                    if cid in self.connectors:
                        await self.send_meter_values(cid)

        self.spawn(send())

    def accept_remote_start(self, connector_id: int | None, id_tag: str, remote_start_id: int) -> bool:
        """Whether a remote start can be accepted; if so it starts once the answer is sent."""
        cid = connector_id or next((c.connector_id for c in self.connectors.values() if c.status == "Available"), None)
        # Not while Pending (1.6 §4.2, 2.0.1 B02.FR.05), and only on a free connector.
        if not self.accepted.is_set() or cid not in self.connectors or self.connectors[cid].status != "Available":
            return False
        self._remote_start = (cid, id_tag, remote_start_id)
        return True

    def begin_remote_start(self) -> None:
        if self._remote_start is not None:
            cid, id_tag, remote_start_id = self._remote_start
            self._remote_start = None
            self.connectors[cid].session = self.spawn(
                self.charge(connector_id=cid, id_tag=id_tag, remote_start_id=remote_start_id, kwh=self.remote_kwh)
            )

    def request_stop(self, transaction_id: int | str) -> bool:
        for connector in self.connectors.values():
            if connector.transaction_id == transaction_id:
                connector.stop_reason = "Remote"
                connector.stop_requested.set()
                return True
        return False

    def set_availability(self, connector_ids: list[int], *, operative: bool) -> str:
        """ChangeAvailability: Accepted (status reported at once), Scheduled during a transaction, or Rejected."""
        if any(i not in self.connectors for i in connector_ids):
            return "Rejected"
        if any(self.connectors[i].transaction_id is not None for i in connector_ids):
            # 1.6 §5.2 / 2.0.1 G03.FR.05: the change waits for the transaction's end.
            return "Scheduled"
        for i in connector_ids:
            if self.connectors[i].status != "Faulted":
                self.connectors[i].status = "Available" if operative else "Unavailable"
        self.spawn(self._send_statuses(connector_ids))
        return "Accepted"

    async def _send_statuses(self, connector_ids: list[int]) -> None:
        for cid in connector_ids:
            await self.send_status(cid)

    def record(self, action: str, payload: dict[str, Any]) -> None:
        self.received.append((action, payload))
        self.received_event.set()

    async def wait_for_request(self, action: str, *, timeout: float = 10, count: int = 1) -> dict[str, Any]:
        """Wait until the CSMS has sent `count` requests of `action`; return the last one's payload."""
        async def seen() -> dict[str, Any]:
            while True:
                matching = [p for a, p in self.received if a == action]
                if len(matching) >= count:
                    return matching[-1]
                self.received_event.clear()
                await self.received_event.wait()

        return await asyncio.wait_for(seen(), timeout)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("simulator task failed: %r", task.exception())


# ============================================================================================
# OCPP 1.6
# ============================================================================================


# FirmwareUpdateMixin (firmware app, issue 6): UpdateFirmware → download, check, install, reboot.
class Station16(FirmwareUpdateMixin, SimulatedStation, ChargePoint16):
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
            values.append({"value": str(round(self.power_kw * 1000)), "measurand": "Power.Active.Import", "unit": "W", "context": context, "location": "Outlet"})
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


# ============================================================================================
# OCPP 2.0.1
# ============================================================================================


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


# SecurityProfilesMixin201 (certificates app, issue 7): network profiles, TLS, certificates.
class Station201(SecurityProfilesMixin201, FirmwareUpdateMixin, SimulatedStation, ChargePoint201):
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
            values.append({"value": round(self.power_kw * 1000), "measurand": "Power.Active.Import", "context": context, "location": "Outlet", "unit_of_measure": {"unit": "W"}})
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

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, transaction_id: str | None = None, **kwargs):
        self.record("GetTransactionStatus", {"transaction_id": transaction_id})
        ongoing = any(c.transaction_id == transaction_id for c in self.connectors.values()) if transaction_id else None
        return result201.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **kwargs):
        self.record("DataTransfer", {"vendor_id": vendor_id, **kwargs})
        return result201.DataTransfer(status="UnknownVendorId")


STATION_CLASSES: dict[str, type[SimulatedStation]] = {"1.6": Station16, "2.0.1": Station201}


def make_station(ocpp_version: str = "1.6", **kwargs) -> SimulatedStation:
    """A simulated station of the given OCPP version (keyword arguments as SimulatedStation takes)."""
    try:
        cls = STATION_CLASSES[ocpp_version]
    except KeyError:
        raise ValueError(f"OCPP version must be one of {', '.join(STATION_CLASSES)}") from None
    return cls(**kwargs)
