from __future__ import annotations

import pytest

from types import SimpleNamespace

from ocpp.v16 import call as call16

from certificates import remote
from certificates.models import PasswordRotation
from certificates.proxy import TlsInfo, TrustedProxyMiddleware, common_name_from_dn, tls_info
from certificates.services import (
    password_rotation_finish,
    password_rotation_start,
    station_admission,
    station_password_check,
)
from conftest import STATION_PASSWORD

PLAIN = TlsInfo(tls=False, client_verify="", client_dn="", client_cn=None)
TLS = TlsInfo(tls=True, client_verify="NONE", client_dn="", client_cn=None)


def cert(cn: str) -> TlsInfo:
    return TlsInfo(tls=True, client_verify="SUCCESS", client_dn=f"CN={cn},O=Acme", client_cn=cn)


async def _scope_after(middleware_trusted: list[str], scope: dict) -> dict:
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    await TrustedProxyMiddleware(app, trusted=middleware_trusted)(scope, None, None)
    return seen


NGINX_HEADERS = [
    (b"x-forwarded-proto", b"https"),
    (b"x-forwarded-for", b"203.0.113.9"),
    (b"x-ssl-client-verify", b"SUCCESS"),
    (b"x-ssl-client-s-dn", b"CN=CP-A-1,O=Acme"),
    (b"authorization", b"Basic xyz"),
]


async def test_headers_from_a_trusted_proxy_describe_the_connection():
    scope = await _scope_after(["127.0.0.0/8"], {"type": "websocket", "client": ["127.0.0.1", 5000], "headers": NGINX_HEADERS})
    info = tls_info(scope)
    assert info.tls and info.has_verified_certificate and info.client_cn == "CP-A-1"
    assert scope["client"] == ["203.0.113.9", 0]


async def test_the_same_headers_from_anyone_else_are_stripped():
    scope = await _scope_after(["10.0.0.5"], {"type": "websocket", "client": ["127.0.0.1", 5000], "headers": NGINX_HEADERS})
    info = tls_info(scope)
    assert not info.tls and not info.has_verified_certificate
    assert [name for name, _ in scope["headers"]] == [b"authorization"]
    assert scope["client"] == ["127.0.0.1", 5000]


async def test_no_trusted_proxies_means_nobody_speaks_for_tls():
    scope = await _scope_after([], {"type": "websocket", "client": ["127.0.0.1", 5000], "headers": NGINX_HEADERS})
    assert tls_info(scope) == PLAIN


def test_common_name_is_read_strictly():
    assert common_name_from_dn("CN=CP-1,O=Acme\\, Inc") == "CP-1"
    assert common_name_from_dn("O=Acme,CN=CP-1") == "CP-1"
    assert common_name_from_dn("CN=CP-1,CN=CP-2") is None
    assert common_name_from_dn("O=Acme") is None


@pytest.mark.django_db
class TestAdmission:
    def test_profile_1_and_2_need_the_password(self, station_a):
        assert station_admission(station=station_a, tls=PLAIN, password=STATION_PASSWORD).profile == 1
        assert station_admission(station=station_a, tls=TLS, password=STATION_PASSWORD).profile == 2
        assert station_admission(station=station_a, tls=TLS, password="wrong-password-123").reason == "wrong password"
        assert station_admission(station=station_a, tls=TLS, password=None).reason == "no HTTP Basic credentials and no client certificate"

    def test_profile_3_needs_no_password_but_the_right_common_name(self, station_a):
        assert station_admission(station=station_a, tls=cert("CP-A-1"), password=None).profile == 3
        refused = station_admission(station=station_a, tls=cert("CP-B-1"), password=STATION_PASSWORD)
        assert refused.reason == "client certificate is for 'CP-B-1', not 'CP-A-1'"

    def test_a_certificate_that_failed_verification_is_refused_even_with_a_password(self, station_a):
        bad = TlsInfo(tls=True, client_verify="FAILED:unable to get local issuer certificate", client_dn="", client_cn=None)
        refused = station_admission(station=station_a, tls=bad, password=STATION_PASSWORD)
        assert not refused.accepted
        assert "unable to get local issuer certificate" in refused.reason

    @pytest.mark.parametrize(
        "minimum, tls, profile_or_reason",
        [
            (2, PLAIN, "downgrade refused: connected on security profile 1, the station requires at least 2"),
            (3, TLS, "downgrade refused: connected on security profile 2, the station requires at least 3"),
            (3, PLAIN, "downgrade refused: connected on security profile 1, the station requires at least 3"),
            (2, TLS, 2),
            (3, cert("CP-A-1"), 3),
        ],
    )
    def test_no_downgrade_below_the_recorded_minimum(self, station_a, minimum, tls, profile_or_reason):
        station_a.security_profile = minimum
        station_a.save()
        admission = station_admission(station=station_a, tls=tls, password=STATION_PASSWORD)
        assert (admission.profile if admission.accepted else admission.reason) == profile_or_reason


