"""Security profiles 2 and 3 over real TLS: nginx with deploy/nginx-switch.conf in front of daphne.

The stations are the `ocpp` library's ChargePoint over `websockets` with an ssl context, as a
station that had the platform CA installed (InstallCertificate) would connect.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import ssl
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from certificates import pki
from simulator import basic_auth_header
from tests.servers import Platform, free_port, station_password, unique_identity
from tests.tls_servers import NGINX, Nginx, client_context

pytestmark = pytest.mark.skipif(not Path(NGINX).exists() and not shutil.which("nginx"), reason="nginx is not installed")


@dataclass
class TlsPlatform:
    platform: Platform
    nginx: Nginx
    ca_pem: bytes
    ca_cert: object
    ca_key: object

    def station_certificate(self, identity: str, *, ca_cert=None, ca_key=None) -> tuple[bytes, bytes]:
        """A client certificate as SignCertificate would issue it (or from another CA, for the refusals)."""
        key = pki.generate_key()
        csr = pki.build_csr(key=key, common_name=identity)
        cert = pki.sign_csr(csr_pem=csr, ca_cert=ca_cert or self.ca_cert, ca_key=ca_key or self.ca_key, identity=identity)
        return pki.cert_pem(cert), pki.key_pem(key)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> TlsPlatform:
    nginx_port = free_port()
    platform = Platform.create(
        tmp_path_factory.mktemp("tls-platform"),
        env={
            "OCPP_TRUSTED_PROXIES": "127.0.0.1",
            "OCPP_AUTH_FAILURES_PER_MINUTE": "10000",
            "OCPP_TLS_PUBLIC_URL": f"wss://127.0.0.1:{nginx_port}/ocpp/",
            # The tests' admin client speaks plain HTTP to daphne beside nginx: no Secure cookies.
            "SECURE_COOKIES": "false",
        },
    )
    nginx = None
    try:
        platform.manage("init_pki", "--hostname", "127.0.0.1", "--hostname", "localhost")
        platform.start_daphne()
        nginx = Nginx.start(pki_dir=platform.var_dir / "pki", upstream_port=platform.port, port=nginx_port)
        paths = pki.PkiPaths(platform.var_dir / "pki")
        ca_pem = paths.ca_cert.read_bytes()
        yield TlsPlatform(
            platform=platform,
            nginx=nginx,
            ca_pem=ca_pem,
            ca_cert=pki.load_certificate(ca_pem),
            ca_key=pki.load_private_key(paths.ca_key.read_bytes()),
        )
    finally:
        if nginx is not None:
            nginx.stop()
        platform.stop()


def new_station(tls: TlsPlatform, *, security_profile: int = 1) -> tuple[str, str]:
    api = tls.platform.api
    network = api.ensure_network("TLS")["name"]
    identity = unique_identity("TLS")
    password = station_password()
    api.create_station(identity=identity, password=password, network=network, security_profile=security_profile)
    return identity, password


async def boot(url: str, identity: str, *, context: ssl.SSLContext | None, password: str | None = None) -> str:
    """Connect as a 1.6 station and send BootNotification; returns its status. Raises on a refused upgrade."""
    headers = {"Authorization": basic_auth_header(identity, password)} if password else {}
    async with websockets.connect(
        url + identity, ssl=context, subprotocols=["ocpp1.6"], additional_headers=headers, open_timeout=10
    ) as ws:
        cp = ChargePoint16(identity, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            response = await cp.call(call16.BootNotification(charge_point_vendor="Sim", charge_point_model="TLS"))
        finally:
            reader.cancel()
        return response.status


async def refused(url: str, identity: str, *, context: ssl.SSLContext | None, password: str | None = None) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        await boot(url, identity, context=context, password=password)
    return info.value.response.status_code


def profile_shown(tls: TlsPlatform, identity: str) -> str:
    """The security profile of the station's latest connection, as the admin list shows it."""
    page = tls.platform.admin().page(f"/admin/certificates/connectionsecurity/?q={identity}")
    assert identity in page, page[:2000]
    return page


def refusal_shown(tls: TlsPlatform, identity: str) -> str:
    return tls.platform.api.station(identity)["last_connection_error"]


def test_the_ca_certificate_is_downloadable_over_https(tls):
    # The platform CA as the only trust anchor: the server certificate nginx presents chains to it.
    with urllib.request.urlopen(f"{tls.nginx.https_url}/pki/ca.pem", context=client_context(tls.ca_pem), timeout=10) as response:
        assert response.status == 200
        assert response.read() == tls.ca_pem


