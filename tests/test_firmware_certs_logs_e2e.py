"""Firmware, certificates and log uploads against the live daphne (issue 14, blocks L, M, N; 1.6 security).

Each test drives a real websocket station (the `ocpp` library's ChargePoint, which validates every
request the platform sends against the OCA schemas and would answer a bad one with a CALLERROR) through
the steps of its OCA test case (OCPP 2.0.1 Part 6; OCTT 1.6), and asserts the CSMS's requests field by
field as they came over the wire. Operators act through the API, as the test cases' "Manual Action"
says; what they then see is read back through the API and the console.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from certificates import pki
from simulator import SUBPROTOCOLS, open_websocket
from tests.scripted_station import final
from tests.servers import AdminBrowser, Api, Platform, simulated_station, station_password, unique_identity, wait_for

pytestmark = pytest.mark.e2e

HOME, OTHER = "Logs and certificates", "Logs elsewhere"
USERS_SCRIPT = """
from networks.models import Membership, Network, User
from rest_framework.authtoken.models import Token
for name, network in [("lena", "%(home)s"), ("otto", "%(other)s")]:
    user, _ = User.objects.get_or_create(username=name)
    user.set_password("%(password)s")
    user.save()
    Membership.objects.get_or_create(user=user, network=Network.objects.get_or_create(name=network)[0], defaults={"role": "operator"})
    print("TOKEN", name, Token.objects.get_or_create(user=user)[0].key)
"""
USER_PASSWORD = "Logs-and-certs-" + secrets.token_hex(6)


@pytest.fixture(scope="module")
def users(platform: Platform) -> dict[str, Api]:
    """lena operates the stations' network; otto operates another one."""
    out = platform.manage("shell", "-c", USERS_SCRIPT % {"home": HOME, "other": OTHER, "password": USER_PASSWORD}).stdout
    tokens = dict(re.findall(r"^TOKEN (\w+) (\w+)$", out, re.M))
    return {name: Api(platform.http_url, token=token) for name, token in tokens.items()}


@pytest.fixture(autouse=True)
def _networks(users) -> None:
    """Every test's stations live in HOME, which the users' script creates."""


# --- A scripted station --------------------------------------------------------------------------


class Wire:
    """The station's websocket, keeping every frame as it travelled: the platform's requests are
    asserted as sent (camelCase), and any CALLERROR the station sends fails the test."""

    def __init__(self, websocket) -> None:
        self.websocket = websocket
        self.received: list[list] = []
        self.errors_sent: list[list] = []
        self.arrived = asyncio.Event()

    async def recv(self) -> str:
        message = await self.websocket.recv()
        self.received.append(json.loads(message))
        self.arrived.set()
        return message

    async def send(self, message: str) -> None:
        frame = json.loads(message)
        if frame[0] == 4:
            self.errors_sent.append(frame)
        await self.websocket.send(message)


class Scripted:
    """Answers the platform's requests with ``replies[action]`` (a dict, or a function of the request
    kwargs returning one); everything the platform sent is in ``wire.received``."""

    wire: Wire
    defaults: dict[str, dict] = {}

    def setup(self, wire: Wire) -> None:
        self.wire = wire
        self.replies: dict[str, dict | Callable[..., dict]] = {}

    def reply(self, action: str, request: dict) -> dict:
        answer = self.replies.get(action, self.defaults.get(action, {}))
        return answer(**request) if callable(answer) else answer

    async def request(self, action: str, *, number: int = 1, timeout: float = 10) -> dict:
        """The payload of the platform's ``number``-th ``action`` request, as sent on the wire."""

        async def seen() -> dict:
            while True:
                payloads = [f[3] for f in self.wire.received if f[0] == 2 and f[2] == action]
                if len(payloads) >= number:
                    return payloads[number - 1]
                self.wire.arrived.clear()
                await self.wire.arrived.wait()

        return await asyncio.wait_for(seen(), timeout)


class Station16(Scripted, ChargePoint16):
    defaults = {
        "InstallCertificate": {"status": "Accepted"},
        "GetInstalledCertificateIds": {"status": "NotFound"},
        "DeleteCertificate": {"status": "Accepted"},
        "GetLog": {"status": "Accepted", "filename": "security.log"},
        "GetDiagnostics": {"file_name": "diagnostics.zip"},
        "SignedUpdateFirmware": {"status": "Accepted"},
    }

    @on("GetConfiguration")
    def on_get_configuration(self, **kwargs):
        return result16.GetConfiguration(configuration_key=[])

    @on("InstallCertificate")
    def on_install_certificate(self, **kwargs):
        return result16.InstallCertificate(**self.reply("InstallCertificate", kwargs))

    @on("GetInstalledCertificateIds")
    def on_get_installed_certificate_ids(self, **kwargs):
        return result16.GetInstalledCertificateIds(**self.reply("GetInstalledCertificateIds", kwargs))

    @on("DeleteCertificate")
    def on_delete_certificate(self, **kwargs):
        return result16.DeleteCertificate(**self.reply("DeleteCertificate", kwargs))

    @on("GetLog")
    def on_get_log(self, **kwargs):
        return result16.GetLog(**self.reply("GetLog", kwargs))

    @on("GetDiagnostics")
    def on_get_diagnostics(self, **kwargs):
        return result16.GetDiagnostics(**self.reply("GetDiagnostics", kwargs))

    @on("SignedUpdateFirmware")
    def on_signed_update_firmware(self, **kwargs):
        return result16.SignedUpdateFirmware(**self.reply("SignedUpdateFirmware", kwargs))

    async def boot(self) -> str:
        answer = await self.call(call16.BootNotification(charge_point_vendor="Switch", charge_point_model="OCTT"))
        return answer.status


