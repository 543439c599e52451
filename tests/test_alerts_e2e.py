"""Alerts end to end: a live platform (serve, embedded beat) watches real stations and delivers
signed webhooks to a receiving server in this test process."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import websockets

from tests.servers import simulated_station, station_password, unique_identity, wait_for

pytestmark = pytest.mark.e2e


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self, secret: str) -> list[dict]:
        """The requests whose signature the rule's secret reproduces."""
        good = []
        for r in self.requests:
            h = r["headers"]
            mac = hmac.new(secret.encode(), h["X-Switch-Timestamp"].encode() + b"." + r["body"], hashlib.sha256).hexdigest()
            if hmac.compare_digest(h["X-Switch-Signature"], "sha256=" + mac):
                good.append(r["json"])
        return good


async def test_a_fault_and_an_unknown_station_reach_the_webhook(make_platform):
    platform = make_platform(env={"ALERTS_EVALUATE_SECONDS": "1"})
    api = platform.api
    receiver = Receiver()
    try:
        network = api.ensure_network("ALERTS")["name"]
        faults = api.post("/api/alert_rules/", json_body={"network": network, "name": "Faults", "kind": "station_faulted",
                                                           "webhook_url": receiver.url}, expect=201).json()
        unknown = api.post("/api/alert_rules/", json_body={"name": "Strangers", "kind": "unknown_station",
                                                            "webhook_url": receiver.url}, expect=201).json()
        identity, password = unique_identity("ALR"), station_password()
        api.create_station(identity=identity, password=password, network=network)

        async with simulated_station("1.6", identity=identity, password=password, url=platform.ocpp_url) as sim:
            await sim.fault(1, error_code="GroundFailure", info="Ground fault detected")
            received = await asyncio.to_thread(
                wait_for, lambda: receiver.verified(faults["webhook_secret"]), timeout=30, interval=0.3, what="the fault webhook"
            )
        [alert] = received
        assert alert["kind"] == "station_faulted" and alert["station"] == identity and alert["network"] == network
        assert alert["title"] == f"{identity} EVSE 1/1: Faulted GroundFailure" and alert["test"] is False

        stranger = unique_identity("STRANGER")
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(platform.ocpp_url + stranger, subprotocols=["ocpp1.6"]):
                pass
        received = await asyncio.to_thread(
            wait_for, lambda: receiver.verified(unknown["webhook_secret"]), timeout=30, interval=0.3, what="the unknown-station webhook"
        )
        assert received[0]["title"] == f"Unknown station {stranger} tried to connect" and received[0]["network"] is None
        # Each alert once: a second evaluation finds nothing new; the console's list and the API show both.
        await asyncio.sleep(2.5)
        assert len(receiver.requests) == 2
        titles = {a["title"] for a in api.get("/api/alerts/", expect=200).json()["results"]}
        assert titles == {alert["title"], received[0]["title"]}
        deliveries = [d for a in api.get("/api/alerts/", expect=200).json()["results"] for d in a["deliveries"]]
        assert [(d["status"], d["response_code"], d["attempts"]) for d in deliveries] == [("sent", 204, 1)] * 2
    finally:
        receiver.server.shutdown()
