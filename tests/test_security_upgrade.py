"""Security-profile upgrades and password rotation, end to end: API → Commands → daphne → station,
with nginx terminating TLS for the profiles 2 and 3 the station is moved to.

The stations here are scripted with the `ocpp` library as a real one behaves: a 2.0.1 station keeps
network profiles in slots and connects along NetworkConfigurationPriority, falling back to the next
slot when a connection fails (2.0.1 B10); a 1.6 station with the security extension reconnects on
the profile ChangeConfiguration(SecurityProfile) sets.
"""
from __future__ import annotations

import asyncio
import re
import ssl
import tempfile
import time
from pathlib import Path

import pytest
import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from certificates import pki
from simulator import basic_auth_header
from tests.servers import Platform, free_port, station_password, unique_identity
from tests.tls_servers import Nginx, client_context

pytestmark = pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx is not installed")


def _secure_platform(tmp_path_factory, *, redis_url: str | None = None):
    nginx_port = free_port()
    platform = Platform.create(
        tmp_path_factory.mktemp("upgrade-platform"),
        redis_url=redis_url,
        env={
            "OCPP_TRUSTED_PROXIES": "127.0.0.1",
            "OCPP_AUTH_FAILURES_PER_MINUTE": "10000",
            "OCPP_TLS_PUBLIC_URL": f"wss://127.0.0.1:{nginx_port}/ocpp/",
            # The tests' admin client speaks plain HTTP to daphne beside nginx: no Secure cookies.
            "SECURE_COOKIES": "false",
            "OCPP_CALL_TIMEOUT": "10",
        },
    )
    nginx = None
    try:
        platform.manage("init_pki", "--hostname", "127.0.0.1")
        platform.start_daphne()
        if redis_url:
            platform.start_worker()
        nginx = Nginx.start(pki_dir=platform.var_dir / "pki", upstream_port=platform.port, port=nginx_port)
        platform.nginx = nginx
        yield platform
    finally:
        if nginx is not None:
            nginx.stop()
        platform.stop()


@pytest.fixture(scope="module")
def secure_platform(tmp_path_factory):
    """The embedded setup: in-memory channel layer, Celery tasks run in-process."""
    yield from _secure_platform(tmp_path_factory)


@pytest.fixture(scope="module")
def worker_platform(tmp_path_factory, redis_server):
    """Production's shape: channels-redis, a Redis broker and a Celery worker delivering the commands."""
    yield from _secure_platform(tmp_path_factory, redis_url=redis_server.url())


def create_station(platform: Platform) -> tuple[str, str]:
    identity = unique_identity("UPG")
    password = station_password()
    platform.api.create_station(identity=identity, password=password, network=platform.api.ensure_network("Upgrades")["name"])
    return identity, password


def hash_data(pem: str) -> dict:
    return pki.certificate_hash_data(pki.load_certificate(pem.encode()))


def snake(data: dict) -> dict:
    names = {"hashAlgorithm": "hash_algorithm", "issuerNameHash": "issuer_name_hash", "issuerKeyHash": "issuer_key_hash", "serialNumber": "serial_number"}
    return {names.get(k, k): v for k, v in data.items()}


