"""After an accepted boot the platform reads the station's configuration: the operator sees it on the
station page. 1.6: GetConfiguration (all keys); 2.0.1: GetBaseReport, data in NotifyReport parts."""
from __future__ import annotations

import asyncio
import html
import re

import pytest

from tests.servers import simulated_station, until

pytestmark = pytest.mark.e2e


def inline_rows(page: str, prefix: str) -> int:
    """How many rows an admin inline shows (its formset's TOTAL_FORMS)."""
    match = re.search(rf'name="{prefix}-TOTAL_FORMS"[^>]*value="(\d+)"', page) or re.search(
        rf'value="(\d+)"[^>]*name="{prefix}-TOTAL_FORMS"', page
    )
    return int(match.group(1)) if match else 0


async def page_with_rows(admin, url: str, prefix: str, count: int) -> str:
    def check() -> str | None:
        page = admin.page(url)
        return page if inline_rows(page, prefix) == count else None

    return await until(check, timeout=10, what=f"{count} {prefix} rows on the station page")


def inline_section(page: str, prefix: str) -> str:
    """The HTML of one inline on an admin change page."""
    start = page.index(f'id="{prefix}-group"')
    end = page.find('-group"', start + len(prefix) + 12)
    return page[start:end if end != -1 else len(page)]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_the_configuration_keys_of_a_16_station_are_shown_without_its_secret(admin, new_station):
    station = new_station("CFG16")
    async with simulated_station("1.6", identity=station.identity, password=station.password, url=station.url, connectors=2) as sim:
        request = await sim.wait_for_request("GetConfiguration")
        assert not request["key"], "the platform asks for every key"
        expected = {k: v for k, v in sim.config.items() if not v.writeonly}
        url = await asyncio.to_thread(admin.station_change_url, station.identity)
        page = await page_with_rows(admin, url, "configuration_keys", len(expected))
    text = text_of(inline_section(page, "configuration_keys"))
    for key in ("HeartbeatInterval", "NumberOfConnectors", "SupportedFeatureProfiles", "Vendor.LedBrightness"):
        assert key in text
    assert "Core,FirmwareManagement,LocalAuthListManagement" in text
    # Write-only: the station never reports its AuthorizationKey, and the page never shows the password.
    assert "AuthorizationKey" not in text
    assert station.password not in page
    assert station.created["password_hex"] not in page


async def test_the_device_model_of_a_201_station_is_read_from_every_report_part(admin, new_station):
    station = new_station("DM201")
    async with simulated_station("2.0.1", identity=station.identity, password=station.password, url=station.url, connectors=2) as sim:
        request = await sim.wait_for_request("GetBaseReport")
        assert request["report_base"] == "FullInventory"
        total = len(sim.variables)
        await until(lambda: len(sim.reports_sent) * sim.report_part_size >= total, timeout=10, what="every NotifyReport part sent")
        assert len(sim.reports_sent) > 1, "the report comes in several parts"
        url = await asyncio.to_thread(admin.station_change_url, station.identity)
        page = await page_with_rows(admin, url, "device_model", total)
    text = text_of(inline_section(page, "device_model"))
    first, last = next(iter(sim.variables.values())), list(sim.variables.values())[-1]
    assert first.name in text and last.name in text  # seqNo 0 and the last part (tbc false) both kept
    for name in ("OCPPCommCtrlr", "TxUpdatedInterval", "ItemsPerMessage", "ConnectorType", "cType2", "BasicAuthPassword", "WriteOnly"):
        assert name in text
    assert station.password not in page


async def test_a_second_report_replaces_the_first(admin, new_station):
    station = new_station("DM201")
    async with simulated_station("2.0.1", identity=station.identity, password=station.password, url=station.url) as sim:
        await sim.wait_for_request("GetBaseReport")
        total = len(sim.variables)
        url = await asyncio.to_thread(admin.station_change_url, station.identity)
        await page_with_rows(admin, url, "device_model", total)
        # The station reboots; the platform reads the device model again after the new boot.
        await sim.reboot(reason="PowerUp")
        await sim.wait_for_request("GetBaseReport", count=2)
        await until(lambda: len(sim.reports_sent) >= 2 * -(-total // sim.report_part_size), timeout=10, what="the second report sent")
        page = await page_with_rows(admin, url, "device_model", total)
    assert inline_rows(page, "device_model") == total
