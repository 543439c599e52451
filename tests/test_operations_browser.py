"""Issue 16's console pages in headless Chromium (Debian's /usr/bin/chromium) against the live daphne and
the station simulator, as an operator of network A ("olivia") and one of network B ("bert"):
faults kept when a station goes offline, the station CSV export, unknown stations with "Add this charger",
and creating in another network than the selected one."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.async_api import expect

from simulator import make_station
from tests.servers import ADMIN_PASSWORD, ADMIN_USERNAME, simulated_station, unique_identity
from tests.test_console_browser import browser_page, console, screenshot  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.e2e


async def test_a_fault_stays_a_fact_when_the_station_goes_offline(console):  # noqa: F811
    identity, password = console.new_station("OFF")
    async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url, connectors=2) as sim:
        await sim.fault(1, error_code="GroundFailure", info="Ground fault detected")
        await console.platform.api.station_when(
            identity, lambda s: any(c["faulted"] for e in s["evses"] for c in e["connectors"]), what="the fault stored"
        )
    # The simulator is gone: the station is offline, its last report is kept and said so.
    async with browser_page(console) as page:
        await page.goto(f"/console/stations/{identity}/")
        await expect(page.locator("#station-category")).to_have_text("offline")
        card = page.locator('#equipment [data-label="1/1"]')
        await expect(card.locator(".equipment-status")).to_have_text(
            re.compile(r"^offline \(last: Faulted GroundFailure - Ground fault detected")
        )
        await expect(page.locator('#equipment [data-label="2/2"] .equipment-status')).to_have_text("offline (last: Available)")

        await page.goto("/console/")
        row = page.locator("#offline-faults tr").filter(has=page.locator(f'a[href="/console/stations/{identity}/"]'))
        await expect(row).to_contain_text("offline (last: Faulted GroundFailure")
        await expect(page.locator("#offline-last-faulted")).to_contain_text("last reported a fault")
        await expect(page.locator("#faults")).not_to_contain_text(identity)
        await screenshot(page, "dashboard-offline-faults")

        await page.goto(f"/console/stations/{identity}/")
        await page.click("#tab-faults")
        history = page.locator("#fault-history tbody tr.fault-row")
        await expect(history).to_have_count(1)
        await expect(history.first).to_contain_text("Connector 1")
        await expect(history.first).to_contain_text("GroundFailure")
        await expect(history.first).to_contain_text("(station offline)")
        await screenshot(page, "station-fault-history")

    async with browser_page(console, "bert") as page:
        response = await page.goto(f"/console/stations/{identity}/faults/")
        assert response.status == 404
        await page.goto("/console/")
        await expect(page.locator("body")).not_to_contain_text(identity)


async def test_the_station_list_exports_what_the_filters_show(console):  # noqa: F811
    identity_a, _ = console.new_station("CSVA", network="Console A")
    identity_b, _ = console.new_station("CSVB", network="Console B")
    async with browser_page(console) as page:
        await page.goto("/console/stations/?tab=pending")
        await page.fill('#station-filters input[name="q"]', identity_a)
        await page.click('#station-filters button[type="submit"]')
        await expect(page.locator(f'tr[data-identity="{identity_a}"]')).to_be_visible()
        async with page.expect_download() as info:
            await page.click("#export-stations")
        download = await info.value
        rows = list(csv.DictReader(io.StringIO(open(await download.path(), encoding="utf-8").read())))
        assert [r["identity"] for r in rows] == [identity_a]
        assert rows[0]["network"] == "Console A" and rows[0]["state"] == "pending"
    async with browser_page(console, "bert") as page:
        response = await page.request.get("/console/stations/export.csv?tab=pending")
        text = await response.text()
        assert response.ok and identity_b in text and identity_a not in text


async def test_an_unknown_station_is_listed_and_added_with_one_click(console):  # noqa: F811
    identity = unique_identity("UNK")
    knocking = make_station("1.6", identity=identity, password="AAAAAAAAAAAAAAAAAAAA", url=console.platform.ocpp_url)
    for _ in range(2):
        with pytest.raises(Exception):
            await knocking.connect()
    async with browser_page(console) as page:
        await page.goto("/console/stations/")
        await page.click("#unknown-stations")
        row = page.locator(f'tr.refused-row[data-identity="{identity}"]')
        await expect(row).to_contain_text("127.0.0.1")
        await expect(row.locator("td").nth(2)).to_have_text("2")
        await screenshot(page, "unknown-stations")
        await row.locator("a.add-this").click()
        await expect(page.locator("#id_identity")).to_have_value(identity)
        await page.wait_for_load_state("load")  # pages.js wires the form's buttons once loaded
        await page.select_option("#id_network", label="Console A")
        await page.select_option("#id_location", value=str(console.location_a["id"]))
        await page.click("#generate-password")
        await expect(page.locator("#id_password")).to_have_value(re.compile(r"^.{20}$"))
        generated = await page.input_value("#id_password")
        await page.click("#add-station-form input[type=submit]")
        # The password as typed and its hex form, both: copy it now.
        await expect(page.locator("#password-plain")).to_have_text(generated)
        await expect(page.locator("#password-hex")).to_have_text(generated.encode().hex().upper())
        async with simulated_station("1.6", identity=identity, password=generated, url=console.platform.ocpp_url):
            await expect(page.locator("#wait-state")).to_contain_text("connected", ignore_case=True)
        await page.goto("/console/stations/unknown/")
        await expect(page.locator(f'tr.refused-row[data-identity="{identity}"]')).to_have_count(0)


async def test_creating_in_another_network_than_the_selected_one(console):  # noqa: F811
    name = f"South {unique_identity('L')}"
    async with browser_page(console, ADMIN_USERNAME, ADMIN_PASSWORD) as page:
        await page.goto("/console/locations/")
        async with page.expect_navigation():
            await page.select_option("#network-select", label="Console A")  # submits the selector's form
        # The add form offers only Console A's locations, and narrows to the network picked.
        await page.goto("/console/stations/add/")
        location_options = page.locator("#id_location option[data-network]")
        assert await location_options.count() >= 1
        networks = set(await location_options.evaluate_all("(options) => options.map((o) => o.dataset.network)"))
        assert len(networks) == 1
        await page.select_option("#id_network", label="Console B")
        await expect(page.locator("#id_location option[data-network]:not([disabled])")).to_have_count(0)

        await page.goto("/console/locations/add/")
        await page.select_option("#id_network", label="Console B")
        await page.fill("#id_name", name)
        await page.select_option("#id_country", value="DE")
        await page.click("form.console-form input[type=submit], form input[type=submit] >> nth=-1")
        await expect(page.locator("h1, h2").filter(has_text=name).first).to_be_visible()
        await expect(page.locator("body")).not_to_contain_text("Not Found")
        await expect(page.locator("body")).to_contain_text("the console now shows Console B")