class ScriptedStation:
    """Connection handling shared by both versions: slots of (url, profile), a trust store, a key."""

    def __init__(self, identity: str, password: str, plain_url: str):
        self.identity = identity
        self.password = password
        self.key = pki.generate_key()
        self.certificate: str | None = None
        self.trusted: list[str] = []
        self.profiles: dict[int, dict] = {0: {"url": plain_url, "profile": 1}}
        self.priority = [0]
        self.connections: list[tuple[int, int]] = []  # (slot, profile) of each connection made
        self.cp = None
        self.reader: asyncio.Task | None = None
        self.ws = None
        self.tasks: set[asyncio.Task] = set()
        self.csr_answers: list[str] = []

    def delete_trusted(self, data: dict) -> str:
        for pem in self.trusted:
            if snake(hash_data(pem)) == data:
                self.trusted.remove(pem)
                return "Accepted"
        return "NotFound"

    def spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def context_for(self, profile: int) -> ssl.SSLContext | None:
        if profile == 1:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata="".join(self.trusted) or None)
        if profile == 3 and self.certificate:
            directory = Path(tempfile.mkdtemp())
            (directory / "c.pem").write_text(self.certificate)
            (directory / "k.pem").write_bytes(pki.key_pem(self.key))
            context.load_cert_chain(directory / "c.pem", directory / "k.pem")
        return context

    async def connect(self) -> None:
        """Connect along the priority list; the first slot that works wins (2.0.1 B10)."""
        errors = []
        for slot in self.priority:
            entry = self.profiles[slot]
            headers = {} if entry["profile"] == 3 else {"Authorization": basic_auth_header(self.identity, self.password)}
            try:
                self.ws = await websockets.connect(
                    entry["url"] + self.identity,
                    ssl=self.context_for(entry["profile"]),
                    subprotocols=[self.subprotocol],
                    additional_headers=headers,
                    open_timeout=5,
                )
            except Exception as exc:  # noqa: BLE001 - a failed slot is expected; the next one is tried
                errors.append(f"slot {slot}: {exc!r}")
                continue
            self.cp = self.charge_point_class(self.identity, self.ws, response_timeout=15)
            self.cp.station = self
            self.reader = asyncio.create_task(self.cp.start())
            self.connections.append((slot, entry["profile"]))
            await self.boot()
            return
        raise AssertionError(f"no slot connected: {errors}")

    async def reconnect(self) -> None:
        await asyncio.sleep(0.3)
        if self.reader:
            self.reader.cancel()
        await self.ws.close()
        await self.connect()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()


