"""Configuration comes from the environment; a bad value stops start-up with a message naming the variable.

Each case starts `manage.py` in a fresh process, as `make run` would, because settings are read once.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_VARIABLES = ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DEBUG",
                    "OCPP_PUBLIC_URL", "OCPP_HEARTBEAT_INTERVAL", "DJANGO_SETTINGS_MODULE", "PORT"]


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env={**clean, "VAR_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


BAD_VALUES = [
    ("DATABASE_URL", "nosuchdb://db/switch", "is not a database URL"),
    ("DATABASE_URL", "postgres://switch:secret@db:5432", "names no database"),
    ("REDIS_URL", "http://redis:6379/0", "must be a URL starting with redis://"),
    ("REDIS_URL", "redis-host:6379", "must be a URL starting with redis://"),
    ("SECRET_KEY", "too-short", "at least 32 characters"),
    ("ALLOWED_HOSTS", " , ", "at least one entry"),
    ("DEBUG", "maybe", "must be a boolean"),
    ("OCPP_PUBLIC_URL", "http://csms.example.com/ocpp/", "must be a URL starting with ws:// or wss://"),
    ("OCPP_PUBLIC_URL", "csms.example.com/ocpp/", "must be a URL starting with ws:// or wss://"),
    ("OCPP_HEARTBEAT_INTERVAL", "5 minutes", "must be an integer"),
    ("OCPP_HEARTBEAT_INTERVAL", "1", "at least 10"),
    ("PORT", "eighty", "must be an integer"),
]


@pytest.mark.parametrize("variable, value, message", BAD_VALUES, ids=[f"{v}={x}" for v, x, _ in BAD_VALUES])
def test_a_bad_value_stops_start_up_naming_the_variable(tmp_path, variable, value, message):
    result = manage(tmp_path, "check", **{variable: value})
    assert result.returncode != 0
    # The last line is what an operator reads first: the variable and what is wrong with it.
    last_line = result.stderr.strip().splitlines()[-1]
    assert variable in last_line and message in last_line, result.stderr


def test_a_csrf_origin_without_scheme_is_refused(tmp_path):
    result = manage(tmp_path, "check", CSRF_TRUSTED_ORIGINS="csms.example.com")
    assert result.returncode != 0
    assert "CSRF_TRUSTED_ORIGINS" in result.stderr


def test_a_password_in_a_bad_url_is_not_printed(tmp_path):
    result = manage(tmp_path, "check", REDIS_URL="http://:hunter2-secret@redis:6379/0")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr and "hunter2-secret" not in result.stderr


PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.DEBUG, s.ALLOWED_HOSTS, "
    "s.OCPP_PUBLIC_URL, s.REDIS_URL, s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, "
    "s.SECRET_KEY == 'k' * 40, sep='|')"
)


def test_good_values_are_used(tmp_path):
    result = manage(
        tmp_path, "shell", "--no-imports", "-c", PRINT_SETTINGS,
        DATABASE_URL="postgres://switch:secret@db.internal:5432/switch",
        REDIS_URL="redis://127.0.0.1:6390/2",
        SECRET_KEY="k" * 40,
        ALLOWED_HOSTS="csms.example.com, .example.org",
        DEBUG="true",
        OCPP_PUBLIC_URL="wss://csms.example.com/ocpp",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "django.db.backends.postgresql", "switch", "True", "['csms.example.com', '.example.org']",
        "wss://csms.example.com/ocpp/", "redis://127.0.0.1:6390/2", "channels_redis.core.RedisChannelLayer",
        "False", "True",
    ]


def test_embedded_defaults_need_no_configuration(tmp_path):
    result = manage(tmp_path, "shell", "--no-imports", "-c", PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    engine, name, debug, hosts, url, redis, layer, eager, _ = result.stdout.strip().split("|")
    assert (engine, name) == ("django.db.backends.sqlite3", str(tmp_path / "var" / "db.sqlite3"))
    assert (debug, url, redis, layer, eager) == (
        "False", "ws://127.0.0.1:8000/ocpp/", "None", "ocpp_gateway.channel_layer.GatewayInMemoryChannelLayer", "True")
    # A random secret key is created once and kept, so sessions survive a restart.
    key_file = tmp_path / "var" / "secret_key"
    assert len(key_file.read_text()) >= 50 and oct(key_file.stat().st_mode)[-3:] == "600"


def test_the_default_ocpp_url_follows_the_port_make_run_serves_on(tmp_path):
    result = manage(tmp_path, "shell", "--no-imports", "-c", PRINT_SETTINGS, PORT="9000")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("|")[4] == "ws://127.0.0.1:9000/ocpp/"
