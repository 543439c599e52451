"""The operator console in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a
live daphne and the station simulator: what an operator clicks and sees, end to end.

Screenshots of the main pages land in screenshots/ (gitignored) as the tests go.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.servers import ADMIN_PASSWORD, ADMIN_USERNAME, REPO_ROOT, Platform, simulated_station, station_password, unique_identity

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "screenshots"
# Playwright's waits: long enough for a page's 5-10 s refresh plus a station's round trip.
UI_TIMEOUT = 20_000
expect.set_options(timeout=UI_TIMEOUT)

USERS_SCRIPT = """
from networks.models import Membership, Network, User
for network_name, username in [("Console A", "olivia"), ("Console B", "bert")]:
    network, _ = Network.objects.get_or_create(name=network_name)
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password("pw-" + username + "-console")
        user.save()
    Membership.objects.get_or_create(user=user, network=network, defaults={"role": "operator"})
"""


@dataclass
class Console:
    platform: Platform
    location_a: dict
    location_b: dict

    @property
    def url(self) -> str:
        return self.platform.http_url

    def new_station(self, prefix: str, *, network: str = "Console A", location: dict | None = None) -> tuple[str, str]:
        identity, password = unique_identity(prefix), station_password()
        location = location or (self.location_a if network == "Console A" else self.location_b)
        self.platform.api.create_station(identity=identity, password=password, network=network, location=location["id"])
        return identity, password


@pytest.fixture(scope="module")
def console(platform) -> Console:
    platform.manage("shell", "-c", USERS_SCRIPT)
    api = platform.api
    suffix = unique_identity("loc")
    location_a = api.create_location(network="Console A", name=f"Depot {suffix}", country="NL", latitude="52.090000", longitude="5.120000")
    location_b = api.create_location(network="Console B", name=f"Yard {suffix}", country="DE", latitude="52.520000", longitude="13.400000")
    return Console(platform=platform, location_a=location_a, location_b=location_b)


async def sign_in(page: Page, username: str, password: str) -> None:
    """The console's sign-in form, as a person fills it; returns on the dashboard."""
    await page.goto("/console/")
    await page.fill("#id_username", username)
    await page.fill("#id_password", password)
    await page.click("input[type=submit]")
    await page.wait_for_url(re.compile(r"/console/$"))