class Handlers201(ChargePoint201):
    station: Station201

    @on("GetBaseReport")
    async def on_get_base_report(self, request_id, report_base, **kwargs):
        return result201.GetBaseReport(status="Accepted")

    @on("GetVariables")
    async def on_get_variables(self, get_variable_data, **kwargs):
        results = []
        for item in get_variable_data:
            known = item["variable"]["name"] == "NetworkConfigurationPriority"
            results.append(
                {
                    "attribute_status": "Accepted" if known else "UnknownVariable",
                    "attribute_value": ",".join(map(str, self.station.priority)) if known else None,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return result201.GetVariables(get_variable_result=[{k: v for k, v in r.items() if v is not None} for r in results])

    @on("InstallCertificate")
    async def on_install_certificate(self, certificate_type, certificate, **kwargs):
        assert certificate_type == "CSMSRootCertificate"
        self.station.trusted.append(certificate)
        return result201.InstallCertificate(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger_message(self, requested_message, **kwargs):
        return result201.TriggerMessage(status="Accepted")

    @on("GetInstalledCertificateIds")
    async def on_get_installed_certificate_ids(self, certificate_type=None, **kwargs):
        chain = [
            {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": snake(hash_data(pem))}
            for pem in self.station.trusted
        ]
        if not chain:
            return result201.GetInstalledCertificateIds(status="NotFound")
        return result201.GetInstalledCertificateIds(status="Accepted", certificate_hash_data_chain=chain)

    @on("DeleteCertificate")
    async def on_delete_certificate(self, certificate_hash_data, **kwargs):
        return result201.DeleteCertificate(status=self.station.delete_trusted(certificate_hash_data))

    @after("TriggerMessage")
    async def after_trigger_message(self, requested_message, **kwargs):
        if requested_message == "SignChargingStationCertificate":
            csr = pki.build_csr(key=self.station.key, common_name=self.station.identity)

            async def send():
                answer = await self.call(call201.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate"))
                self.station.csr_answers.append(answer.status)

            self.station.spawn(send())

    @on("CertificateSigned")
    async def on_certificate_signed(self, certificate_chain, **kwargs):
        self.station.certificate = certificate_chain
        return result201.CertificateSigned(status="Accepted")

    @on("SetNetworkProfile")
    async def on_set_network_profile(self, configuration_slot, connection_data, **kwargs):
        self.station.profiles[configuration_slot] = {
            "url": connection_data["ocpp_csms_url"], "profile": connection_data["security_profile"]
        }
        return result201.SetNetworkProfile(status="Accepted")

    @on("SetVariables")
    async def on_set_variables(self, set_variable_data, **kwargs):
        results = []
        for item in set_variable_data:
            status = "UnknownVariable"
            if item["variable"]["name"] == "NetworkConfigurationPriority":
                slots = [int(s) for s in item["attribute_value"].split(",")]
                if all(s in self.station.profiles for s in slots):
                    self.station.priority = slots
                    status = "Accepted"
                else:
                    status = "Rejected"
            elif item["variable"]["name"] == "BasicAuthPassword":
                self.station.password = item["attribute_value"]
                status = "Accepted"
            results.append({"attribute_status": status, "component": item["component"], "variable": item["variable"]})
        return result201.SetVariables(set_variable_result=results)

    @on("Reset")
    async def on_reset(self, type, **kwargs):
        return result201.Reset(status="Accepted")

    @after("Reset")
    async def after_reset(self, type, **kwargs):
        self.station.spawn(self.station.reconnect())


class Station201(ScriptedStation):
    subprotocol = "ocpp2.0.1"
    charge_point_class = Handlers201

    async def boot(self) -> None:
        answer = await self.cp.call(
            call201.BootNotification(charging_station={"vendor_name": "Sim", "model": "Upgrade"}, reason="PowerUp")
        )
        assert answer.status == "Accepted"


class Handlers16(ChargePoint16):
    station: Station16

    @on("GetConfiguration")
    async def on_get_configuration(self, **kwargs):
        return result16.GetConfiguration(configuration_key=[], unknown_key=[])

    @on("InstallCertificate")
    async def on_install_certificate(self, certificate_type, certificate, **kwargs):
        assert certificate_type == "CentralSystemRootCertificate"
        self.station.trusted.append(certificate)
        return result16.InstallCertificate(status="Accepted")

    @on("GetInstalledCertificateIds")
    async def on_get_installed_certificate_ids(self, certificate_type, **kwargs):
        data = [snake(hash_data(pem)) for pem in self.station.trusted]
        if not data:
            return result16.GetInstalledCertificateIds(status="NotFound")
        return result16.GetInstalledCertificateIds(status="Accepted", certificate_hash_data=data)

    @on("DeleteCertificate")
    async def on_delete_certificate(self, certificate_hash_data, **kwargs):
        return result16.DeleteCertificate(status=self.station.delete_trusted(certificate_hash_data))

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key, value, **kwargs):
        if key == "SecurityProfile":
            self.station.pending_profile = int(value)
        elif key == "AuthorizationKey":
            # The key arrives in hex; Basic auth carries its bytes (1.6 Security Whitepaper §3).
            self.station.password = bytes.fromhex(value).decode("utf-8")
        else:
            return result16.ChangeConfiguration(status="NotSupported")
        return result16.ChangeConfiguration(status="Accepted")

    @after("ChangeConfiguration")
    async def after_change_configuration(self, key, value, **kwargs):
        if key == "SecurityProfile":
            # Whitepaper: the Charge Point reconnects with the new profile (here: the wss:// URL it
            # was configured with), and falls back to the old one if that fails.
            self.station.profiles = {1: {"url": self.station.tls_url, "profile": int(value)}, **self.station.profiles}
            self.station.priority = [1, 0]
            self.station.spawn(self.station.reconnect())


class Station16(ScriptedStation):
    subprotocol = "ocpp1.6"
    charge_point_class = Handlers16
    tls_url = ""

    async def boot(self) -> None:
        answer = await self.cp.call(call16.BootNotification(charge_point_vendor="Sim", charge_point_model="Upgrade"))
        assert answer.status == "Accepted"


async def wait_upgrade(platform: Platform, upgrade_id: int, *, timeout: float = 40) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        upgrade = await asyncio.to_thread(platform.api.get, f"/api/security_upgrades/{upgrade_id}/", expect=200)
        data = upgrade.json()
        if data["status"] != "running" or time.monotonic() > deadline:
            return data
        await asyncio.sleep(0.3)


def security(platform: Platform, identity: str) -> dict:
    return platform.api.get(f"/api/charging_stations/{identity}/security/", expect=200).json()


def start_upgrade(platform: Platform, identity: str, target: int) -> dict:
    return platform.api.post(
        f"/api/charging_stations/{identity}/security/upgrade/", json_body={"target_profile": target}, expect=202
    ).json()


async def test_a_2_0_1_station_is_upgraded_from_profile_1_to_2_to_3(secure_platform):
    platform = secure_platform
    identity, password = create_station(platform)
    station = Station201(identity, password, platform.ocpp_url)
    try:
        await station.connect()
        await asyncio.sleep(0.5)  # let the platform record the station as connected

        upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, 2)["id"])
        assert upgrade["status"] == "succeeded", upgrade
        assert [s["key"] for s in upgrade["steps"]] == [
            "priority", "install_ca", "network_profile", "priority_set", "reset", "reconnect",
        ]
        assert all(s["status"] == "done" for s in upgrade["steps"])
        assert station.priority == [1, 0]
        assert station.connections[-1] == (1, 2)
        state = security(platform, identity)
        assert state["minimum_profile"] == 2
        assert state["connection"]["profile"] == 2

        upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, 3)["id"])
        assert upgrade["status"] == "succeeded", upgrade
        assert [s["key"] for s in upgrade["steps"]] == [
            "priority", "install_ca", "csr", "certificate", "network_profile", "priority_set", "reset", "reconnect",
        ]
        assert station.csr_answers == ["Accepted"]
        assert station.priority == [2, 1, 0]
        assert station.connections[-1] == (2, 3)
        state = security(platform, identity)
        assert state["minimum_profile"] == 3
        assert state["connection"] == {**state["connection"], "profile": 3, "client_certificate_cn": identity}
        assert state["certificate_requests"][0]["status"] == "delivered"
    finally:
        await station.close()

    # No downgrade: its old password on plain ws (profile 1) or wss (profile 2) is refused now.
    for url, context in ((platform.ocpp_url, None), (platform.nginx.ocpp_url, client_context(station.trusted[0].encode()))):
        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(
                url + identity, ssl=context, subprotocols=["ocpp2.0.1"],
                additional_headers={"Authorization": basic_auth_header(identity, password)},
            ):
                pass
    assert "downgrade refused" in platform.api.station(identity)["last_connection_error"]