async def test_profile_2_with_the_right_password_is_accepted(tls):
    identity, password = new_station(tls, security_profile=2)
    status = await boot(tls.nginx.ocpp_url, identity, context=client_context(tls.ca_pem), password=password)
    assert status in ("Accepted", "Pending")
    assert "2 - wss:// with Basic auth" in profile_shown(tls, identity)


async def test_profile_2_with_a_wrong_password_is_refused(tls):
    identity, _ = new_station(tls, security_profile=2)
    status = await refused(tls.nginx.ocpp_url, identity, context=client_context(tls.ca_pem), password="not-the-password-0001")
    assert status == 401
    assert "wrong password" in refusal_shown(tls, identity)


async def test_profile_3_with_a_certificate_for_the_identity_needs_no_password(tls):
    identity, _ = new_station(tls, security_profile=3)
    cert, key = tls.station_certificate(identity)
    status = await boot(tls.nginx.ocpp_url, identity, context=client_context(tls.ca_pem, cert_pem=cert, key_pem=key))
    assert status in ("Accepted", "Pending")
    assert "3 - wss:// with client certificate" in profile_shown(tls, identity)


async def test_profile_3_with_another_stations_certificate_is_refused(tls):
    identity, password = new_station(tls, security_profile=3)
    other, _ = new_station(tls, security_profile=3)
    cert, key = tls.station_certificate(other)
    context = client_context(tls.ca_pem, cert_pem=cert, key_pem=key)
    assert await refused(tls.nginx.ocpp_url, identity, context=context, password=password) == 401
    assert f"client certificate is for '{other}', not '{identity}'" in refusal_shown(tls, identity)


async def test_profile_3_with_a_certificate_from_another_ca_is_refused(tls):
    identity, password = new_station(tls, security_profile=3)
    rogue_key = pki.generate_key()
    rogue_ca = pki.build_ca(key=rogue_key, common_name="Rogue Root")
    cert, key = tls.station_certificate(identity, ca_cert=rogue_ca, ca_key=rogue_key)
    context = client_context(tls.ca_pem, cert_pem=cert, key_pem=key)
    assert await refused(tls.nginx.ocpp_url, identity, context=context, password=password) == 401
    assert "client certificate did not verify against the platform CA" in refusal_shown(tls, identity)


async def test_profile_3_without_a_certificate_is_refused_even_with_the_password(tls):
    identity, password = new_station(tls, security_profile=3)
    assert await refused(tls.nginx.ocpp_url, identity, context=client_context(tls.ca_pem), password=password) == 401
    assert (
        "downgrade refused: connected on security profile 2, the station requires at least 3"
        in refusal_shown(tls, identity)
    )
    assert await refused(tls.nginx.ocpp_url, identity, context=client_context(tls.ca_pem)) == 401
    assert "no HTTP Basic credentials and no client certificate" in refusal_shown(tls, identity)


async def test_a_profile_2_station_is_refused_on_plain_ws(tls):
    identity, password = new_station(tls, security_profile=2)
    assert await refused(tls.platform.ocpp_url, identity, context=None, password=password) == 401
    assert (
        "downgrade refused: connected on security profile 1, the station requires at least 2"
        in refusal_shown(tls, identity)
    )


async def test_forged_certificate_headers_on_plain_ws_count_for_nothing(tls):
    """daphne's own port is reachable: headers claiming a verified certificate must not be believed
    from anyone but the proxy (the test connects from 127.0.0.1 with X-Forwarded-For spoofed)."""
    identity, _ = new_station(tls, security_profile=3)
    forged = {
        "X-Forwarded-For": "127.0.0.1",
        "X-Forwarded-Proto": "https",
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-S-DN": f"CN={identity}",
    }
    # The trusted proxy is 127.0.0.1: the forger connects from another loopback address.
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(
            tls.platform.ocpp_url + identity,
            subprotocols=["ocpp1.6"],
            additional_headers=forged,
            open_timeout=10,
            local_addr=("127.0.0.2", 0),
        ):
            pass
    assert info.value.response.status_code == 401
    assert "no HTTP Basic credentials and no client certificate" in refusal_shown(tls, identity)


# --- SignCertificate over profile 2, then profile 3 with the certificate it produced -------------


