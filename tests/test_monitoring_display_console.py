"""The N and O actions in the operator console, in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright): the Actions menu's dialogs send what the operator typed and ticked, and the station's
maintenance tab shows the monitors, customer information and display messages the station holds.
Screenshots land in screenshots/ (gitignored)."""
from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.recording_station import recording_station
from tests.servers import ADMIN_PASSWORD, ADMIN_USERNAME, REPO_ROOT
from tests.test_console_browser import sign_in

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
UI_TIMEOUT = 20_000


@contextlib.asynccontextmanager
async def console_page(platform) -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900}, base_url=platform.http_url)
            await context.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"), lambda route: route.fulfill(status=204))
            page = await context.new_page()
            page.set_default_timeout(UI_TIMEOUT)
            await sign_in(page, ADMIN_USERNAME, ADMIN_PASSWORD)
            yield page
        finally:
            await browser.close()


async def open_action(page: Page, label: str, name: str) -> None:
    if not await page.locator("#actions-menu").evaluate("menu => menu.open"):
        await page.click("#actions-menu summary")
    await page.click(f"text={label}…")
    await expect(page.locator(f"#dlg-action-{name}")).to_be_visible()


async def test_an_operator_sets_monitors_reads_them_and_sets_a_display_message_in_the_console(platform, new_station):
    async with recording_station(new_station, prefix="CON") as sim:
        async with console_page(platform) as page:
            await page.goto(f"/console/stations/{sim.identity}/maintenance/")
            await expect(page.locator("#variable-monitors")).to_contain_text("No monitors known")
            (REPO_ROOT / "screenshots").mkdir(exist_ok=True)

            await open_action(page, "Set variable monitoring", "set_variable_monitoring")
            await page.fill("#action-set_variable_monitoring-monitors", "EVSE@1.AvailabilityState Delta 1 severity=8\nEVSE@1.Power UpperThreshold 11000 severity=4")
            await page.click("#dlg-action-set_variable_monitoring input[type=submit]")
            (request,) = await sim.wait_sent("SetVariableMonitoring", timeout=15)
            assert request == {
                "setMonitoringData": [
                    {"value": 1, "type": "Delta", "severity": 8, "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}},
                    {"value": 11000, "type": "UpperThreshold", "severity": 4, "component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}},
                ]
            }
            await expect(page.locator("#action-result")).to_contain_text("Accepted")

            await open_action(page, "Get monitoring report", "get_monitoring_report")
            await page.check("#action-get_monitoring_report-monitoring_criteria_0")  # ThresholdMonitoring
            await page.check("#action-get_monitoring_report-monitoring_criteria_1")  # DeltaMonitoring
            await page.click("#dlg-action-get_monitoring_report input[type=submit]")
            (report,) = await sim.wait_sent("GetMonitoringReport", timeout=15)
            assert report["monitoringCriteria"] == ["ThresholdMonitoring", "DeltaMonitoring"] and "componentVariable" not in report

            await open_action(page, "Set display message", "set_display_message")
            await page.select_option("#action-set_display_message-priority", value="InFront")
            await page.fill("#action-set_display_message-content", "Welkom bij Switch")
            await page.click("#dlg-action-set_display_message input[type=submit]")
            (display,) = await sim.wait_sent("SetDisplayMessage", timeout=15)
            assert display == {"message": {"id": 1, "priority": "InFront", "message": {"format": "UTF8", "content": "Welkom bij Switch"}}}
            await expect(page.locator("#action-result")).to_contain_text("Accepted")

            # A typing slip gets its field error, and nothing is sent.
            await open_action(page, "Set variable monitoring", "set_variable_monitoring")
            await page.fill("#action-set_variable_monitoring-monitors", "EVSE@1.Power Upper 11000")
            await page.click("#dlg-action-set_variable_monitoring input[type=submit]")
            await expect(page.locator("#action-result")).to_contain_text("type must be one of")
            assert len(sim.sent("SetVariableMonitoring")) == 1

            # Customer information: tick report, name the customer by an id token.
            sim.customer_data["ISO14443:04E91C5A"] = "Sessions: 2026-11-02 8.1 kWh"
            await open_action(page, "Customer information", "customer_information")
            await page.check("#action-customer_information-report")
            await page.fill("#action-customer_information-id_token", "04E91C5A")
            await page.select_option("#action-customer_information-id_token_type", value="ISO14443")
            await page.screenshot(path=str(REPO_ROOT / "screenshots" / "customer-information-dialog.png"))
            await page.click("#dlg-action-customer_information input[type=submit]")
            (customer,) = await sim.wait_sent("CustomerInformation", timeout=15)
            assert customer == {"requestId": customer["requestId"], "report": True, "clear": False, "idToken": {"idToken": "04E91C5A", "type": "ISO14443"}}

            await page.goto(f"/console/stations/{sim.identity}/maintenance/")
            await expect(page.locator(f'#customer-information tr[data-request-id="{customer["requestId"]}"]')).to_contain_text("Sessions: 2026-11-02 8.1 kWh")
            monitors = page.locator("#variable-monitors tbody tr")
            await expect(monitors).to_have_count(2)
            await expect(monitors.nth(1)).to_contain_text("UpperThreshold")
            await expect(monitors.nth(1)).to_contain_text("11000")
            await expect(page.locator("#display-messages")).to_contain_text("Welkom bij Switch")
            await page.locator("#variable-monitors").scroll_into_view_if_needed()
            await page.screenshot(path=str(REPO_ROOT / "screenshots" / "station-monitors-display.png"), full_page=True)


async def test_a_newer_actions_result_is_not_overwritten_by_an_earlier_command_still_running(platform, new_station):
    from tests.raw_station import RawStation

    created = new_station("SLOW")
    raw = await RawStation.open(created.url, created.identity, created.password, "2.0.1")
    try:
        await raw.boot()  # from here on the station answers nothing: the next command keeps running
        async with console_page(platform) as page:
            await page.goto(f"/console/stations/{created.identity}/maintenance/")
            await open_action(page, "Set display message", "set_display_message")
            await page.select_option("#action-set_display_message-priority", value="InFront")
            await page.fill("#action-set_display_message-content", "Welkom")
            await page.click("#dlg-action-set_display_message input[type=submit]")
            await expect(page.locator("#action-result")).to_contain_text("Set display message")
            await open_action(page, "Set variable monitoring", "set_variable_monitoring")
            await page.fill("#action-set_variable_monitoring-monitors", "EVSE@1.Power Upper 11000")
            await page.click("#dlg-action-set_variable_monitoring input[type=submit]")
            await expect(page.locator("#action-result")).to_contain_text("type must be one of")
            # The earlier command is followed every second; it must not take the box back.
            await page.wait_for_timeout(2500)
            await expect(page.locator("#action-result")).to_contain_text("type must be one of")
    finally:
        await raw.close()
