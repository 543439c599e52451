"""What the TLS terminator (nginx, deploy/nginx-switch.conf) tells the platform, and whom to believe.

TLS ends at nginx: daphne's own TLS endpoint (a twisted `ssl:` endpoint) cannot ask for or verify
client certificates and does not mark the ASGI scope as TLS, so profile 3 needs the proxy. nginx
verifies the client certificate against the platform CA and passes, on the plain hop to daphne:

    X-Forwarded-Proto: https            the station spoke TLS (profile 2 or 3)
    X-Forwarded-For: <station address>
    X-SSL-Client-Verify: SUCCESS | NONE | FAILED:<reason>
    X-SSL-Client-S-DN: CN=<identity>,O=...   (RFC 2253, nginx's $ssl_client_s_dn)

Anyone can send those headers, so `TrustedProxyMiddleware` believes them only when the TCP peer
is in ``settings.OCPP_TRUSTED_PROXIES`` and strips them otherwise: everything downstream may then
read them as facts. daphne must run without ``--proxy-headers`` (it would replace the TCP peer with
the client's own X-Forwarded-For before we see it).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HEADER_PROTO = b"x-forwarded-proto"
HEADER_FOR = b"x-forwarded-for"
HEADER_VERIFY = b"x-ssl-client-verify"
HEADER_DN = b"x-ssl-client-s-dn"
PROXY_HEADERS = frozenset({HEADER_PROTO, HEADER_FOR, HEADER_VERIFY, HEADER_DN, b"x-forwarded-host", b"x-real-ip"})


def parse_networks(values: Iterable[str], *, setting: str = "OCPP_TRUSTED_PROXIES") -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{setting}: {value!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def is_trusted_proxy(address: str | None, networks: Iterable[Network]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


class TrustedProxyMiddleware:
    """ASGI middleware around the whole application (HTTP and websockets)."""

    def __init__(self, app, *, trusted: Iterable[str] | None = None):
        self.app = app
        self._trusted = trusted

    @property
    def networks(self) -> tuple[Network, ...]:
        # Read per request so tests' settings overrides apply; parsing a handful of CIDRs is cheap.
        return parse_networks(self._trusted if self._trusted is not None else settings.OCPP_TRUSTED_PROXIES)

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = proxied_scope(scope, self.networks)
        return await self.app(scope, receive, send)


def proxied_scope(scope: dict, networks: Iterable[Network]) -> dict:
    peer = (scope.get("client") or [None])[0]
    headers = scope.get("headers") or []
    if not is_trusted_proxy(peer, networks):
        if "tls_proxy" not in scope and not any(name.lower() in PROXY_HEADERS for name, _ in headers):
            # Nothing to strip: the scope as it came (a copy per connection is 1 KB per station).
            return scope
        scope = dict(scope)
        scope["headers"] = [(name, value) for name, value in headers if name.lower() not in PROXY_HEADERS]
        scope.pop("tls_proxy", None)
        return scope
    scope = dict(scope)
    values = {name.lower(): value.decode("latin1") for name, value in headers}
    scope["tls_proxy"] = peer
    forwarded_for = values.get(HEADER_FOR)
    if forwarded_for:
        # The rightmost entry is the one our proxy added; anything left of it came from the client.
        scope["client"] = [forwarded_for.split(",")[-1].strip(), 0]
    proto = (values.get(HEADER_PROTO) or "").split(",")[-1].strip().lower()
    if proto in ("https", "wss"):
        scope["scheme"] = "wss" if scope["type"] == "websocket" else "https"
    elif proto in ("http", "ws"):
        scope["scheme"] = "ws" if scope["type"] == "websocket" else "http"
    return scope


@dataclass(frozen=True)
class TlsInfo:
    """The transport security of one connection, as far as the platform can know it."""

    tls: bool
    # nginx's $ssl_client_verify: "SUCCESS", "NONE", "FAILED:<reason>", or "" when no proxy spoke.
    client_verify: str
    client_dn: str
    client_cn: str | None

    @property
    def has_verified_certificate(self) -> bool:
        return self.tls and self.client_verify == "SUCCESS" and self.client_cn is not None

    @property
    def presented_bad_certificate(self) -> bool:
        return self.client_verify.startswith("FAILED")


_DN_SPLIT = re.compile(r"(?<!\\),")


def common_name_from_dn(dn: str) -> str | None:
    """The single CN of an RFC 2253 DN; None when there is none or more than one (ambiguous)."""
    names = []
    for part in _DN_SPLIT.split(dn or ""):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip().upper() == "CN":
            names.append(value.strip())
    return names[0] if len(names) == 1 and names[0] else None


def tls_info(scope: dict) -> TlsInfo:
    """Read a scope that went through TrustedProxyMiddleware."""
    trusted = bool(scope.get("tls_proxy"))
    tls = scope.get("scheme") in ("wss", "https")
    if not trusted:
        return TlsInfo(tls=tls, client_verify="", client_dn="", client_cn=None)
    values = {name.lower(): value.decode("latin1") for name, value in scope.get("headers") or []}
    verify = values.get(HEADER_VERIFY, "").strip()
    dn = values.get(HEADER_DN, "").strip()
    cn = common_name_from_dn(dn) if verify == "SUCCESS" else None
    return TlsInfo(tls=tls, client_verify=verify, client_dn=dn, client_cn=cn)
