"""Tariffs and cost (OCPP 2.0.1 block I) against the live server, with real websocket stations.

TC_I_01: while a transaction charges, the CSMS sends CostUpdated with the running total cost after
TransactionEvent Updated with periodic meter values. TC_I_02: the answer to TransactionEvent Ended
carries the final totalCost. The stations are the simulator's, on the `ocpp` library's client, which
validates every CALL and CALLRESULT the CSMS sends against the OCA schemas; frames are asserted as
they were on the wire.
"""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from tests.servers import unique_identity, until
from tests.wire_station import WireStation16, WireStation201

pytestmark = pytest.mark.e2e

PRICES = {"currency": "EUR", "start_fee": "1.00", "price_per_kwh": "0.30", "price_per_charging_hour": "0.50",
          "price_per_idle_hour": "2.00", "vat_percent": "20"}


@pytest.fixture(scope="module")
def priced(api) -> dict:
    """A network with a location whose tariff prices every session there; a second location has none."""
    network = api.ensure_network("TARIFFS")["name"]
    depot = api.create_location(network=network, name=unique_identity("Depot"))
    free = api.create_location(network=network, name=unique_identity("Unpriced"))
    tariff = api.post("/api/tariffs/", json_body={"network": network, "name": unique_identity("Depot tariff"),
                                                  "location": depot["id"], **PRICES}, expect=201).json()
    return {"network": network, "depot": depot, "free": free, "tariff": tariff}


def station_at(new_station, priced, location: str, prefix: str):
    return new_station(prefix, network=priced["network"], location=priced[location]["id"])


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def meter(at: datetime, wh: float, w: float) -> list[dict]:
    return [{"timestamp": iso(at), "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}},
        {"value": w, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}},
    ]}]


def event(kind: str, tx: str, seq: int, at: datetime, trigger: str, *, wh: float, w: float, **extra) -> call201.TransactionEvent:
    return call201.TransactionEvent(
        event_type=kind, timestamp=iso(at), trigger_reason=trigger, seq_no=seq,
        transaction_info={"transactionId": tx, **({"stoppedReason": "EVDisconnected"} if kind == "Ended" else {})},
        meter_value=meter(at, wh, w), **extra,
    )


async def test_TC_I_01_and_TC_I_02_running_cost_then_final_total_cost(api, new_station, priced):
    created = station_at(new_station, priced, "depot", "TCI")
    sim = WireStation201(identity=created.identity, password=created.password, url=created.url)
    await sim.connect()
    try:
        await sim.boot()
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        tx = "TCI-" + created.identity[-8:]
        started = await sim.request(event("Started", tx, 0, t0, "Authorized", wh=1000, w=0,
                                          id_token={"idToken": "DRIVER-1", "type": "NoAuthorization"}, evse={"id": 1, "connectorId": 1}))
        # Started carries no meter period: no running cost yet, and no final cost.
        assert started.total_cost is None and sim.calls("CostUpdated") == []

        # TC_I_01: TransactionEvent Updated with periodic meter values → CostUpdated with the running cost.
        await sim.request(event("Updated", tx, 1, t0 + timedelta(minutes=60), "MeterValuePeriodic", wh=11000, w=10000))
        await until(lambda: sim.calls("CostUpdated"), timeout=10, what="CostUpdated from the CSMS")
        [cost_updated] = sim.calls("CostUpdated")
        assert set(cost_updated) == {"totalCost", "transactionId"}
        assert cost_updated["transactionId"] == tx
        # 1.00 start + 10 kWh × 0.30 + 1 h charging × 0.50 + ~1 h idle so far × 2.00, plus 20 % VAT.
        assert cost_updated["totalCost"] == pytest.approx(7.80, abs=0.10)
        # It came after the CSMS answered the Updated event: the answer is the frame before it.
        position = next(i for i, f in enumerate(sim.wire) if f[0] == 2 and f[2] == "CostUpdated")
        assert sim.wire[position - 1][0] == 3

        # A second periodic value within COST_UPDATED_INTERVAL sends no second CostUpdated.
        await sim.request(event("Updated", tx, 2, t0 + timedelta(minutes=90), "MeterValuePeriodic", wh=11000, w=0))
        await asyncio.sleep(0.5)
        assert len(sim.calls("CostUpdated")) == 1

        # TC_I_02: the answer to Ended carries the final total cost.
        ended = await sim.request(event("Ended", tx, 3, t0 + timedelta(minutes=120), "EVCommunicationLost", wh=11000, w=0))
        assert sim.last_result() == {"totalCost": 7.8}
        assert ended.total_cost == 7.8
    finally:
        await sim.disconnect()

    session = api.get("/api/sessions/", params={"station": created.identity}, expect=200).json()["results"][0]
    assert (session["total_cost"], session["cost_currency"]) == ("7.80", "EUR")
    assert {k: session["cost_details"][k] for k in ("start_fee", "energy", "charging_time", "idle_time", "vat", "total")} == {
        "start_fee": "1.00", "energy": "3.00", "charging_time": "0.50", "idle_time": "2.00", "vat": "1.30", "total": "7.80"}
    exported = api.get("/api/sessions/", params={"station": created.identity, "format": "csv"},
                       headers={"Accept": "application/json"}, expect=200)
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (row["total_cost"], row["currency"]) == ("7.80", "EUR")


async def test_without_a_tariff_no_cost_is_sent_or_stored(api, new_station, priced):
    created = station_at(new_station, priced, "free", "TCN")
    sim = WireStation201(identity=created.identity, password=created.password, url=created.url)
    await sim.connect()
    try:
        await sim.boot()
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        tx = "TCN-" + created.identity[-8:]
        await sim.request(event("Started", tx, 0, t0, "CablePluggedIn", wh=0, w=0, evse={"id": 1, "connectorId": 1}))
        await sim.request(event("Updated", tx, 1, t0 + timedelta(minutes=10), "MeterValuePeriodic", wh=1000, w=7000))
        await sim.request(event("Ended", tx, 2, t0 + timedelta(minutes=20), "EVCommunicationLost", wh=2000, w=0))
        # totalCost omitted, never 0.00: 0.00 would tell the driver the charge was free (I03).
        assert "totalCost" not in sim.last_result()
        await asyncio.sleep(0.5)
        assert sim.calls("CostUpdated") == []
    finally:
        await sim.disconnect()
    session = api.get("/api/sessions/", params={"station": created.identity}, expect=200).json()["results"][0]
    assert session["total_cost"] is None and session["energy_kwh"] == 2.0


async def test_a_16_session_is_priced_when_it_stops(api, new_station, priced):
    created = station_at(new_station, priced, "depot", "TC16")
    sim = WireStation16(identity=created.identity, password=created.password, url=created.url)
    await sim.connect()
    try:
        await sim.boot()
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        start = await sim.request(call16.StartTransaction(connector_id=1, id_tag="DRIVER-16", meter_start=0, timestamp=iso(t0)))
        await sim.request(call16.StopTransaction(meter_stop=5000, timestamp=iso(t0 + timedelta(minutes=30)),
                                                 transaction_id=start.transaction_id, reason="EVDisconnected"))
    finally:
        await sim.disconnect()
    session = api.get("/api/sessions/", params={"station": created.identity}, expect=200).json()["results"][0]
    # 1.00 + 5 kWh × 0.30 + 0.5 h × 0.50 (no samples between: all charging) = 2.75, + 20 % = 3.30.
    assert (session["total_cost"], session["cost_currency"]) == ("3.30", "EUR")
