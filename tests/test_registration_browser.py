"""The registration switch as an operator uses it: the console in Chromium, a scripted 2.0.1 station.

The operator turns "answer Pending at the next boot" on from the station page, the station's boot is
answered Pending with the interval typed in; the operator turns it off and asks for a boot now, and
the station's triggered boot is Accepted (TC_B_31 from the console).
"""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.scripted_station import ScriptedStation
from tests.test_console_browser import browser_page, console, screenshot  # noqa: F401 - `console` is a fixture

pytestmark = pytest.mark.e2e

BOOT = {"reason": "PowerUp", "chargingStation": {"vendorName": "E2E", "model": "Console"}}


async def test_an_operator_holds_a_station_in_pending_and_lets_it_in_from_the_station_page(console):  # noqa: F811
    identity, password = console.new_station("REG")
    async with browser_page(console) as page:
        await page.goto(f"/console/stations/{identity}/")
        await expect(page.locator("#registration-state")).to_contain_text("answered Accepted")
        await page.check("#registration-form input[name=boot_pending]")
        await page.fill("#boot-pending-interval", "9")
        await page.click("#registration-form input[type=submit]")
        await expect(page.locator("#registration-state")).to_contain_text("answered Pending (the station retries after 9 s)")
        await screenshot(page, "station-registration-pending")

        station = await ScriptedStation.open(console.platform.ocpp_url, identity, password, "2.0.1")
        try:
            boot = await station.call("BootNotification", BOOT)
            assert (boot[2]["status"], boot[2]["interval"]) == ("Pending", 9)
            read = await station.expect_call("GetBaseReport")
            await station.reply(read, {"status": "Accepted"})

            await page.uncheck("#registration-form input[name=boot_pending]")
            await page.check("#registration-form input[name=trigger_boot]")
            await page.click("#registration-form input[type=submit]")
            trigger = await station.expect_call("TriggerMessage")
            assert trigger[3] == {"requestedMessage": "BootNotification"}
            await station.reply(trigger, {"status": "Accepted"})
            boot = await station.call("BootNotification", {**BOOT, "reason": "Triggered"})
            assert boot[2]["status"] == "Accepted"
            read = await station.expect_call("GetBaseReport")
            await station.reply(read, {"status": "Accepted"})

            # The console took the operator to the Commands tab, where the trigger shows as accepted.
            await expect(page).to_have_url(f"{console.url}/console/stations/{identity}/commands/")
            await page.reload()
            row = page.locator("tr", has_text="Trigger message").first
            await expect(row).to_contain_text("Accepted")
            await page.goto(f"/console/stations/{identity}/")
            await expect(page.locator("#registration-state")).to_contain_text("answered Accepted")
        finally:
            await station.close()
