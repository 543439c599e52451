"""The browser-facing security of the platform behind TLS, in Debian's Chromium through nginx (issue 13).

One installation as deployed behind TLS (OCPP_TLS_PUBLIC_URL set, nginx terminating TLS in front
of daphne): the session and CSRF cookies are Secure, pages carry HSTS, a Content-Security-Policy,
X-Frame-Options and Referrer-Policy; no console or admin page (nor the API docs) trips the policy;
the API docs load with every request to the internet refused; a login is locked out after
LOGIN_FAILURE_LIMIT wrong passwords, with a message.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from tests.servers import ADMIN_PASSWORD, ADMIN_USERNAME, Platform, free_port, simulated_station, station_password, unique_identity
from tests.tls_servers import Nginx

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
UI_TIMEOUT = 20_000
FAILURE_LIMIT = 3
expect.set_options(timeout=UI_TIMEOUT)

SETUP_SCRIPT = """
from networks.models import Membership, Network, User
network, _ = Network.objects.get_or_create(name="Web A")
for username in ("olivia", "lockme"):
    user, created = User.objects.get_or_create(username=username)
    user.set_password("pw-" + username + "-web")
    user.save()
    Membership.objects.get_or_create(user=user, network=network, defaults={"role": "operator"})
"""

# Recorded in every page before its own scripts run (Playwright's init scripts are not subject to CSP).
VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@dataclass
class Web:
    platform: Platform
    nginx: Nginx
    station: str
    location_id: int

    @property
    def url(self) -> str:
        return self.nginx.https_url


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[Web]:
    nginx_port = free_port()
    platform = Platform.create(
        tmp_path_factory.mktemp("web-security"),
        env={
            "OCPP_TRUSTED_PROXIES": "127.0.0.1",
            "OCPP_AUTH_FAILURES_PER_MINUTE": "10000",
            # Behind TLS: Secure cookies and HSTS follow from this alone.
            "OCPP_TLS_PUBLIC_URL": f"wss://127.0.0.1:{nginx_port}/ocpp/",
            "LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        },
    )
    nginx = None
    try:
        platform.manage("init_pki", "--hostname", "127.0.0.1", "--hostname", "localhost")
        platform.start_daphne()
        nginx = Nginx.start(pki_dir=platform.var_dir / "pki", upstream_port=platform.port, port=nginx_port)
        platform.manage("shell", "-c", SETUP_SCRIPT)
        location = platform.api.create_location(network="Web A", name="Web depot", country="NL",
                                                latitude="52.090000", longitude="5.120000")
        identity = unique_identity("WEB")
        platform.api.create_station(identity=identity, password=station_password(), network="Web A",
                                    location=location["id"])
        yield Web(platform=platform, nginx=nginx, station=identity, location_id=location["id"])
    finally:
        if nginx is not None:
            nginx.stop()
        platform.stop()


@dataclass
class Browser:
    context: BrowserContext
    page: Page
    external: list[str] = field(default_factory=list)

    async def violations(self) -> list[str]:
        return await self.page.evaluate("() => window.__cspViolations")


@contextlib.asynccontextmanager
async def browser(web: Web) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # nginx's certificate comes from the platform's own CA, which this browser does not know.
            context = await chromium.new_context(base_url=web.url, ignore_https_errors=True,
                                                 viewport={"width": 1400, "height": 900})
            await context.add_init_script(VIOLATION_RECORDER)
            result = Browser(context=context, page=await context.new_page())
            result.page.set_default_timeout(UI_TIMEOUT)

            # Offline: anything not served by the platform itself is refused (and remembered).
            async def refuse(route):
                result.external.append(route.request.url)
                await route.abort()

            await context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), refuse)
            yield result
        finally:
            await chromium.close()


async def log_in(page: Page, username: str, password: str) -> None:
    await page.goto("/admin/login/")
    await page.fill("#id_username", username)
    await page.fill("#id_password", password)
    await page.click("input[type=submit]")


async def test_cookies_are_secure_and_pages_carry_the_security_headers(web):
    async with browser(web) as b:
        response = await b.page.goto("/admin/login/")
        await log_in(b.page, ADMIN_USERNAME, ADMIN_PASSWORD)
        await b.page.wait_for_url(re.compile(r"/admin/$"))
        cookies = {c["name"]: c for c in await b.context.cookies()}
        assert {"sessionid", "csrftoken"} <= set(cookies)
        assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
        assert cookies["sessionid"]["httpOnly"]

        response = await b.page.goto("/console/")
        headers = response.headers
        assert re.fullmatch(r"max-age=\d{7,}", headers["strict-transport-security"]), headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-content-type-options"] == "nosniff"
        policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"


async def test_no_console_or_admin_page_violates_the_content_security_policy(web):
    # A station with a finished session, so the session page draws its chart.
    identity, password = unique_identity("CSP"), station_password()
    web.platform.api.create_station(identity=identity, password=password, network="Web A", location=web.location_id)
    async with simulated_station("1.6", identity=identity, password=password, url=web.platform.ocpp_url,
                                 meter_interval=0.2) as sim:
        await sim.charge(kwh=1, meter_values=4)
    api = web.platform.api
    session_id = api.results("/api/sessions/", station=identity)[0]["id"]
    # The admin client speaks plain HTTP, which Secure cookies rule out here: ask the shell for ids.
    ids = web.platform.manage(
        "shell", "-c",
        f"from stations.models import Station; from networks.models import User; "
        f"print(Station.objects.get(identity='{identity}').pk, User.objects.get(username='olivia').pk)",
    ).stdout.split()
    station_pk, user_pk = ids[-2], ids[-1]

    async with browser(web) as b:
        page = b.page
        # The detector works: an injected inline script is blocked and recorded.
        await page.goto("/admin/login/")
        await page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s); }")
        assert await page.evaluate("() => window.ran") is None
        assert any("script-src" in v for v in await b.violations())

        await log_in(page, "olivia", "pw-olivia-web")
        await page.wait_for_url(re.compile(r"/console/$|/admin/$"))
        console_pages = {
            "/console/": "#console-nav",
            "/console/stations/": "#console-nav",
            "/console/stations/add/": "#add-station-form",
            f"/console/stations/{identity}/": "#station-facts",
            f"/console/stations/{identity}/maintenance/": "#console-nav",
            f"/console/stations/{identity}/sessions/": "#console-nav",
            "/console/locations/": "#map.leaflet-container",
            f"/console/locations/{web.location_id}/": "#map.leaflet-container",
            f"/console/locations/{web.location_id}/edit/": "#map.leaflet-container",
            "/console/sessions/": "#export-start",
            f"/console/sessions/{session_id}/": "#session-chart",
        }
        for path, ready in console_pages.items():
            await page.goto(path)
            await expect(page.locator(ready).first).to_be_attached()
            assert await b.violations() == [], path
        # The scripts moved out of the templates still do their work.
        await page.goto(f"/console/sessions/{session_id}/")
        await page.wait_for_function("() => window.Chart && Chart.getChart('session-chart')")
        await page.goto("/console/stations/add/")
        await page.select_option("#id_location", value="")
        await expect(page.locator("#new-location")).to_be_visible()
        await page.click("#generate-password")
        assert len(await page.input_value("#id_password")) == 20
        await page.goto("/console/stations/")
        await page.select_option("#network-select", label="Web A")
        await expect(page.locator("#network-select")).to_have_value(re.compile(r"\d+"))
        assert await b.violations() == []

        await b.context.clear_cookies()
        await log_in(page, ADMIN_USERNAME, ADMIN_PASSWORD)
        await page.wait_for_url(re.compile(r"/admin/$"))
        admin_pages = [
            "/admin/",
            "/admin/networks/user/",
            f"/admin/networks/user/{user_pk}/change/",
            f"/admin/networks/user/{user_pk}/password/",
            "/admin/networks/network/",
            "/admin/stations/station/",
            f"/admin/stations/station/{station_pk}/change/",
            "/admin/charging_sessions/session/",
            "/admin/locations/location/add/",
        ]
        for path in admin_pages:
            response = await page.goto(path)
            assert response.status == 200, path
            await expect(page.locator("#content").first).to_be_attached()
            assert await b.violations() == [], path


async def test_the_api_docs_load_offline_from_pinned_assets(web):
    async with browser(web) as b:
        await log_in(b.page, ADMIN_USERNAME, ADMIN_PASSWORD)
        await b.page.wait_for_url(re.compile(r"/admin/$"))
        response = await b.page.goto("/api/docs/")
        assert response.status == 200
        await expect(b.page.locator(".swagger-ui .info .title")).to_contain_text("Switch charging platform API")
        await expect(b.page.locator(".opblock-tag").first).to_be_visible()
        html = await response.text()
        assert "cdn" not in html.lower() and "@latest" not in html
        assert re.search(r'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.js"', html)
        assert b.external == []
        assert await b.violations() == []


async def test_wrong_passwords_lock_the_login_out_with_a_message(web):
    async with browser(web) as b:
        for _ in range(FAILURE_LIMIT - 1):
            await log_in(b.page, "lockme", "not-the-password")
            await expect(b.page.locator(".errornote")).to_contain_text("correct username and password")
        # The failure that reaches the limit is answered with the lock-out.
        await log_in(b.page, "lockme", "not-the-password")
        await expect(b.page.locator("#lockout-message")).to_be_visible()
        # Locked: even the right password gets the lock-out page, not the console.
        async with b.page.expect_response(lambda r: "/admin/login/" in r.url and r.request.method == "POST") as info:
            await log_in(b.page, "lockme", "pw-lockme-web")
        assert (await info.value).status == 429
        await expect(b.page.locator("#lockout-message")).to_contain_text("Too many failed logins for lockme")
        await expect(b.page.locator("#lockout-message")).to_contain_text("15 minutes")
        # Another user from the same address is not locked out by it.
        await log_in(b.page, "olivia", "pw-olivia-web")
        await b.page.wait_for_url(re.compile(r"/console/$|/admin/$"))