class Station201(Scripted, ChargePoint201):
    defaults = {
        "InstallCertificate": {"status": "Accepted"},
        "GetInstalledCertificateIds": {"status": "NotFound"},
        "DeleteCertificate": {"status": "Accepted"},
        "GetLog": {"status": "Accepted", "filename": "station.log"},
        "UpdateFirmware": {"status": "Accepted"},
    }

    @on("GetBaseReport")
    def on_get_base_report(self, **kwargs):
        return result201.GetBaseReport(status="Accepted")

    @on("InstallCertificate")
    def on_install_certificate(self, **kwargs):
        return result201.InstallCertificate(**self.reply("InstallCertificate", kwargs))

    @on("GetInstalledCertificateIds")
    def on_get_installed_certificate_ids(self, **kwargs):
        return result201.GetInstalledCertificateIds(**self.reply("GetInstalledCertificateIds", kwargs))

    @on("DeleteCertificate")
    def on_delete_certificate(self, **kwargs):
        return result201.DeleteCertificate(**self.reply("DeleteCertificate", kwargs))

    @on("GetLog")
    def on_get_log(self, **kwargs):
        return result201.GetLog(**self.reply("GetLog", kwargs))

    @on("UpdateFirmware")
    def on_update_firmware(self, **kwargs):
        return result201.UpdateFirmware(**self.reply("UpdateFirmware", kwargs))

    async def boot(self) -> str:
        answer = await self.call(
            call201.BootNotification(charging_station={"vendor_name": "Switch", "model": "OCTT"}, reason="PowerUp")
        )
        return answer.status


@contextlib.asynccontextmanager
async def station(platform: Platform, version: str, *, prefix: str = "FCL"):
    """A booted station in the HOME network, created through the API as an operator does."""
    identity, password = unique_identity(prefix), station_password()
    platform.api.create_station(identity=identity, password=password, network=HOME)
    websocket = await open_websocket(
        platform.ocpp_url + identity, identity=identity, password=password, subprotocols=[SUBPROTOCOLS[version]]
    )
    wire = Wire(websocket)
    cp = (Station16 if version == "1.6" else Station201)(identity, wire)
    cp.setup(wire)
    runner = asyncio.create_task(cp.start())
    try:
        assert await cp.boot() == "Accepted"
        # The read after boot (1.6 GetConfiguration / 2.0.1 GetBaseReport) comes first: then the
        # operator's action is the next request the station gets.
        await cp.request("GetConfiguration" if version == "1.6" else "GetBaseReport")
        yield cp
    finally:
        runner.cancel()
        await websocket.close()
    assert not wire.errors_sent, f"the station answered the platform with CALLERRORs: {wire.errors_sent}"


def act(api: Api, identity: str, action: str, *, expect: int | tuple[int, ...] = (201, 202), **parameters) -> dict:
    return api.post(f"/api/charging_stations/{identity}/actions/{action}/", json_body=parameters, expect=expect).json()


async def until_api(api: Api, path: str, predicate: Callable[[Any], Any], *, what: str) -> Any:
    last: list = [None]

    def check():
        last[0] = api.get(path, expect=200).json()
        return last[0] if predicate(last[0]) else None

    try:
        return await asyncio.to_thread(wait_for, check, timeout=15, what=what, interval=0.1)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; last seen: {json.dumps(last[0])[:2000]}") from None


def root_pem(name: str) -> str:
    return pki.cert_pem(pki.build_ca(key=pki.generate_key("ec"), common_name=name)).decode("ascii")


def hash_data(algorithm: str = "SHA256", *, serial: str | None = None) -> dict[str, str]:
    """Hash data spelled the way some stations report it: upper-case hex, a serial with a leading zero."""
    length = {"SHA256": 32, "SHA384": 48, "SHA512": 64}[algorithm]
    return {
        "hash_algorithm": algorithm,
        "issuer_name_hash": secrets.token_hex(length).upper(),
        "issuer_key_hash": secrets.token_hex(length).upper(),
        "serial_number": serial or "0" + secrets.token_hex(8).upper(),
    }


