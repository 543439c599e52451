"""A charging station simulator on the `ocpp` library's client ChargePoint, over `websockets`.

A product feature of its own (`manage.py simulate_station`, this Django app's command) and the
stations of the end-to-end tests and the benchmarks; the gateway never imports it. It behaves like a
well-mannered station:

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

from simulator.base import SUBPROTOCOLS, ChargeResult, SimulatedStation, basic_auth_header, open_websocket
from simulator.firmware import simulated_firmware_image
from simulator.v16 import Station16
from simulator.v201 import Station201

STATION_CLASSES: dict[str, type[SimulatedStation]] = {"1.6": Station16, "2.0.1": Station201}


def make_station(ocpp_version: str = "1.6", **kwargs) -> SimulatedStation:
    """A simulated station of the given OCPP version (keyword arguments as SimulatedStation takes)."""
    try:
        cls = STATION_CLASSES[ocpp_version]
    except KeyError:
        raise ValueError(f"OCPP version must be one of {', '.join(STATION_CLASSES)}") from None
    return cls(**kwargs)


__all__ = [
    "STATION_CLASSES", "SUBPROTOCOLS", "ChargeResult", "SimulatedStation", "Station16", "Station201",
    "basic_auth_header", "make_station", "open_websocket", "simulated_firmware_image",
]