@contextlib.asynccontextmanager
async def browser_page(console: Console, username: str = "olivia", password: str | None = None) -> AsyncIterator[Page]:
    """A logged-in page in Debian's Chromium; never a downloaded browser."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900}, base_url=console.url)
            # Map tiles would come from the internet: answer them empty, the map still draws its pins.
            await context.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"), lambda route: route.fulfill(status=204))
            page = await context.new_page()
            page.set_default_timeout(UI_TIMEOUT)
            await page.goto("/console/")
            assert "/admin/login/" in page.url
            await sign_in(page, username, password or f"pw-{username}-console")
            yield page
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_onboarding_a_station_until_it_shows_onboarded(console):
    identity, password = unique_identity("ONB"), station_password()
    async with browser_page(console) as page:
        await page.goto("/console/stations/")
        await page.click("#add-charger")
        await page.select_option("#id_network", label="Console A")
        # A new location, created on the way.
        await page.select_option("#id_location", value="")
        await page.fill("#id_new_location_name", f"Garage {identity}")
        await page.select_option("#id_new_location_country", value="NL")
        await page.fill("#id_name", "Garage charger")
        await page.fill("#id_identity", identity)
        await page.fill("#id_password", password)
        await page.click("#add-station-form input[type=submit]")

        await expect(page.locator("#connection-url")).to_have_text(console.platform.ocpp_url + identity)
        await expect(page.locator("#password-hex")).to_have_text(password.encode().hex().upper())
        await expect(page.locator("#ws-note")).to_contain_text("ws://")
        await expect(page.locator("#wait-state")).to_contain_text("Waiting for")

        # A first attempt with a wrong password fails; the page says why.
        with pytest.raises(Exception, match="401"):
            async with simulated_station("1.6", identity=identity, password="wrong-password-123456", url=console.platform.ocpp_url):
                pass
        await expect(page.locator("#wait-error")).to_be_visible()
        await expect(page.locator("#wait-error")).to_contain_text("The last attempt failed")
        await screenshot(page, "add-charger-waiting")

        async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url, connectors=2):
            await expect(page.locator("#wait-state")).to_contain_text("Onboarded")
            await expect(page.locator("#wait-state")).to_contain_text("SimCharger")
            await screenshot(page, "add-charger-onboarded")
            await page.goto("/console/stations/")
            row = page.locator(f'tr[data-identity="{identity}"]')
            await expect(row).to_be_visible()
            await expect(row.locator("span.badge")).to_have_text("available")
            await screenshot(page, "stations")


async def test_a_fault_turns_red_on_the_station_page(console):
    identity, password = console.new_station("FLT")
    async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url, connectors=2) as sim:
        async with browser_page(console) as page:
            await page.goto(f"/console/stations/{identity}/")
            card = page.locator('#equipment [data-label="1/1"]')
            await expect(card).to_have_class(re.compile(r"\bcat-available\b"))
            await sim.fault(1, error_code="GroundFailure", info="Ground fault detected")
            # The equipment block refreshes itself: no reload.
            await expect(card).to_have_class(re.compile(r"\bcat-faulted\b"))
            await expect(card).to_have_attribute("title", re.compile("GroundFailure"))
            await expect(page.locator('#equipment [data-label="2/2"]')).to_have_class(re.compile(r"\bcat-available\b"))
            await expect(page.locator("#station-category")).to_have_text("faulted")
            await screenshot(page, "station-faulted")
            await page.goto("/console/")
            await expect(page.locator("#faults")).to_contain_text("GroundFailure")
            await screenshot(page, "dashboard")
            await page.goto("/console/stations/?status=faulted")
            await expect(page.locator(f'tr[data-identity="{identity}"] span.equipment.cat-faulted')).to_have_attribute(
                "title", re.compile("GroundFailure")
            )


async def test_a_reset_from_the_actions_menu_reaches_the_station(console):
    identity, password = console.new_station("RST")
    async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url) as sim:
        async with browser_page(console) as page:
            await page.goto(f"/console/stations/{identity}/")
            # Clicking a connector offers to unlock it.
            await page.click('#equipment [data-label="1/1"]')
            await expect(page.locator("#dlg-unlock")).to_be_visible()
            await expect(page.locator("#unlock-connector")).to_have_value("1/1")
            await page.click("#dlg-unlock input[type=submit]")
            assert (await sim.wait_for_request("UnlockConnector", timeout=15)) == {"connector_id": 1}
            await expect(page.locator("#action-result")).to_contain_text("Unlock connector: Accepted — Unlocked")

            await page.click("#actions-menu summary")
            await page.click("text=Reset…")
            await expect(page.locator("#dlg-reset")).to_be_visible()
            await page.select_option("#reset-when", value="immediate")
            await screenshot(page, "station-reset-dialog")
            await page.click("#dlg-reset input[type=submit]")
            request = await sim.wait_for_request("Reset", timeout=15)
            assert request["type"] in ("Soft", "Hard")
            await expect(page.locator("#action-result")).to_contain_text("Accepted")
            await asyncio.wait_for(sim.rebooted.wait(), 20)
            await page.click("#tab-commands")
            await expect(page.locator("#commands tbody tr").first).to_contain_text("Reset")
            await expect(page.locator("#commands tbody tr").first).to_contain_text("Accepted")
            await screenshot(page, "station-commands")
            await page.click("#tab-messages")
            await expect(page.locator("#messages")).to_contain_text("Reset")
            await screenshot(page, "station-message-log")


async def test_editing_a_configuration_key_in_place(console):
    identity, password = console.new_station("CFG")
    async with simulated_station("1.6", identity=identity, password=password, url=console.platform.ocpp_url) as sim:
        await sim.wait_for_request("GetConfiguration")
        async with browser_page(console) as page:
            await page.goto(f"/console/stations/{identity}/maintenance/")
            row = page.locator('#configuration-keys tr[data-key="MeterValueSampleInterval"]')
            await expect(row.locator(".explanation")).to_contain_text("Seconds between meter samples")
            await row.locator("input[name=value]").fill("15")
            await row.locator("button[type=submit]").click()
            request = await sim.wait_for_request("ChangeConfiguration", timeout=15)
            assert request == {"key": "MeterValueSampleInterval", "value": "15"}
            await expect(page.locator("#action-result")).to_contain_text("Accepted")
            assert sim.config["MeterValueSampleInterval"].value == "15"
            await page.reload()
            await expect(row.locator("input[name=value]")).to_have_value("15")
            # Read-only keys are shown, not editable.
            await expect(page.locator('#configuration-keys tr[data-key="NumberOfConnectors"] input')).to_have_count(0)
            await screenshot(page, "station-maintenance")


async def test_deleting_a_location_is_refused_while_stations_are_attached(console):
    location = console.platform.api.create_location(network="Console A", name=f"Busy {unique_identity('L')}", country="NL")
    identity, _ = console.new_station("LOC", location=location)
    async with browser_page(console) as page:
        await page.goto("/console/locations/")
        await expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
        await screenshot(page, "locations")
        await page.click(f"#locations >> text={location['name']}")
        await expect(page.locator("#location-stations")).to_contain_text(identity)
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.click("#delete-location")
        await expect(page.locator(".messagelist .error")).to_contain_text("still has stations attached")
        await expect(page.locator(".messagelist .error")).to_contain_text(identity)
        await screenshot(page, "location-delete-refused")
    assert console.platform.api.get(f"/api/locations/{location['id']}/").status == 200


async def test_an_operator_does_not_see_another_networks_stations(console):
    identity_a, _ = console.new_station("NETA", network="Console A")
    identity_b, _ = console.new_station("NETB", network="Console B")
    async with browser_page(console, "bert") as page:
        await page.goto("/console/stations/?tab=pending")
        await expect(page.locator(f'tr[data-identity="{identity_b}"]')).to_be_visible()
        await expect(page.locator(f'tr[data-identity="{identity_a}"]')).to_have_count(0)
        options = await page.locator("#network-select option").all_text_contents()
        assert "Console B" in options and "Console A" not in options
        response = await page.goto(f"/console/stations/{identity_a}/")
        assert response.status == 404
        response = await page.goto(f"/console/locations/{console.location_a['id']}/")
        assert response.status == 404


async def test_the_network_selector_narrows_an_account_admins_pages(console):
    identity_a, _ = console.new_station("SELA", network="Console A")
    identity_b, _ = console.new_station("SELB", network="Console B")
    async with browser_page(console, ADMIN_USERNAME, ADMIN_PASSWORD) as page:
        await page.goto("/console/stations/?tab=pending")
        await expect(page.locator(f'tr[data-identity="{identity_a}"]')).to_be_visible()
        await expect(page.locator(f'tr[data-identity="{identity_b}"]')).to_be_visible()
        await page.select_option("#network-select", label="Console B")  # submits the selector's form
        await page.wait_for_load_state()
        await expect(page.locator("#network-select")).to_have_value(re.compile(r"\d+"))
        assert "/console/stations/?tab=pending" in page.url
        await expect(page.locator(f'tr[data-identity="{identity_b}"]')).to_be_visible()
        await expect(page.locator(f'tr[data-identity="{identity_a}"]')).to_have_count(0)
        await page.click("#console-nav >> text=Networks")
        await expect(page.locator("#networks")).to_contain_text("Console A")
        await screenshot(page, "networks")


async def test_a_charged_session_is_listed_downloaded_exported_and_charted(console):
    identity, password = console.new_station("SES")
    async with simulated_station(
        "1.6", identity=identity, password=password, url=console.platform.ocpp_url, meter_interval=0.2
    ) as sim:
        result = await sim.charge(kwh=3, meter_values=6)
    assert result.energy_kwh >= 3
    async with browser_page(console) as page:
        await page.goto(f"/console/sessions/?search={identity}")
        rows = page.locator("#sessions tbody tr[data-href]")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("kWh")

        csv = await page.request.get(await page.get_attribute("#download-csv", "href"))
        assert csv.ok and identity in await csv.text()

        await page.click("#export-start")
        await expect(page.locator("#export-progress")).to_contain_text("Export done: 1 session.")
        exported = await page.request.get(await page.get_attribute("#export-download", "href"))
        assert exported.ok and identity in await exported.text()
        await screenshot(page, "sessions")

        await rows.first.locator("a").first.click()
        await expect(page.locator("#session-chart")).to_be_visible()
        await page.wait_for_function("() => window.Chart && Chart.getChart('session-chart')")
        points = await page.evaluate(
            "() => Chart.getChart('session-chart').data.datasets.map((d) => d.data.filter((v) => v !== null).length)"
        )
        assert points[0] >= 3 and points[1] >= 3, points
        await screenshot(page, "session-chart")


async def test_creating_a_location_by_dropping_the_pin_on_the_map(console):
    name = f"Pinned {unique_identity('L')}"
    async with browser_page(console) as page:
        await page.goto("/console/locations/")
        await page.click("#create-location")
        await page.select_option("#id_network", label="Console A")
        await page.fill("#id_name", name)
        await page.select_option("#id_country", value="NL")
        # Typed coordinates move the pin there; a click on the map moves pin and fields together.
        await page.fill("#id_latitude", "52.370000")
        await page.fill("#id_longitude", "4.890000")
        await page.press("#id_longitude", "Tab")
        await expect(page.locator("#map .leaflet-marker-icon")).to_have_count(1)
        box = await page.locator("#map").bounding_box()
        await page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5)
        latitude = await page.input_value("#id_latitude")
        longitude = await page.input_value("#id_longitude")
        assert abs(float(latitude) - 52.37) < 0.05 and float(longitude) > 4.89, (latitude, longitude)
        await screenshot(page, "location-form")
        await page.click("#location-form input[type=submit]")
        await expect(page.locator("h1")).to_have_text(name)
        await expect(page.locator(".object-tools-row")).to_contain_text(f"{float(latitude):.6f}")


async def reload_until_visible(page: Page, selector: str, *, attempts: int = 20) -> None:
    """For pages without live refresh: reload until what the station reported shows up."""
    for _ in range(attempts):
        if await page.locator(selector).count():
            return
        await asyncio.sleep(0.5)
        await page.reload()
    await expect(page.locator(selector)).to_be_visible()


async def test_editing_a_201_device_model_variable_in_place(console):
    identity, password = console.new_station("DM")
    async with simulated_station("2.0.1", identity=identity, password=password, url=console.platform.ocpp_url) as sim:
        await sim.wait_for_request("GetBaseReport")
        async with browser_page(console) as page:
            await page.goto(f"/console/stations/{identity}/maintenance/")
            selector = '#device-model tr[data-variable="SampledDataCtrlr.TxUpdatedInterval"]'
            await reload_until_visible(page, selector)
            row = page.locator(selector)
            await expect(row.locator(".explanation")).to_contain_text("Seconds between meter samples")
            await row.locator("input[name=value]").fill("30")
            await row.locator("button[type=submit]").click()
            request = await sim.wait_for_request("SetVariables", timeout=15)
            item = request["set_variable_data"][0]
            assert (item["component"]["name"], item["variable"]["name"], item["attribute_value"]) == (
                "SampledDataCtrlr", "TxUpdatedInterval", "30"
            )
            await expect(page.locator("#action-result")).to_contain_text("Accepted")
            await expect(page.locator('#device-model tr[data-variable="ChargingStation.Model"] input')).to_have_count(0)
            await screenshot(page, "station-device-model")


# The security-profile upgrade needs TLS in front of daphne: the certificates app's nginx platform and
# its scripted 1.6 station with the security extension.
from tests.test_security_upgrade import Station16 as SecureStation16  # noqa: E402
from tests.test_security_upgrade import secure_platform  # noqa: E402,F401 - a fixture


@pytest.fixture(scope="module")
def secure_console(secure_platform) -> Console:  # noqa: F811
    secure_platform.manage("shell", "-c", USERS_SCRIPT)
    location_a = secure_platform.api.create_location(network="Console A", name="Secure depot", country="NL")
    location_b = secure_platform.api.create_location(network="Console B", name="Secure yard", country="DE")
    return Console(platform=secure_platform, location_a=location_a, location_b=location_b)


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed")
async def test_a_security_upgrade_from_the_menu_shows_its_progress_until_done(secure_console):
    platform = secure_console.platform
    identity, password = secure_console.new_station("UPG")
    station = SecureStation16(identity, password, platform.ocpp_url)
    station.tls_url = platform.nginx.ocpp_url
    try:
        await station.connect()
        async with browser_page(secure_console) as page:
            await page.goto(f"/console/stations/{identity}/")
            await expect(page.locator("#station-facts")).to_contain_text("at least 1 - ws://")
            await page.click("#actions-menu summary")
            await page.click("text=Upgrade security profile…")
            await page.select_option("#security-profile", value="2")
            await page.click("#dlg-security input[type=submit]")
            await expect(page.locator("#action-result")).to_contain_text("Security profile 1 → 2")
            await expect(page.locator("#action-result")).to_contain_text("Succeeded", timeout=45_000)
            assert station.connections[-1] == (1, 2)
            await page.reload()
            await expect(page.locator("#station-facts")).to_contain_text("at least 2 - wss://")
            await expect(page.locator("#security-upgrades")).to_contain_text("Succeeded")
            await expect(page.locator("#connection-url")).to_have_text(platform.nginx.ocpp_url + identity)
            await screenshot(page, "station-security-upgrade")
    finally:
        await station.close()


# Firmware updates need the download link to name this daphne: the firmware app's platform set-up.
from tests.test_firmware_e2e import NETWORK as FIRMWARE_NETWORK  # noqa: E402
from tests.test_firmware_e2e import firmware_platform, upload  # noqa: E402


@pytest.fixture(scope="module")
def firmware_console(tmp_path_factory) -> Console:
    platform = firmware_platform(tmp_path_factory.mktemp("console-firmware"))
    try:
        platform.manage("shell", "-c", USERS_SCRIPT.replace('("Console A", "olivia")', f'("{FIRMWARE_NETWORK}", "olivia")'))
        location = platform.api.create_location(network=FIRMWARE_NETWORK, name="Firmware depot", country="NL")
        yield Console(platform=platform, location_a=location, location_b=location)
    finally:
        platform.stop()


async def test_a_firmware_update_from_the_menu_shows_live_progress(firmware_console):
    from simulator.firmware import simulated_firmware_image
    from simulator import make_station

    platform = firmware_console.platform
    image = upload(platform, image=simulated_firmware_image("2.0.0", size=200_000), version="2.0.0", filename="sim-2.0.0.bin")
    identity, password = firmware_console.new_station("FWU", network=FIRMWARE_NETWORK)
    station = make_station(
        "1.6", identity=identity, password=password, url=platform.ocpp_url, firmware_version="1.0.0",
        vendor="Switch", model="SimCharger",
    )
    await station.connect()
    try:
        await station.boot()
        async with browser_page(firmware_console) as page:
            await page.goto(f"/console/stations/{identity}/")
            await page.click("#actions-menu summary")
            await page.click("text=Update firmware…")
            await expect(page.locator("#firmware-version")).to_have_text("1.0.0")
            await page.select_option("#id_firmware", value=str(image["id"]))
            await page.click("#firmware-form input[type=submit]")
            row = page.locator("#firmware-updates tr.firmware-update").first
            await expect(row).to_contain_text("2.0.0")
            # The table refreshes itself while the station downloads and installs.
            await expect(row.locator("td.status")).to_contain_text("Installed", timeout=60_000)
            await expect(row).to_contain_text("100%")
            await expect(row).to_contain_text("Downloading")
            await screenshot(page, "station-firmware")
            # "Installed" can arrive before the station has rebooted and booted with the new version:
            # reload until the page shows it, as a person would.
            version = page.locator("#firmware-version")
            for _ in range(40):
                await page.reload()
                if (await version.inner_text()).strip() == "2.0.0":
                    break
                await asyncio.sleep(0.5)
            await expect(version).to_have_text("2.0.0")
    finally:
        await station.disconnect()
    assert not station.errors_sent