def camel(data: dict[str, str]) -> dict[str, str]:
    return {re.sub(r"_(\w)", lambda m: m.group(1).upper(), k): v for k, v in data.items()}


def installed(platform: Platform, identity: str) -> list[dict]:
    return platform.api.get(f"/api/charging_stations/{identity}/security/", expect=200).json()["installed_certificates"]


# --- M: certificates (2.0.1) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "certificate_type",
    [
        pytest.param("ManufacturerRootCertificate", id="TC_M_02"),
        pytest.param("V2GRootCertificate", id="TC_M_03"),
        pytest.param("MORootCertificate", id="TC_M_04"),
    ],
)
async def test_TC_M_02_03_04_install_a_root_certificate_from_a_pem(platform, certificate_type):
    pem = root_pem(f"{certificate_type} E2E")
    async with station(platform, "2.0.1") as cp:
        command = act(platform.api, cp.id, "install_certificate", certificate_type=certificate_type, certificate=pem)
        request = await cp.request("InstallCertificate")
        assert request == {"certificateType": certificate_type, "certificate": pem}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"], done["answer"]) == ("accepted", "Accepted", {"status": "Accepted"})
    # 1.6 root types are refused for a 2.0.1 station, and a PEM that is not a certificate for anyone.
    errors = act(platform.api, cp.id, "install_certificate", expect=400, certificate_type="CentralSystemRootCertificate", certificate=pem)
    assert "certificate_type" in json.dumps(errors)
    errors = act(platform.api, cp.id, "install_certificate", expect=400, certificate_type=certificate_type, certificate="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
    assert "Not a PEM encoded X.509 certificate" in json.dumps(errors)


async def test_TC_M_05_install_a_certificate_failed(platform):
    async with station(platform, "2.0.1") as cp:
        cp.replies["InstallCertificate"] = {"status": "Failed"}
        command = act(platform.api, cp.id, "install_certificate", certificate_type="CSMSRootCertificate", certificate=root_pem("CSMS"))
        assert (await cp.request("InstallCertificate"))["certificateType"] == "CSMSRootCertificate"
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"]) == ("rejected", "Failed")


@pytest.mark.parametrize(
    "certificate_type",
    [
        pytest.param("CSMSRootCertificate", id="TC_M_12"),
        pytest.param("ManufacturerRootCertificate", id="TC_M_13"),
        pytest.param("V2GRootCertificate", id="TC_M_14"),
        pytest.param("V2GCertificateChain", id="TC_M_15"),
        pytest.param("MORootCertificate", id="TC_M_16"),
    ],
)
async def test_TC_M_12_to_16_retrieve_the_certificates_of_one_type(platform, certificate_type):
    reported = hash_data()
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetInstalledCertificateIds"] = {
            "status": "Accepted",
            "certificate_hash_data_chain": [{"certificate_type": certificate_type, "certificate_hash_data": reported}],
        }
        command = act(platform.api, cp.id, "get_installed_certificate_ids", certificate_types=[certificate_type])
        assert await cp.request("GetInstalledCertificateIds") == {"certificateType": [certificate_type]}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
    rows = installed(platform, cp.id)
    assert [(r["certificate_type"], r["hash_algorithm"], r["issuer_name_hash"], r["issuer_key_hash"], r["serial_number"]) for r in rows] == [
        (certificate_type, "SHA256", reported["issuer_name_hash"], reported["issuer_key_hash"], reported["serial_number"])
    ]


async def test_TC_M_17_retrieve_the_certificates_of_several_types(platform):
    csms, manufacturer = hash_data(), hash_data("SHA384")
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetInstalledCertificateIds"] = {
            "status": "Accepted",
            "certificate_hash_data_chain": [
                {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": csms},
                {"certificate_type": "ManufacturerRootCertificate", "certificate_hash_data": manufacturer},
            ],
        }
        command = act(
            platform.api, cp.id, "get_installed_certificate_ids",
            certificate_types=["CSMSRootCertificate", "ManufacturerRootCertificate"],
        )
        assert await cp.request("GetInstalledCertificateIds") == {
            "certificateType": ["CSMSRootCertificate", "ManufacturerRootCertificate"]
        }
        assert (await final(platform.api, command["id"]))["status"] == "accepted"
    rows = {r["certificate_type"]: r for r in installed(platform, cp.id)}
    assert set(rows) == {"CSMSRootCertificate", "ManufacturerRootCertificate"}
    assert rows["ManufacturerRootCertificate"]["hash_algorithm"] == "SHA384"
    assert rows["CSMSRootCertificate"]["serial_number"] == csms["serial_number"]