@pytest.mark.django_db
class TestPasswordRotation:
    def test_the_old_password_works_until_the_station_accepts_the_new_one(self, station_a):
        rotation, new = password_rotation_start(station=station_a)
        assert len(new) == 20
        assert station_password_check(station=station_a, password=STATION_PASSWORD)
        password_rotation_finish(rotation=rotation, accepted=True, detail="Accepted")
        station_a.refresh_from_db()
        assert not station_password_check(station=station_a, password=STATION_PASSWORD)
        assert station_password_check(station=station_a, password=new)

    def test_a_rejected_rotation_keeps_the_old_password_only(self, station_a):
        rotation, new = password_rotation_start(station=station_a)
        password_rotation_finish(rotation=rotation, accepted=False, detail="Rejected")
        station_a.refresh_from_db()
        assert station_password_check(station=station_a, password=STATION_PASSWORD)
        assert not station_password_check(station=station_a, password=new)

    def test_logging_in_with_the_pending_password_completes_the_rotation(self, station_a):
        rotation, new = password_rotation_start(station=station_a)
        assert station_password_check(station=station_a, password=new)
        rotation.refresh_from_db()
        assert rotation.status == "accepted"
        assert not station_password_check(station=station_a, password=STATION_PASSWORD)

    def test_a_second_rotation_supersedes_the_first(self, station_a):
        first, first_password = password_rotation_start(station=station_a)
        second, _ = password_rotation_start(station=station_a)
        first.refresh_from_db()
        assert first.status == "superseded"
        assert not station_password_check(station=station_a, password=first_password)
        assert PasswordRotation.objects.filter(station=station_a, status="pending").get() == second

    def test_the_request_is_hex_for_1_6_and_plain_for_2_0_1(self):
        command = SimpleNamespace(action=remote.PASSWORD, parameters={"sealed": remote.seal("AAAAAAAAAAAAAAAAAAAA")})
        assert remote.security_call(command, version="1.6") == call16.ChangeConfiguration(
            key="AuthorizationKey", value="41" * 20
        )
        request = remote.security_call(command, version="2.0.1")
        assert request.set_variable_data[0]["attribute_value"] == "AAAAAAAAAAAAAAAAAAAA"
        assert request.set_variable_data[0]["variable"] == {"name": "BasicAuthPassword"}
        assert "AAAAAAAAAAAAAAAAAAAA" not in command.parameters["sealed"]


def test_pushed_passwords_are_redacted_from_the_log():
    from certificates.redaction import redact_secrets

    assert redact_secrets("ChangeConfiguration", {"key": "AuthorizationKey", "value": "41" * 20}) == {
        "key": "AuthorizationKey", "value": "<redacted>",
    }
    assert redact_secrets("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"})["value"] == "60"
    payload = {
        "setVariableData": [
            {"attributeValue": "s3cret-s3cret-s3cret", "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}},
            {"attributeValue": "0,1", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"}},
        ]
    }
    assert [i["attributeValue"] for i in redact_secrets("SetVariables", payload)["setVariableData"]] == ["<redacted>", "0,1"]
