"""What simulated stations of both OCPP versions share: the websocket, the boot cycle, heartbeats,
charging, and the behaviour the version handlers call (remote start/stop, availability, triggers)."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import math
import ssl as ssl_module
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

import websockets
from ocpp.charge_point import ChargePoint as BaseChargePoint
from websockets.asyncio.client import ClientConnection

logger = logging.getLogger("simulator")

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
        """For wss:// URLs: the default trust store (simulator.certificates trusts the installed CSMS root)."""
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
            connector.meter_wh += self.tick_energy_wh(connector, step_wh)
            return False

    async def _charge(self, connector: ConnectorState, *, kwh, id_tag, remote_start_id, steps) -> ChargeResult:
        raise NotImplementedError

    def drawn_power_w(self, connector: ConnectorState) -> float:
        """The power the connector draws now (simulator.smartcharging lowers it to the profiles' limit)."""
        return self.power_kw * 1000

    def tick_energy_wh(self, connector: ConnectorState, step_wh: int) -> int:
        return step_wh

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