async def test_TC_M_18_retrieve_the_certificates_of_all_types(platform):
    chain = [
        {"certificate_type": kind, "certificate_hash_data": hash_data()}
        for kind in ("CSMSRootCertificate", "V2GRootCertificate", "MORootCertificate")
    ]
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data_chain": chain}
        command = act(platform.api, cp.id, "get_installed_certificate_ids")
        # No type: certificateType is omitted (M03.FR.01).
        assert await cp.request("GetInstalledCertificateIds") == {}
        assert (await final(platform.api, command["id"]))["status"] == "accepted"
    shown = {(r["certificate_type"], r["issuer_key_hash"]) for r in installed(platform, cp.id)}
    assert shown == {(c["certificate_type"], c["certificate_hash_data"]["issuer_key_hash"]) for c in chain}


async def test_TC_M_19_retrieve_certificates_none_found(platform):
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetInstalledCertificateIds"] = {"status": "NotFound"}
        command = act(platform.api, cp.id, "get_installed_certificate_ids", certificate_types="ManufacturerRootCertificate")
        assert await cp.request("GetInstalledCertificateIds") == {"certificateType": ["ManufacturerRootCertificate"]}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"], done["answer"]) == ("rejected", "NotFound", {"status": "NotFound"})
    assert installed(platform, cp.id) == []


async def test_TC_M_20_delete_a_certificate_with_each_hash_algorithm(platform):
    async with station(platform, "2.0.1") as cp:
        for number, algorithm in enumerate(["SHA256", "SHA384", "SHA512"], start=1):
            reported = hash_data(algorithm)
            cp.replies["GetInstalledCertificateIds"] = {
                "status": "Accepted",
                "certificate_hash_data_chain": [{"certificate_type": "CSMSRootCertificate", "certificate_hash_data": reported}],
            }
            listed = act(platform.api, cp.id, "get_installed_certificate_ids", certificate_types=["CSMSRootCertificate"])
            assert await cp.request("GetInstalledCertificateIds", number=number) == {"certificateType": ["CSMSRootCertificate"]}
            assert (await final(platform.api, listed["id"]))["status"] == "accepted"
            [row] = installed(platform, cp.id)
            command = act(platform.api, cp.id, "delete_certificate", installed_certificate=row["id"])
            # M04.FR.07: the hash data exactly as the station reported it (case, leading zeros).
            assert await cp.request("DeleteCertificate", number=number) == {"certificateHashData": camel(reported)}
            done = await final(platform.api, command["id"])
            assert (done["status"], done["result"]) == ("accepted", "Accepted")
            assert installed(platform, cp.id) == []


async def test_TC_M_21_delete_a_certificate_failed(platform):
    reported = hash_data()
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetInstalledCertificateIds"] = {
            "status": "Accepted",
            "certificate_hash_data_chain": [{"certificate_type": "CSMSRootCertificate", "certificate_hash_data": reported}],
        }
        cp.replies["DeleteCertificate"] = {"status": "Failed"}
        listed = act(platform.api, cp.id, "get_installed_certificate_ids")
        # Without a type the request omits certificateType: every type (M03.FR.01).
        assert await cp.request("GetInstalledCertificateIds") == {}
        await final(platform.api, listed["id"])
        [row] = installed(platform, cp.id)
        command = act(platform.api, cp.id, "delete_certificate", installed_certificate=row["id"])
        assert await cp.request("DeleteCertificate") == {"certificateHashData": camel(reported)}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"]) == ("rejected", "Failed")
    # The station still holds it: so does the platform's list.
    assert [r["serial_number"] for r in installed(platform, cp.id)] == [reported["serial_number"]]


# --- 1.6 Security Whitepaper certificates --------------------------------------------------------


@pytest.mark.parametrize(
    "certificate_type",
    [pytest.param("CentralSystemRootCertificate", id="TC_075_1"), pytest.param("ManufacturerRootCertificate", id="TC_075_2")],
)
async def test_TC_075_install_a_certificate_on_a_16_station(platform, certificate_type):
    pem = root_pem(f"{certificate_type} 1.6")
    async with station(platform, "1.6") as cp:
        command = act(platform.api, cp.id, "install_certificate", certificate_type=certificate_type, certificate=pem)
        assert await cp.request("InstallCertificate") == {"certificateType": certificate_type, "certificate": pem}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"]) == ("accepted", "Accepted")
        # 2.0.1-only root types are refused for a 1.6 station, before anything is sent.
        errors = act(platform.api, cp.id, "install_certificate", expect=400, certificate_type="V2GRootCertificate", certificate=pem)
        assert "OCPP 1.6 stations take CentralSystemRootCertificate, ManufacturerRootCertificate" in json.dumps(errors)


