"""nginx in front of a test platform, with the shipped deploy/nginx-switch.conf, and TLS clients.

    nginx = Nginx.start(work_dir, pki_dir=platform.var_dir / "pki", upstream_port=platform.port)
    ssl_context = client_context(ca_pem)                       # profile 2
    ssl_context = client_context(ca_pem, cert=..., key=...)    # profile 3
    nginx.stop()

The test config is deploy/nginx-switch.conf itself, with its three site-specific values (port,
PKI directory, daphne address) replaced, inside a minimal main config: the file operators copy is
the file the tests run.
"""
from __future__ import annotations

import shutil
import socket
import ssl
import tempfile
from pathlib import Path

from tests.servers import REPO_ROOT, ServerProcess, free_port, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_CONF = REPO_ROOT / "deploy" / "nginx-switch.conf"

MAIN_CONF = """\
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    include {root}/switch.conf;
}}
"""


def render_site(*, port: int, pki_dir: Path, upstream: str) -> str:
    text = DEPLOY_CONF.read_text()
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "listen [::]:443 ssl;": "",
        "/srv/switch/var/pki": str(pki_dir),
        "server 127.0.0.1:8000;": f"server {upstream};",
    }
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"deploy/nginx-switch.conf no longer contains {old!r}: update tests/tls_servers.py")
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, root: Path, *, port: int):
        self.root = root
        self.port = port
        self.process: ServerProcess | None = None

    @classmethod
    def start(cls, *, pki_dir: Path, upstream_port: int, port: int | None = None, root: Path | None = None) -> Nginx:
        if not Path(NGINX).exists():
            raise RuntimeError("nginx not found: apt-get install nginx")
        root = root or Path(tempfile.mkdtemp(prefix="switch-nginx-"))
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        # nginx's worker processes run as `nobody` when started by root: let them into the temp dirs.
        root.chmod(0o755)
        (root / "tmp").chmod(0o777)
        instance = cls(root, port=port or free_port())
        (root / "switch.conf").write_text(render_site(port=instance.port, pki_dir=pki_dir, upstream=f"127.0.0.1:{upstream_port}"))
        (root / "nginx.conf").write_text(MAIN_CONF.format(root=root))
        args = [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log"), "-g", "daemon off;"]
        instance.process = ServerProcess(f"nginx-{instance.port}", args, env={"PATH": "/usr/sbin:/usr/bin:/bin"}, log_dir=root)
        instance.process.start()

        def listening() -> bool:
            with socket.create_connection(("127.0.0.1", instance.port), timeout=1):
                return True

        try:
            wait_for(listening, timeout=15, what=f"nginx on port {instance.port}", process=instance.process)
        except Exception:
            log = (root / "error.log").read_text() if (root / "error.log").exists() else ""
            instance.stop()
            raise RuntimeError(f"nginx did not start:\n{log}") from None
        return instance

    @property
    def ocpp_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/ocpp/"

    @property
    def https_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=5)


def client_context(ca_pem: bytes, *, cert_pem: bytes | None = None, key_pem: bytes | None = None) -> ssl.SSLContext:
    """What a station does: trust the platform CA (InstallCertificate), present its own certificate for profile 3."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca_pem.decode("ascii"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_pem is not None:
        directory = Path(tempfile.mkdtemp(prefix="switch-client-cert-"))
        (directory / "cert.pem").write_bytes(cert_pem)
        (directory / "key.pem").write_bytes(key_pem or b"")
        (directory / "key.pem").chmod(0o600)
        context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context
