"""Where firmware links point when FIRMWARE_PUBLIC_BASE_URL is unset: the address stations already
reach (OCPP_PUBLIC_URL, which follows PORT), and `manage.py serve` says so on start-up."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PORT", "OCPP_PUBLIC_URL", "FIRMWARE_PUBLIC_BASE_URL", "DATABASE_URL", "REDIS_URL")}


def firmware_base(env: dict[str, str]) -> str:
    code = "import django; django.setup(); from django.conf import settings; print(settings.FIRMWARE_PUBLIC_BASE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**CLEAN, "DJANGO_SETTINGS_MODULE": "switchplatform.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "base"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "9123"}, "http://127.0.0.1:9123"),
        ({"OCPP_PUBLIC_URL": "wss://csms.example.net/ocpp/"}, "https://csms.example.net"),
        ({"OCPP_PUBLIC_URL": "ws://10.0.0.5:8080/ocpp/"}, "http://10.0.0.5:8080"),
        ({"PORT": "9123", "FIRMWARE_PUBLIC_BASE_URL": "https://files.example.net/"}, "https://files.example.net"),
    ],
    ids=["default", "port", "wss", "ws-host", "explicit"],
)
def test_firmware_links_follow_the_serving_address_unless_set(env, base):
    assert firmware_base(env) == base


def test_serve_prints_the_firmware_link_base_for_its_port(tmp_path):
    port = free_port()
    serve = ServerProcess(
        "serve", [sys.executable, "manage.py", "serve", "--host", "127.0.0.1"],
        env={**CLEAN, "PORT": str(port), "VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}, log_dir=tmp_path,
    ).start()
    try:
        line = serve.wait_for_output(r"Firmware download links start with (\S+)", timeout=60)
        assert line.group(1) == f"http://127.0.0.1:{port}"
        assert f"Serving on http://127.0.0.1:{port}/" in serve.output()
    finally:
        serve.stop()
