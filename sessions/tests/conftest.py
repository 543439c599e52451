"""Payloads built and serialised the way the `ocpp` library does on the wire, then handed to the
services the way the gateway's handlers hand them: through the bounded builders of
sessions.readings, and MeterValues through the write buffer's batch writer (what its flusher runs)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.messages import Call, _validate_payload

from ocpp_gateway.write_buffer import write_reports
from sessions import readings, services
from sessions.models import Session

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# The platform's clock in these tests: readings are checked against it (stations.bounds).
NOW = T0 + timedelta(days=1)


def record_meter_values(station, *, evse_id: int, meter_value: list[dict], transaction_id=None, version="1.6") -> None:
    """A MeterValues as the gateway handles it: a bounded MeterReport, written by the batch writer."""
    report = readings.meter_report(
        station=station,
        ocpp_version=version,
        evse_id=evse_id,
        transaction_id=transaction_id,
        meter_value=meter_value,
        now=NOW,
    )
    write_reports([report])


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def wire(request_payload, version: str) -> dict:
    """The JSON object a station built with the ocpp library sends: camelCase, no nulls, schema-valid."""
    call = Call(
        unique_id="1",
        action=request_payload.__class__.__name__,
        payload=remove_nones(snake_to_camel_case(serialize_as_dict(request_payload))),
    )
    _validate_payload(call, version)
    return json.loads(call.to_json())[3]


def sampled_v16(*, wh=None, w=None, a=None, soc=None, context="Sample.Periodic", phases=False) -> list[dict]:
    values = []
    if wh is not None:
        values.append({"value": str(wh), "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"})
    if w is not None:
        values.append({"value": str(w), "context": context, "measurand": "Power.Active.Import", "unit": "W"})
    if a is not None:
        if phases:
            values += [
                {"value": str(a + i), "context": context, "measurand": "Current.Import", "unit": "A", "phase": p}
                for i, p in enumerate(["L1", "L2", "L3"])
            ]
        else:
            values.append({"value": str(a), "context": context, "measurand": "Current.Import", "unit": "A"})
    if soc is not None:
        values.append({"value": str(soc), "context": context, "measurand": "SoC", "unit": "Percent", "location": "EV"})
    return values


@dataclass
class StationV16:
    """What the 1.6 handlers in ocpp_gateway/v16.py do with a station's requests."""

    station: object

    def start(self, *, connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=None):
        from ocpp.v16 import call

        payload = wire(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, timestamp=timestamp or at(0)
            ),
            "1.6",
        )
        report = readings.start_transaction_report(
            connector_id=payload["connectorId"],
            id_tag=payload["idTag"],
            meter_start=payload["meterStart"],
            timestamp=payload["timestamp"],
            now=NOW,
        )
        return services.transaction_start_v16(station=self.station, report=report)

    def meter(self, *, transaction_id, timestamp, connector_id=1, **values):
        from ocpp.v16 import call

        payload = wire(
            call.MeterValues(
                connector_id=connector_id,
                transaction_id=transaction_id,
                meter_value=[{"timestamp": timestamp, "sampled_value": sampled_v16(**values)}],
            ),
            "1.6",
        )
        record_meter_values(
            self.station,
            evse_id=payload["connectorId"],
            transaction_id=payload.get("transactionId"),
            meter_value=payload["meterValue"],
        )
        return payload

    def stop(self, *, transaction_id, meter_stop, timestamp, reason=None, id_tag=None, transaction_data=None):
        from ocpp.v16 import call

        payload = wire(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=timestamp,
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=transaction_data,
            ),
            "1.6",
        )
        report = readings.stop_transaction_report(
            transaction_id=payload["transactionId"],
            meter_stop=payload["meterStop"],
            timestamp=payload["timestamp"],
            reason=payload.get("reason"),
            id_tag=payload.get("idTag"),
            transaction_data=payload.get("transactionData"),
            now=NOW,
        )
        return services.transaction_stop_v16(station=self.station, report=report)


def meter_value_v201(timestamp: str, *, wh=None, kw=None, soc=None, context="Sample.Periodic") -> dict:
    values = []
    if wh is not None:
        values.append({"value": wh, "context": context, "measurand": "Energy.Active.Import.Register"})
    if kw is not None:
        # kW written as W with multiplier 3, as 2.0.1 UnitOfMeasureType allows.
        values.append(
            {"value": kw, "context": context, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}}
        )
    if soc is not None:
        values.append({"value": soc, "context": context, "measurand": "SoC", "unitOfMeasure": {"unit": "Percent"}})
    return {"timestamp": timestamp, "sampledValue": values}


@dataclass
class StationV201:
    station: object

    def event(
        self,
        event_type: str,
        *,
        tx="TX-1",
        seq_no: int,
        minutes: float,
        trigger="MeterValuePeriodic",
        id_token=None,
        evse=True,
        stopped_reason=None,
        offline=None,
        meter_value=None,
        charging_state=None,
    ):
        from ocpp.v201 import call

        info = {"transactionId": tx}
        if stopped_reason:
            info["stoppedReason"] = stopped_reason
        if charging_state:
            info["chargingState"] = charging_state
        body = {
            "eventType": event_type,
            "timestamp": at(minutes),
            "triggerReason": trigger,
            "seqNo": seq_no,
            "transactionInfo": info,
        }
        if id_token:
            body["idToken"] = {"idToken": id_token, "type": "ISO14443"}
        if evse:
            body["evse"] = {"id": 1, "connectorId": 1}
        if offline is not None:
            body["offline"] = offline
        if meter_value:
            body["meterValue"] = meter_value
        # Through the library's dataclass and back, so the payload is exactly what it would send.
        from ocpp.charge_point import camel_to_snake_case

        payload = wire(call.TransactionEvent(**camel_to_snake_case(body)), "2.0.1")
        return transaction_event(self.station, payload)


def transaction_event(station, payload: dict):
    """A TransactionEvent as the gateway handles it: a bounded report, then the service."""
    report = readings.transaction_event_report(payload=payload, now=NOW)
    return services.transaction_event_v201(station=station, report=report)


@pytest.fixture
def v16(station_a) -> StationV16:
    return StationV16(station_a)


@pytest.fixture
def v201(station_a) -> StationV201:
    return StationV201(station_a)


def only_session(**lookup) -> Session:
    sessions = list(Session.objects.filter(**lookup))
    assert len(sessions) == 1, sessions
    return sessions[0]


def make_session(station, *, minutes: float = 0, tx: str | None = None, **fields) -> Session:
    started = T0 + timedelta(minutes=minutes)
    values = {
        "network": station.network,
        "location": station.location,
        "station": station,
        "ocpp_version": "1.6",
        "transaction_id": tx or f"{station.identity}-{minutes}",
        "evse_id": 1,
        "connector_id": 1,
        "id_token": "TAG-1",
        "status": "completed",
        "started_at": started,
        "ended_at": started + timedelta(minutes=30),
        "energy_wh": 7500.0,
        "peak_power_w": 11000.0,
        "stop_reason": "EVDisconnected",
    }
    values.update(fields)
    return Session.objects.create(**values)


@pytest.fixture
def sessions_ab(station_a, station_b) -> dict[str, Session]:
    """Three sessions in network A on different days and one in network B."""
    return {
        "a_day1": make_session(station_a, minutes=0, id_token="ALICE"),
        "a_day2": make_session(station_a, minutes=24 * 60, id_token="BOB", energy_wh=1234.0),
        "a_active": make_session(station_a, minutes=48 * 60, id_token="ALICE", status="active", ended_at=None),
        "b_day1": make_session(station_b, minutes=0, id_token="ALICE"),
    }