async def test_a_failed_upgrade_leaves_the_station_on_its_old_profile(secure_platform):
    platform = secure_platform
    identity, password = create_station(platform)
    station = Station201(identity, password, platform.ocpp_url)
    # This station's TLS stack rejects the platform CA (say, an unsupported key type): the new
    # slot fails and it falls back to slot 0.
    station.context_for = lambda profile: (_ for _ in ()).throw(ssl.SSLError("unsupported CA")) if profile > 1 else None
    try:
        await station.connect()
        await asyncio.sleep(0.5)
        upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, 2)["id"])
        assert upgrade["status"] == "failed"
        assert upgrade["steps"][-1] == {**upgrade["steps"][-1], "key": "reconnect", "status": "failed", "detail": "came back on profile 1"}
        assert "stays on security profile 1" in upgrade["error"]
        assert station.connections[-1] == (0, 1)
        state = security(platform, identity)
        assert state["minimum_profile"] == 1
        assert state["connection"]["profile"] == 1
        assert station.cp is not None
        # Still reachable: the platform can talk to it on profile 1.
        assert platform.api.station(identity)["connected"] is True
    finally:
        await station.close()


async def test_a_1_6_station_with_the_security_extension_is_upgraded_to_profile_2(secure_platform):
    platform = secure_platform
    identity, password = create_station(platform)
    station = Station16(identity, password, platform.ocpp_url)
    station.tls_url = platform.nginx.ocpp_url
    try:
        await station.connect()
        await asyncio.sleep(0.5)
        upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, 2)["id"])
        assert upgrade["status"] == "succeeded", upgrade
        assert [s["key"] for s in upgrade["steps"]] == ["install_ca", "security_profile", "reconnect"]
        assert station.connections[-1] == (1, 2)
        assert security(platform, identity)["minimum_profile"] == 2
    finally:
        await station.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_password_rotation_retires_the_old_password_once_the_station_accepts(secure_platform, version):
    platform = secure_platform
    identity, password = create_station(platform)
    station = (Station16 if version == "1.6" else Station201)(identity, password, platform.ocpp_url)
    try:
        await station.connect()
        await asyncio.sleep(0.5)
        rotation = platform.api.post(f"/api/charging_stations/{identity}/security/rotate_password/", expect=202).json()
        deadline = time.monotonic() + 20
        while rotation["status"] == "pending" and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
            rotation = next(r for r in security(platform, identity)["password_rotations"] if r["id"] == rotation["id"])
        assert rotation["status"] == "accepted", rotation
        assert station.password != password and len(station.password) == 20
    finally:
        await station.close()

    async def login(secret: str) -> None:
        async with websockets.connect(
            platform.ocpp_url + identity, subprotocols=[station.subprotocol],
            additional_headers={"Authorization": basic_auth_header(identity, secret)},
        ):
            pass

    with pytest.raises(websockets.InvalidStatus):
        await login(password)
    await login(station.password)
    # The new password rests neither in the command that carried it nor in the message log.
    commands = platform.api.get(f"/api/charging_stations/{identity}/commands/", expect=200).text
    assert station.password not in commands
    admin = platform.admin()
    listing = admin.page(f"/admin/ocpp_gateway/message/?q={identity}")
    pages = [admin.page(f"/admin/ocpp_gateway/message/{pk}/change/") for pk in set(re.findall(r"/admin/ocpp_gateway/message/(\d+)/change/", listing))]
    assert pages
    secret_forms = (station.password, station.password.encode().hex(), station.password.encode().hex().upper())
    assert not [page for page in pages if any(secret in page for secret in secret_forms)]
    assert any("&lt;redacted&gt;" in page for page in pages)


