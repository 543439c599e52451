"""The console's Alerts page in Debian's Chromium: an operator sees their network's rules and
notifications, sends a test alert to a webhook, and another network's operator sees none of it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import expect

from tests.servers import unique_identity
from tests.test_console_browser import browser_page, console, screenshot  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


def receiver() -> tuple[ThreadingHTTPServer, list[dict]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


async def test_an_operator_sends_a_test_alert_and_sees_it_listed(console):  # noqa: F811
    server, received = receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    name = unique_identity("Faults")
    try:
        console.platform.api.post("/api/alert_rules/", json_body={"network": "Console A", "name": name, "kind": "station_faulted",
                                                                  "webhook_url": url}, expect=201)
        async with browser_page(console) as page:
            await page.goto("/console/alerts/")
            row = page.locator("#alert-rules tr", has_text=name)
            await expect(row).to_contain_text("Station faulted")
            await row.get_by_role("button", name="Send a test").click()
            await expect(page.locator(".messagelist")).to_contain_text(f"Test alert sent by Webhook to {url}")
            notification = page.locator("#alerts tr", has_text=f"Test alert from rule '{name}'")
            await expect(notification).to_contain_text("Webhook")
            await expect(notification).to_contain_text("Sent")
            await screenshot(page, "alerts")
        assert [r["title"] for r in received] == [f"Test alert from rule '{name}'"]

        async with browser_page(console, "bert") as page:
            await page.goto("/console/alerts/")
            await expect(page.locator("#alert-rules")).to_be_visible()
            assert await page.locator("#alert-rules tr", has_text=name).count() == 0
            assert await page.locator("#alerts tr", has_text=name).count() == 0
    finally:
        server.shutdown()
