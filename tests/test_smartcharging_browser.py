"""Smart charging in the operator console, in headless Chromium: the location's limit and live sum, the
station's composite schedule chart, and no Content-Security-Policy violation on either page."""
from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.servers import simulated_station, wait_for
from tests.test_console_browser import browser_page, console  # noqa: F401 (the module's fixture)

pytestmark = pytest.mark.e2e


async def test_the_location_page_shows_the_limit_and_live_sum_and_the_station_page_its_schedule(console):  # noqa: F811
    api = console.platform.api
    location = console.location_a
    await asyncio.to_thread(api.post, "/api/site_limits/", json_body={"location": location["id"], "max_power_kw": 7.4}, expect=201)
    identity, password = console.new_station("SCB")
    async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url, power_kw=11) as station, \
            browser_page(console) as page:
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
        await page.goto(f"/console/locations/{location['id']}/")
        await expect(page.locator("#site-limit-value")).to_have_text("7.4 kW")
        await expect(page.locator("#site-live-sum")).to_contain_text("0 sessions charging")
        station.spawn(station.charge(kwh=None))
        # The balancer turns it down to the site's 7.4 kW; the panel follows without a reload.
        await expect(page.locator("#site-live-sum")).to_contain_text("7.4 kW (100 %), 1 session charging")
        composite = api.post(
            f"/api/charging_stations/{identity}/actions/get_composite_schedule/", json_body={"evse_id": 1, "duration": 900}, expect=(201, 202)
        ).json()
        await asyncio.to_thread(
            wait_for, lambda: api.get(f"/api/commands/{composite['id']}/").json()["final"], timeout=20, what="the composite schedule"
        )
        await page.goto(f"/console/stations/{identity}/")
        await expect(page.locator("#composite-chart")).to_be_visible()
        # One flat step across the whole chart (a horizontal line has no height, so check its points).
        await expect(page.locator("#composite-chart polyline")).to_have_attribute("points", "32.0,32.0 568.0,32.0")
        # 7.4 kW on three phases at 230 V is 10.7 A: the station's composite limit over the 15 minutes.
        await expect(page.locator("#composite-periods td").nth(1)).to_have_text("10.7 A")
        assert violations == []
        station.connectors[1].stop_requested.set()
        await asyncio.sleep(0.5)


async def test_another_networks_site_limit_panel_is_404(console):  # noqa: F811
    async with browser_page(console, username="bert") as page:
        response = await page.goto(f"/smartcharging/locations/{console.location_a['id']}/site-limit/")
        assert response.status == 404