async def wait_command(platform: Platform, command_id: int) -> dict:
    deadline = time.monotonic() + 20
    while True:
        command = platform.api.get(f"/api/commands/{command_id}/", expect=200).json()
        if command["status"] not in ("queued", "sent") or time.monotonic() > deadline:
            return command
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_the_ca_is_installed_listed_and_deleted_on_the_station(secure_platform, version):
    platform = secure_platform
    identity, password = create_station(platform)
    station = (Station16 if version == "1.6" else Station201)(identity, password, platform.ocpp_url)

    def act(action: str, **body) -> dict:
        return platform.api.post(f"/api/charging_stations/{identity}/security/{action}/", json_body=body, expect=202).json()

    try:
        await station.connect()
        await asyncio.sleep(0.5)
        assert (await wait_command(platform, act("install_ca")["command"]))["status"] == "accepted"
        ca_pem = platform.api.get("/pki/ca.pem", expect=200).text
        assert station.trusted == [ca_pem]

        assert (await wait_command(platform, act("refresh_certificates")["command"]))["status"] == "accepted"
        installed = security(platform, identity)["installed_certificates"]
        assert [(c["is_platform_ca"], c["serial_number"]) for c in installed] == [
            (True, hash_data(ca_pem)["serialNumber"])
        ]

        assert (await wait_command(platform, act("delete_certificate", id=installed[0]["id"])["command"]))["status"] == "accepted"
        assert station.trusted == []
        assert security(platform, identity)["installed_certificates"] == []
    finally:
        await station.close()


async def test_with_a_celery_worker_a_2_0_1_station_is_upgraded_to_profile_2(worker_platform):
    platform = worker_platform
    identity, password = create_station(platform)
    station = Station201(identity, password, platform.ocpp_url)
    try:
        await station.connect()
        await asyncio.sleep(0.5)
        upgrade = await wait_upgrade(platform, start_upgrade(platform, identity, 2)["id"])
        assert upgrade["status"] == "succeeded", upgrade
        assert station.connections[-1] == (1, 2)
        assert security(platform, identity)["minimum_profile"] == 2
        commands = platform.api.get(f"/api/charging_stations/{identity}/commands/", expect=200).json()["results"]
        assert {c["action"] for c in commands} >= {"security_install_ca", "security_network_profile", "reset"}
    finally:
        await station.close()