def _csr_station(base, results):
    """A station with the security extension (1.6) or 2.0.1: keeps what CertificateSigned delivers."""

    class CsrStation(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.chains: asyncio.Queue[str] = asyncio.Queue()

        @on("CertificateSigned")
        async def on_certificate_signed(self, certificate_chain: str, **kwargs):
            self.chains.put_nowait(certificate_chain)
            return results.CertificateSigned(status="Accepted")

    return CsrStation


CsrStation16 = _csr_station(ChargePoint16, result16)
CsrStation201 = _csr_station(ChargePoint201, result201)


@contextlib.asynccontextmanager
async def station_session(url: str, identity: str, *, version: str, context, password: str | None = None):
    headers = {"Authorization": basic_auth_header(identity, password)} if password else {}
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with websockets.connect(
        url + identity, ssl=context, subprotocols=[subprotocol], additional_headers=headers, open_timeout=10
    ) as ws:
        cp = (CsrStation16 if version == "1.6" else CsrStation201)(identity, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            if version == "1.6":
                booted = await cp.call(call16.BootNotification(charge_point_vendor="Sim", charge_point_model="TLS"))
            else:
                booted = await cp.call(
                    call201.BootNotification(charging_station={"vendor_name": "Sim", "model": "TLS"}, reason="PowerUp")
                )
            assert booted.status == "Accepted"
            yield cp
        finally:
            reader.cancel()


async def sign_certificate(cp, csr: str, version: str) -> str:
    request = call16.SignCertificate(csr=csr) if version == "1.6" else call201.SignCertificate(csr=csr)
    return (await cp.call(request)).status


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_profile_2_station_gets_its_certificate_signed_and_reconnects_on_profile_3(tls, version):
    identity, password = new_station(tls, security_profile=2)
    key = pki.generate_key()
    async with station_session(
        tls.nginx.ocpp_url, identity, version=version, context=client_context(tls.ca_pem), password=password
    ) as cp:
        assert await sign_certificate(cp, pki.build_csr(key=key, common_name=identity), version) == "Accepted"
        chain = await asyncio.wait_for(cp.chains.get(), 15)
    certificate = pki.load_certificate(chain.encode())
    assert pki.signed_by(certificate, tls.ca_cert)
    assert pki.common_names(certificate.subject) == [identity]

    context = client_context(tls.ca_pem, cert_pem=chain.encode(), key_pem=pki.key_pem(key))
    async with station_session(tls.nginx.ocpp_url, identity, version=version, context=context):
        pass
    assert "3 - wss:// with client certificate" in profile_shown(tls, identity)
    page = tls.platform.admin().page(f"/admin/certificates/certificaterequest/?q={identity}")
    assert "Accepted by the station" in page


async def test_a_csr_for_another_identity_is_rejected_and_nothing_is_signed(tls):
    identity, password = new_station(tls, security_profile=2)
    async with station_session(
        tls.nginx.ocpp_url, identity, version="2.0.1", context=client_context(tls.ca_pem), password=password
    ) as cp:
        csr = pki.build_csr(key=pki.generate_key(), common_name="SOMEONE-ELSE")
        assert await sign_certificate(cp, csr, "2.0.1") == "Rejected"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(cp.chains.get(), 2)
    page = tls.platform.admin().page(f"/admin/certificates/certificaterequest/?q={identity}")
    assert "is not the station identity" in page


async def test_a_security_event_over_tls_is_shown_on_the_station_page(tls):
    identity, password = new_station(tls, security_profile=2)
    async with station_session(
        tls.nginx.ocpp_url, identity, version="2.0.1", context=client_context(tls.ca_pem), password=password
    ) as cp:
        await cp.call(
            call201.SecurityEventNotification(
                type="InvalidCsmsCertificate", timestamp="2026-11-26T10:00:00Z", tech_info="chain too long"
            )
        )
    station_pk = re.search(
        r"/admin/stations/station/(\d+)/change/", tls.platform.admin().page(f"/admin/stations/station/?q={identity}")
    ).group(1)
    page = tls.platform.admin().page(f"/admin/stations/station/{station_pk}/change/")
    assert "InvalidCsmsCertificate" in page and "chain too long" in page
    assert "2 - wss:// with Basic auth" in page


# --- 2.0.1 A00.FR.318 cipher suites (TC_A_04, TC_A_07) -------------------------------------------
# The OCA names → OpenSSL's. The RSA ones need the RSA server certificate init_pki makes beside the ECDSA one.
REQUIRED_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}


def suite_context(tls: TlsPlatform, suite: str, *, cert_pem: bytes | None = None, key_pem: bytes | None = None) -> ssl.SSLContext:
    """A station that offers only ``suite``, over TLS 1.2 (TLS 1.3 suites are not configurable)."""
    context = client_context(tls.ca_pem, cert_pem=cert_pem, key_pem=key_pem)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(REQUIRED_SUITES[suite])
    return context


async def boot_201_on_suite(url: str, identity: str, *, context: ssl.SSLContext, password: str | None = None) -> dict:
    """TC_A_04/07 steps 1-10: handshake, upgrade, BootNotification, StatusNotification and NotifyEvent."""
    headers = {"Authorization": basic_auth_header(identity, password)} if password else {}
    async with websockets.connect(
        url + identity, ssl=context, subprotocols=["ocpp2.0.1"], additional_headers=headers, open_timeout=10
    ) as ws:
        ssl_object = ws.transport.get_extra_info("ssl_object")
        server_cert = pki.load_certificate(
            ssl.DER_cert_to_PEM_cert(ssl_object.getpeercert(binary_form=True)).encode("ascii")
        )
        cp = ChargePoint201(identity, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            boot_result = await cp.call(
                call201.BootNotification(charging_station={"model": "TLS", "vendor_name": "Sim"}, reason="PowerUp")
            )
            status_result = await cp.call(call201.StatusNotification(
                timestamp="2026-03-01T10:00:00Z", connector_status="Available", evse_id=1, connector_id=1,
            ))
            event_result = await cp.call(call201.NotifyEvent(generated_at="2026-03-01T10:00:00Z", seq_no=0, event_data=[{
                "event_id": 1, "timestamp": "2026-03-01T10:00:00Z", "trigger": "Delta", "actual_value": "Available",
                "event_notification_type": "HardWiredNotification",
                "component": {"name": "Connector", "evse": {"id": 1, "connector_id": 1}},
                "variable": {"name": "AvailabilityState"},
            }]))
        finally:
            reader.cancel()
        return {
            "version": ssl_object.version(),
            "cipher": ssl_object.cipher()[0],
            "server_cert": server_cert,
            "boot": boot_result,
            "answered": (status_result, event_result),
        }


def assert_suite_served(outcome: dict, suite: str, tls: TlsPlatform) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    assert outcome["version"] == "TLSv1.2"
    assert outcome["cipher"] == REQUIRED_SUITES[suite]
    key = outcome["server_cert"].public_key()
    if "_RSA_WITH_" in suite:
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.key_size >= 224
    # TC_A_04 tool validations: a serial number, a commonName with the server's name, signed by the CA.
    assert outcome["server_cert"].serial_number
    assert pki.common_names(outcome["server_cert"].subject) == ["127.0.0.1"]
    assert pki.signed_by(outcome["server_cert"], tls.ca_cert)
    # Step 8: BootNotificationResponse Accepted; step 10: answered.
    assert outcome["boot"].status == "Accepted"
    assert outcome["boot"].interval > 0 and outcome["boot"].current_time
    assert all(answer is not None for answer in outcome["answered"])


@pytest.mark.parametrize("suite", list(REQUIRED_SUITES))
async def test_TC_A_04_each_required_suite_completes_a_handshake_and_a_boot_on_profile_2(suite, tls):
    identity, password = new_station(tls, security_profile=2)
    outcome = await boot_201_on_suite(tls.nginx.ocpp_url, identity, context=suite_context(tls, suite), password=password)
    assert_suite_served(outcome, suite, tls)


@pytest.mark.parametrize("suite", list(REQUIRED_SUITES))
async def test_TC_A_07_each_required_suite_completes_a_handshake_and_a_boot_with_a_client_certificate(suite, tls):
    identity, _ = new_station(tls, security_profile=3)
    cert, key = tls.station_certificate(identity)
    context = suite_context(tls, suite, cert_pem=cert, key_pem=key)
    outcome = await boot_201_on_suite(tls.nginx.ocpp_url, identity, context=context)
    assert_suite_served(outcome, suite, tls)
    assert "3 - wss:// with client certificate" in profile_shown(tls, identity)


async def test_a_suite_outside_the_list_is_refused(tls):
    """Only the listed suites: a CBC suite without forward secrecy gets no handshake."""
    identity, password = new_station(tls, security_profile=2)
    context = client_context(tls.ca_pem)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-SHA256")
    with pytest.raises(ssl.SSLError):
        await boot_201_on_suite(tls.nginx.ocpp_url, identity, context=context, password=password)