async def test_TC_076_delete_a_specific_certificate_from_a_16_station(platform):
    reported = hash_data(serial="00FF10")
    async with station(platform, "1.6") as cp:
        cp.replies["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data": [reported]}
        listed = act(platform.api, cp.id, "get_installed_certificate_ids", certificate_types="CentralSystemRootCertificate")
        assert await cp.request("GetInstalledCertificateIds") == {"certificateType": "CentralSystemRootCertificate"}
        assert (await final(platform.api, listed["id"]))["status"] == "accepted"
        [row] = installed(platform, cp.id)
        assert (row["certificate_type"], row["serial_number"]) == ("CentralSystemRootCertificate", "00FF10")
        command = act(platform.api, cp.id, "delete_certificate", installed_certificate=row["id"])
        assert await cp.request("DeleteCertificate") == {"certificateHashData": camel(reported)}
        assert (await final(platform.api, command["id"]))["result"] == "Accepted"
        assert installed(platform, cp.id) == []
        # 1.6 asks for one type at a time.
        errors = act(platform.api, cp.id, "get_installed_certificate_ids", expect=400)
        assert "OCPP 1.6 asks for exactly one certificate type" in json.dumps(errors)


# --- N: log uploads ------------------------------------------------------------------------------


def http_upload(url: str, body: bytes, *, method: str = "PUT", multipart_name: str | None = None) -> int:
    """Upload as a station does: a raw body, or multipart/form-data like curl -F."""
    headers = {"Content-Type": "application/octet-stream"}
    if multipart_name:
        boundary = secrets.token_hex(12)
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{multipart_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + body + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status


async def log_request(api: Api, identity: str, request_id: int, predicate: Callable[[dict], Any], what: str) -> dict:
    def matching(page: dict) -> Any:
        found = [r for r in page["results"] if r["request_id"] == request_id]
        return found and predicate(found[0])

    page = await until_api(api, f"/api/log_requests/?station={identity}", matching, what=what)
    return next(r for r in page["results"] if r["request_id"] == request_id)


def assert_download_is_scoped(platform: Platform, users: dict[str, Api], identity: str, log: dict, body: bytes) -> None:
    """Network members download the file from the API and from the console's station page; another
    network's operator gets 404 everywhere, as for anything of another network."""
    lena, otto = users["lena"], users["otto"]
    assert lena.get(f"/api/log_requests/{log['id']}/download/", expect=200).body == body
    assert otto.get(f"/api/log_requests/{log['id']}/download/").status == 404
    assert otto.get(f"/api/log_requests/{log['id']}/").status == 404
    assert all(r["id"] != log["id"] for r in otto.get("/api/log_requests/", expect=200).json()["results"])
    browser = AdminBrowser(platform.http_url).login("lena", USER_PASSWORD)
    page = browser.page(f"/console/stations/{identity}/logs/")
    link = re.search(rf'<tr class="log-request[^"]*" data-request-id="{log["request_id"]}">.*?href="([^"]+)"', page, re.S)
    assert link, page[-3000:]
    assert browser.get(link.group(1), expect=200).body == body
    stranger = AdminBrowser(platform.http_url).login("otto", USER_PASSWORD)
    assert stranger.get(link.group(1)).status == 404
    assert stranger.get(f"/console/stations/{identity}/logs/").status == 404


async def test_TC_N_25_retrieve_a_diagnostics_log(platform, users):
    body = b"2026-12-06T20:00:00Z boot ok\n" * 200
    async with station(platform, "2.0.1") as cp:
        command = act(users["lena"], cp.id, "get_log", log_type="DiagnosticsLog")
        request = await cp.request("GetLog")
        assert request == {
            "log": {"remoteLocation": request["log"]["remoteLocation"]},
            "logType": "DiagnosticsLog",
            "requestId": command["id"],
        }
        location = request["log"]["remoteLocation"]
        assert re.fullmatch(rf"{re.escape(platform.http_url)}/diagnostics/upload/{command['id']}-[0-9a-f]{{32}}/", location)
        assert (await final(platform.api, command["id"]))["result"] == "Accepted"
        await cp.call(call201.LogStatusNotification(status="Uploading", request_id=command["id"]))
        assert await asyncio.to_thread(http_upload, location, body) == 201
        await cp.call(call201.LogStatusNotification(status="Uploaded", request_id=command["id"]))
    log = await log_request(users["lena"], cp.id, command["id"], lambda r: r["status"] == "Uploaded", "the log uploaded")
    assert (log["log_type"], log["announced_filename"], log["size"]) == ("DiagnosticsLog", "station.log", len(body))
    assert [(e["source"], e["status"]) for e in log["events"]] == [
        ("answer", "Accepted"),
        ("LogStatusNotification", "Uploading"),
        ("upload", "Uploading"),
        ("LogStatusNotification", "Uploaded"),
    ]
    assert_download_is_scoped(platform, users, cp.id, log, body)


async def test_TC_N_34_retrieve_a_log_rejected(platform, users):
    async with station(platform, "2.0.1") as cp:
        cp.replies["GetLog"] = {"status": "Rejected"}
        command = act(users["lena"], cp.id, "get_log", log_type="DiagnosticsLog", retries=2, retry_interval=30)
        request = await cp.request("GetLog")
        assert (request["logType"], request["requestId"], request["retries"], request["retryInterval"]) == (
            "DiagnosticsLog", command["id"], 2, 30,
        )
        done = await final(platform.api, command["id"])
        assert (done["status"], done["result"]) == ("rejected", "Rejected")
    log = await log_request(users["lena"], cp.id, command["id"], lambda r: r["status"] == "Rejected", "the request rejected")
    assert log["failed"] and log["download_url"] is None


async def test_TC_N_35_retrieve_a_security_log(platform, users):
    body = secrets.token_bytes(5000)
    oldest = "2026-12-01T00:00:00Z"
    async with station(platform, "2.0.1") as cp:
        command = act(users["lena"], cp.id, "get_log", log_type="SecurityLog", oldest_timestamp=oldest)
        request = await cp.request("GetLog")
        assert (request["logType"], request["requestId"], request["log"]["oldestTimestamp"]) == ("SecurityLog", command["id"], oldest)
        await final(platform.api, command["id"])
        await cp.call(call201.LogStatusNotification(status="Uploading", request_id=command["id"]))
        # POST multipart/form-data this time, the way curl -F uploads.
        status = await asyncio.to_thread(http_upload, request["log"]["remoteLocation"], body, method="POST", multipart_name="security.log")
        assert status == 201
        await cp.call(call201.LogStatusNotification(status="Uploaded", request_id=command["id"]))
    log = await log_request(users["lena"], cp.id, command["id"], lambda r: r["status"] == "Uploaded", "the security log")
    assert (log["log_type"], log["filename"], log["size"]) == ("SecurityLog", "security.log", len(body))
    assert users["lena"].get(f"/api/log_requests/{log['id']}/download/", expect=200).body == body


async def test_TC_N_36_retrieve_a_log_second_request(platform, users):
    async with station(platform, "2.0.1") as cp:
        first = act(users["lena"], cp.id, "get_log", log_type="DiagnosticsLog")
        assert (await cp.request("GetLog"))["requestId"] == first["id"]
        await final(platform.api, first["id"])
        await cp.call(call201.LogStatusNotification(status="Uploading", request_id=first["id"]))
        cp.replies["GetLog"] = {"status": "AcceptedCanceled", "filename": "second.log"}
        second = act(users["lena"], cp.id, "get_log", log_type="DiagnosticsLog")
        request = await cp.request("GetLog", number=2)
        assert (request["requestId"], request["logType"]) == (second["id"], "DiagnosticsLog")
        assert request["log"]["remoteLocation"] != (await cp.request("GetLog"))["log"]["remoteLocation"]
        done = await final(platform.api, second["id"])
        # N01.FR.12: AcceptedCanceled accepts the new request.
        assert (done["status"], done["result"]) == ("accepted", "AcceptedCanceled")
        await cp.call(call201.LogStatusNotification(status="AcceptedCanceled", request_id=first["id"]))
        await cp.call(call201.LogStatusNotification(status="Uploading", request_id=second["id"]))
        await asyncio.to_thread(http_upload, request["log"]["remoteLocation"], b"second log")
        await cp.call(call201.LogStatusNotification(status="Uploaded", request_id=second["id"]))
    one = await log_request(users["lena"], cp.id, first["id"], lambda r: r["status"] == "AcceptedCanceled", "the first canceled")
    two = await log_request(users["lena"], cp.id, second["id"], lambda r: r["status"] == "Uploaded", "the second uploaded")
    assert one["download_url"] is None and one["failed"] is False
    assert [e["status"] for e in one["events"]] == ["Accepted", "Uploading", "AcceptedCanceled", "AcceptedCanceled"]
    assert [(e["source"], e["status"]) for e in two["events"]] == [
        ("answer", "Accepted"), ("LogStatusNotification", "Uploading"), ("upload", "Uploading"), ("LogStatusNotification", "Uploaded"),
    ]
    assert two["size"] == len(b"second log")
    # The canceled request's URL takes nothing any more.
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(http_upload, (await cp.request("GetLog"))["log"]["remoteLocation"], b"late")
    assert refused.value.code == 410


async def test_TC_045_1_get_diagnostics_of_a_16_station(platform, users):
    body = b"PK\x03\x04" + secrets.token_bytes(3000)
    async with station(platform, "1.6") as cp:
        command = act(users["lena"], cp.id, "get_diagnostics", retries=1, retry_interval=10, start_time="2026-12-05T00:00:00Z")
        request = await cp.request("GetDiagnostics")
        assert request == {
            "location": request["location"], "retries": 1, "retryInterval": 10, "startTime": "2026-12-05T00:00:00Z",
        }
        assert re.fullmatch(rf"{re.escape(platform.http_url)}/diagnostics/upload/{command['id']}-[0-9a-f]{{32}}/", request["location"])
        done = await final(platform.api, command["id"])
        assert (done["status"], done["answer"]) == ("accepted", {"fileName": "diagnostics.zip"})
        await cp.call(call16.DiagnosticsStatusNotification(status="Uploading"))
        # 1.6 §5.9 location is a directory: the station appends its file name and POSTs the file.
        assert await asyncio.to_thread(http_upload, request["location"] + "diagnostics.zip", body, method="POST") == 201
        await cp.call(call16.DiagnosticsStatusNotification(status="Uploaded"))
        # GetLog is a 2.0.1 and 1.6-security action; GetDiagnostics does not exist for 2.0.1.
    log = await log_request(users["lena"], cp.id, command["id"], lambda r: r["status"] == "Uploaded", "the diagnostics uploaded")
    assert (log["log_type"], log["filename"], log["size"]) == ("Diagnostics", "diagnostics.zip", len(body))
    assert [e["status"] for e in log["events"] if e["source"] == "DiagnosticsStatusNotification"] == ["Uploading", "Uploaded"]
    assert_download_is_scoped(platform, users, cp.id, log, body)


async def test_TC_079_get_the_security_log_of_a_16_station(platform, users):
    async with station(platform, "1.6") as cp:
        command = act(users["lena"], cp.id, "get_log", log_type="SecurityLog")
        request = await cp.request("GetLog")
        assert request == {"log": {"remoteLocation": request["log"]["remoteLocation"]}, "logType": "SecurityLog", "requestId": command["id"]}
        done = await final(platform.api, command["id"])
        assert (done["status"], done["answer"]) == ("accepted", {"status": "Accepted", "filename": "security.log"})
        await cp.call(call16.LogStatusNotification(status="Uploading", request_id=command["id"]))
        await asyncio.to_thread(http_upload, request["log"]["remoteLocation"], b"security events")
        await cp.call(call16.LogStatusNotification(status="Uploaded", request_id=command["id"]))
    log = await log_request(users["lena"], cp.id, command["id"], lambda r: r["status"] == "Uploaded", "the security log")
    assert (log["log_type"], log["filename"]) == ("SecurityLog", "security.log")


@pytest.mark.parametrize(("version", "action"), [("1.6", "get_diagnostics"), ("1.6", "get_log"), ("2.0.1", "get_log")])
async def test_the_simulator_uploads_its_log(platform, users, version, action):
    """`simulate_station` answers GetLog / GetDiagnostics and uploads over HTTP, as a real station does."""
    identity, password = unique_identity("SIMLOG"), station_password()
    platform.api.create_station(identity=identity, password=password, network=HOME)
    async with simulated_station(version, identity=identity, password=password, url=platform.ocpp_url) as sim:
        command = act(users["lena"], identity, action)
        await final(platform.api, command["id"])
        assert await asyncio.wait_for(sim.log_task, 15)
    log = await log_request(users["lena"], identity, command["id"], lambda r: r["status"] == "Uploaded", "the upload")
    body = users["lena"].get(f"/api/log_requests/{log['id']}/download/", expect=200).body
    assert identity.encode() in body and log["filename"].startswith(identity)


async def test_get_diagnostics_is_refused_for_a_201_station(platform, users):
    async with station(platform, "2.0.1") as cp:
        errors = act(users["lena"], cp.id, "get_diagnostics", expect=(400, 409))
        assert "get_diagnostics" in json.dumps(errors) or "1.6" in json.dumps(errors)


# --- L: firmware ---------------------------------------------------------------------------------


def signed_image(platform: Platform, image: bytes, *, version: str) -> dict:
    """Upload a signed image to the HOME network: ECDSA P-256 over SHA-256 of the image."""
    key = pki.generate_key("ec")
    certificate = pki.cert_pem(pki.build_ca(key=key, common_name="Firmware signing")).decode("ascii")
    signature = base64.b64encode(key.sign(image, ec.ECDSA(hashes.SHA256()))).decode("ascii")
    fields = {"network": HOME, "version": version, "signature": signature, "signing_certificate": certificate}
    boundary = secrets.token_hex(16)
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="octt-{version}.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + image + f"\r\n--{boundary}--\r\n".encode()
    created = _post_multipart(platform, body, boundary)
    assert (created["signature"], created["signing_certificate"].strip()) == (signature, certificate.strip())
    return created


def _post_multipart(platform: Platform, body: bytes, boundary: str) -> dict:
    request = urllib.request.Request(
        f"{platform.http_url}/api/firmware/",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Token {platform.token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def firmware_update(platform: Platform, update_id: int, predicate: Callable[[dict], Any], what: str) -> dict:
    return await until_api(platform.api, f"/api/firmware_updates/{update_id}/", predicate, what=what)


async def test_TC_L_02_secure_firmware_update_install_scheduled(platform):
    image = secrets.token_bytes(4096)
    firmware = signed_image(platform, image, version="2.1.0")
    retrieve_at = datetime.now(UTC).replace(microsecond=0)
    install_at = retrieve_at + timedelta(hours=3)
    async with station(platform, "2.0.1") as cp:
        update = platform.api.post(
            f"/api/charging_stations/{cp.id}/actions/update_firmware/",
            json_body={"firmware": firmware["id"], "retrieve_at": iso(retrieve_at), "install_at": iso(install_at)},
            expect=202,
        ).json()
        request = await cp.request("UpdateFirmware")
        location = request["firmware"]["location"]
        assert request == {
            "requestId": update["request_id"],
            "firmware": {
                "location": location,
                "retrieveDateTime": iso(retrieve_at),
                "installDateTime": iso(install_at),
                "signingCertificate": firmware["signing_certificate"],
                "signature": firmware["signature"],
            },
        }
        assert location.startswith(f"{platform.http_url}/firmware/download/")
        with urllib.request.urlopen(location, timeout=20) as response:
            assert response.read() == image
        # The station's answer is on the platform's timeline before its progress reports start.
        await firmware_update(platform, update["id"], lambda u: u["status"] == "Accepted", "the answer recorded")
        steps = ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing", "InstallRebooting"]
        for status in steps:
            await cp.call(call201.FirmwareStatusNotification(status=status, request_id=update["request_id"]))
    shown = await firmware_update(platform, update["id"], lambda u: u["status"] == "InstallRebooting", "InstallRebooting")
    assert datetime.fromisoformat(shown["install_at"]) == install_at
    assert [e["status"] for e in shown["timeline"]] == ["Requested", "Accepted", *steps]


async def test_TC_080_secure_firmware_update_on_a_16_station(platform):
    image = secrets.token_bytes(4096)
    firmware = signed_image(platform, image, version="1.6.1")
    async with station(platform, "1.6") as cp:
        update = platform.api.post(
            f"/api/charging_stations/{cp.id}/actions/update_firmware/",
            json_body={"firmware": firmware["id"], "signed_update": True, "retries": 2, "retry_interval": 60},
            expect=202,
        ).json()
        request = await cp.request("SignedUpdateFirmware")
        assert request == {
            "requestId": update["request_id"],
            "firmware": {
                "location": request["firmware"]["location"],
                "retrieveDateTime": request["firmware"]["retrieveDateTime"],
                "signingCertificate": firmware["signing_certificate"],
                "signature": firmware["signature"],
            },
            "retries": 2,
            "retryInterval": 60,
        }
        with urllib.request.urlopen(request["firmware"]["location"], timeout=20) as response:
            assert response.read() == image
        await firmware_update(platform, update["id"], lambda u: u["status"] == "Accepted", "the answer recorded")
        steps = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"]
        for status in steps:
            await cp.call(call16.SignedFirmwareStatusNotification(status=status, request_id=update["request_id"]))
    shown = await firmware_update(platform, update["id"], lambda u: u["finished"], "the update finished")
    assert (shown["status"], shown["failed"], shown["signed_update"]) == ("Installed", False, True)
    assert [e["status"] for e in shown["timeline"]] == ["Requested", "Accepted", *steps]


async def test_TC_081_secure_firmware_update_invalid_signature_on_a_16_station(platform):
    firmware = signed_image(platform, secrets.token_bytes(2048), version="1.6.2")
    async with station(platform, "1.6") as cp:
        update = platform.api.post(
            f"/api/charging_stations/{cp.id}/actions/update_firmware/",
            json_body={"firmware": firmware["id"], "signed_update": True},
            expect=202,
        ).json()
        request = await cp.request("SignedUpdateFirmware")
        assert (request["requestId"], request["firmware"]["signature"]) == (update["request_id"], firmware["signature"])
        for status in ["Downloading", "Downloaded", "InvalidSignature"]:
            await cp.call(call16.SignedFirmwareStatusNotification(status=status, request_id=update["request_id"]))
        await cp.call(
            call16.SecurityEventNotification(
                type="InvalidFirmwareSignature", timestamp=iso(datetime.now(UTC)), tech_info="signature mismatch"
            )
        )
    shown = await firmware_update(platform, update["id"], lambda u: u["finished"], "the update failed")
    assert (shown["status"], shown["failed"]) == ("InvalidSignature", True)
    # Without signed_update a 1.6 station gets the plain UpdateFirmware, which has no install time.
    errors = platform.api.post(
        f"/api/charging_stations/{cp.id}/actions/update_firmware/",
        json_body={"firmware": firmware["id"], "install_at": iso(datetime.now(UTC) + timedelta(hours=1))},
        expect=400,
    ).json()
    assert "install time goes only with a signed update" in json.dumps(errors)
