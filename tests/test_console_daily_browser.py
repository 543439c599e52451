"""The daily work without the Django admin, in Debian's Chromium against a live daphne: id tokens and
groups with the local list, editing a charger and rotating its password while it is connected,
uploading firmware from a station's page, members and roles, a personal API token. Per persona:
an operator changes, a viewer only sees, an account admin manages members, another network's
operator gets 404."""
from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.servers import HttpClient, simulated_station, unique_identity
from tests.test_console_browser import CHROMIUM, CHROMIUM_ARGS, UI_TIMEOUT, Console, console, screenshot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

MORE_USERS_SCRIPT = """
from networks.models import Membership, Network, User
network = Network.objects.get(name="Console A")
for username, fields in [("vera", {}), ("anna", {"is_account_admin": True})]:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password("pw-" + username + "-console")
        user.save()
Membership.objects.get_or_create(user=User.objects.get(username="vera"), network=network, defaults={"role": "viewer"})
"""


@pytest.fixture(scope="module")
def daily(console):  # noqa: F811
    console.platform.manage("shell", "-c", MORE_USERS_SCRIPT)
    return console


@contextlib.asynccontextmanager
async def personas(console: Console) -> AsyncIterator[Callable[..., Awaitable[Page]]]:
    """One Debian Chromium for the whole test; ``await login(username)`` gives that user's own
    signed-in page (a browser context each: separate cookies). Launching once per persona cost
    ~3 s each on the shared machine."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def login(username: str, password: str | None = None) -> Page:
            context = await browser.new_context(viewport={"width": 1400, "height": 900}, base_url=console.url)
            page = await context.new_page()
            page.set_default_timeout(UI_TIMEOUT)
            # The delete, remove and rotate buttons ask first (data-confirm); the user says yes.
            page.on("dialog", lambda dialog: dialog.accept())
            await sign_in(page, username, password or f"pw-{username}-console")
            return page

        try:
            yield login
        finally:
            await browser.close()


async def test_id_tokens_groups_and_the_local_list_per_persona(daily):
    group, token = unique_identity("GRP"), unique_identity("TAG")
    # A version is made when a list goes to a station: the network needs one.
    daily.new_station("LL")
    async with personas(daily) as login:
        page = await login("olivia")
        await page.click("#console-nav >> text=Id tokens")
        await page.click("#add-id-token-group")
        await page.fill("#id_token", group)
        await page.fill("#id_label", "Fleet drivers")
        await page.click("#group-form input[type=submit]")
        await expect(page.locator(f'#id-token-groups tr[data-group="{group}"]')).to_contain_text("Fleet drivers")

        await page.click("#add-id-token")
        await page.fill("#id_token", token)
        await page.select_option("#id_group", label=f"{group} (Console A)")
        await page.fill("#id_label", "Driver 7")
        await page.click("#token-form input[type=submit]")
        row = page.locator(f'#id-tokens tr[data-token="{token}"]')
        await expect(row).to_contain_text("Accepted")
        await expect(row).to_contain_text(group)

        # The same token in lower case is the same token (OCPP CiString).
        await page.click("#add-id-token")
        await page.fill("#id_token", token.lower())
        await page.click("#token-form input[type=submit]")
        await expect(page.locator(".field-token .errorlist")).to_contain_text("This network already lists that token")

        await page.goto("/console/id-tokens/")
        await page.fill("#id-token-filters input[name=q]", "Driver 7")
        await page.click("#id-token-filters button")
        await expect(page.locator("#id-tokens tbody tr")).to_have_count(1)
        await row.get_by_role("link", name="Edit").click()
        await page.select_option("#id_status", "Blocked")
        await page.click("#token-form input[type=submit]")
        await expect(row).to_contain_text("Blocked")

        # A card batch from a CSV file, through the same rules.
        batch = unique_identity("CSV")
        await page.click("#import-id-tokens")
        await page.set_input_files("#id_file", files=[{"name": "cards.csv", "mimeType": "text/csv",
                                                       "buffer": f"token,group,label\n{batch}-1,{group},Batch\n{batch}-2,,Batch\n".encode()}])
        await page.click("#import-form input[type=submit]")
        await expect(page.locator(".messagelist")).to_contain_text("Imported into Console A: 2 added, 0 updated.")
        await expect(page.locator(f'#id-tokens tr[data-token="{batch}-1"]')).to_contain_text(group)

        network_row = page.locator('#local-lists tr[data-network="Console A"]')
        await expect(network_row).to_contain_text("the allow-list changed")
        await network_row.get_by_role("button", name="Send local list to all stations").click()
        await expect(page.locator(".messagelist")).to_contain_text("Full local list sent to")
        await expect(network_row.locator(".local-list-version")).to_contain_text(re.compile(r"^\d+ \(\d+ tokens?"))
        await expect(network_row).to_contain_text("unchanged")
        await screenshot(page, "id-tokens")
        token_url = await row.get_by_role("link", name="Edit").get_attribute("href")

        viewer = await login("vera")
        await viewer.goto("/console/id-tokens/")
        await expect(viewer.locator(f'#id-tokens tr[data-token="{token}"]')).to_contain_text("Blocked")
        await expect(viewer.locator("#add-id-token")).to_have_count(0)
        await expect(viewer.locator(f'#id-tokens tr[data-token="{token}"] button')).to_have_count(0)
        await expect(viewer.locator("#local-lists button")).to_have_count(0)
        assert (await viewer.goto(token_url)).status == 403

        other = await login("bert")
        await other.goto("/console/id-tokens/")
        await expect(other.locator("#id-tokens")).to_be_visible()
        await expect(other.locator(f'#id-tokens tr[data-token="{token}"]')).to_have_count(0)
        assert (await other.goto(token_url)).status == 404

        await page.goto("/console/id-tokens/")
        await row.get_by_role("button", name="Delete").click()
        await expect(page.locator(".messagelist")).to_contain_text(f"Id token {token} deleted")
        await expect(row).to_have_count(0)

    # The imported cards were Accepted entries: Console A now has an allow-list, and the other console
    # tests' stations charge with tags that are not on it. Leave the network as it was found.
    api = daily.platform.api
    for entry in api.results("/api/id_tokens/", limit=500):
        if entry["token"].startswith(batch):
            api.delete(f"/api/id_tokens/{entry['id']}/", expect=204)


async def test_edit_a_connected_charger_upload_its_firmware_and_rotate_its_password(daily):
    identity, password = daily.new_station("EDT")
    url = daily.platform.ocpp_url
    async with personas(daily) as login:
        page = await login("olivia")
        async with simulated_station("1.6", identity=identity, password=password, url=url) as sim:
            await page.goto(f"/console/stations/{identity}/firmware/")
            await page.click("#upload-station-firmware")
            # Pre-filled from what the station reported at boot.
            await expect(page.locator("#id_vendor")).not_to_have_value("")
            await expect(page.locator("#id_model")).not_to_have_value("")
            await page.fill("#id_version", "9.8.7")
            await page.set_input_files("#id_file", files=[{"name": "sim-9.8.7.bin", "mimeType": "application/octet-stream", "buffer": b"firmware" * 512}])
            await page.click("#firmware-upload-form input[type=submit]")
            await expect(page).to_have_url(re.compile(rf"/console/stations/{identity}/firmware/$"))
            await expect(page.locator(".messagelist")).to_contain_text("Firmware 9.8.7 uploaded (4096 bytes")
            await expect(page.locator("#id_firmware")).to_contain_text("9.8.7")
            await page.goto("/console/firmware/")
            await expect(page.locator('#firmware-images tr[data-version="9.8.7"]')).to_contain_text("Console A")

            await page.goto(f"/console/stations/{identity}/")
            await page.click("#actions-menu summary")
            await page.click("#edit-station")
            await page.fill("#id_name", "Gate 7")
            await page.check("#id_generate_password")
            await page.click("#station-edit-form input[type=submit]")
            new_password = await page.locator("#password-plain").inner_text()
            assert len(new_password) == 20
            await expect(page.locator("#password-hex")).to_have_text(new_password.encode().hex().upper())
            await screenshot(page, "station-new-password")
            # The connection made with the old password is closed (4001).
            assert await sim.wait_closed(10) == 4001

        await page.click("text=Back to the station")
        await expect(page.locator("#station-name")).to_have_text("Gate 7")
        # The new password lets the station back in.
        async with simulated_station("1.6", identity=identity, password=new_password, url=url):
            pass

        other = await login("bert")
        assert (await other.goto(f"/console/stations/{identity}/edit/")).status == 404

        await page.goto(f"/console/stations/{identity}/edit/")
        await page.fill("#confirm-identity", identity)
        await page.click("#station-delete-form input[type=submit]")
        await expect(page.locator(".messagelist")).to_contain_text(f"Station Gate 7 ({identity}) deleted")
        await expect(page.locator(f'tr[data-identity="{identity}"]')).to_have_count(0)


async def test_an_account_admin_manages_members_and_a_user_their_api_token(daily):
    async with personas(daily) as login:
        page = await login("anna")
        await page.click("#console-nav >> text=Networks")
        await page.get_by_role("link", name="Console A", exact=True).click()
        await page.fill("#id_member-username", "bert")
        await page.select_option("#id_member-role", "viewer")
        await page.click("#add-member-form input[type=submit]")
        member = page.locator('#members tr[data-member="bert"]')
        await expect(member.get_by_label("Role of bert")).to_have_value("viewer")
        await member.get_by_label("Role of bert").select_option("operator")
        await member.get_by_role("button", name="Change").click()
        await expect(page.locator(".messagelist")).to_contain_text("Bert is now operator")  # the admin's message list capitalises
        await expect(member.get_by_label("Role of bert")).to_have_value("operator")
        await member.get_by_role("button", name="Remove").click()
        await expect(page.locator(".messagelist")).to_contain_text("Bert removed from Console A")
        await expect(member).to_have_count(0)

        # A new person: the account is created on the spot, in this network, and signs in.
        newcomer = unique_identity("dina").lower()
        await page.click("#new-user")
        await page.fill("#id_username", newcomer)
        await page.fill("#id_password", "tulip-harbour-9177")
        await page.select_option("#id_role", "operator")
        await page.click("#new-member-form input[type=submit]")
        await expect(page.locator(f'#members tr[data-member="{newcomer}"]').get_by_label(f"Role of {newcomer}")).to_have_value("operator")
        newcomer_page = await login(newcomer, "tulip-harbour-9177")
        await newcomer_page.goto("/console/id-tokens/")
        await expect(newcomer_page.locator("#add-id-token")).to_be_visible()

        viewer = await login("vera")
        await expect(viewer.locator("#console-nav")).not_to_contain_text("Networks")
        assert (await viewer.goto("/console/networks/")).status == 403

        await viewer.goto("/console/")
        await viewer.click("#console-nav >> text=API token")
        await expect(viewer.locator("#api-token-state")).to_contain_text("You have no API token.")
        await viewer.click("#create-api-token")
        key = await viewer.locator("#api-token-key").inner_text()
        api = HttpClient(daily.url, token=key)
        stations = api.get("/api/charging_stations/", expect=200).json()
        assert {s["network"] for s in stations["results"]} <= {"Console A"}
        # Shown once: a reload shows that there is a token, not the key.
        await viewer.reload()
        await expect(viewer.locator("#api-token-key")).to_have_count(0)
        await expect(viewer.locator("#api-token-state")).to_contain_text("You have an API token, created")
        await viewer.click("#revoke-api-token")
        await expect(viewer.locator(".messagelist")).to_contain_text("API token revoked")
        assert api.get("/api/charging_stations/").status == 401
