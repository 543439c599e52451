"""`make run` on a fresh checkout: creates .venv, installs, migrates, creates the first account admin, serves.

The test clones the checkout it runs from (its committed HEAD, so CI on a clean clone tests the same
thing) into a temporary directory and runs the README's command there with PORT and VAR_DIR pointing
into the test's space. The clone builds its own .venv from requirements.txt exactly as a fresh machine
does. With the local wheel mirror that takes 16 s on an idle machine and about 45 s while other tests
run (the whole test: 75 s), well under the 90 s that would justify a shortcut such as copying the
existing .venv, so none is taken.
"""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT, AdminBrowser, HttpClient, ServerProcess, free_port, simulated_station, wait_for

# Installing requirements into an empty venv without a pip cache (CI) can take a few minutes.
INSTALL_TIMEOUT = 600
# Variables of the environment the tests run in that would change what `make run` does.
SCRUBBED = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DEBUG",
            "OCPP_PUBLIC_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD",
            "DJANGO_SUPERUSER_EMAIL", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHONPATH"}


def fresh_environment(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    # Not this test run's venv: the clone must make and use its own.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "/.venv/" not in p + "/")
    return {**env, "VAR_DIR": str(var_dir), "PORT": str(port), "HOST": "127.0.0.1",
            "OCPP_PUBLIC_URL": f"ws://127.0.0.1:{port}/ocpp/"}


def make_run(clone: Path, env: dict[str, str], log_dir: Path, name: str) -> ServerProcess:
    process = ServerProcess(name, ["make", "run"], env=env, log_dir=log_dir, cwd=clone).start()
    base = f"http://127.0.0.1:{env['PORT']}"
    wait_for(lambda: HttpClient(base, timeout=2).get("/admin/login/").status == 200,
             timeout=INSTALL_TIMEOUT, what="make run to serve the admin login page", process=process)
    return process


@pytest.mark.e2e
def test_make_run_on_a_fresh_checkout_serves_admin_api_and_ocpp(tmp_path):
    clone = tmp_path / "switch"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    assert not (clone / ".venv").exists()
    port = free_port()
    env = fresh_environment(tmp_path / "var", port)
    base = f"http://127.0.0.1:{port}"

    server = make_run(clone, env, tmp_path, "make-run-1")
    try:
        assert (clone / ".venv" / "bin" / "python").exists()
        output = server.output()
        assert "Created account admin 'admin'." in output
        password = re.search(r"Its password is: (\S+)", output).group(1)
        # The set-up ends with the console URL and the login in a box, right before serving (issue 16).
        assert f"| Console:  http://127.0.0.1:{port}/console/" in output
        assert f"| Password: {password}" in output
        assert output.index("| Password:") < output.index("Serving on http://")

        login_page = HttpClient(base).get("/admin/login/")
        assert "Switch charging platform" in login_page.text and 'name="password"' in login_page.text
        admin = AdminBrowser(base).login("admin", password)
        index = admin.get("/admin/", expect=200).text
        assert "Networks" in index and "Pending stations" in index
        assert HttpClient(base).get("/api/networks/").status == 401
        assert HttpClient(base).get("/api/schema/").status == 200

        # The README's commands, in the same installation, then a station boots over the OCPP endpoint.
        manage = [str(clone / ".venv" / "bin" / "python"), "manage.py"]
        station_password = "AAAAAAAAAAAAAAAAAAAA"
        subprocess.run([*manage, "create_network", "North"], cwd=clone, env=env, check=True, timeout=60)
        added = subprocess.run(
            [*manage, "add_station", "--network", "North", "--identity", "CP-0001", f"--password={station_password}"],
            cwd=clone, env=env, check=True, timeout=60, capture_output=True, text=True,
        ).stdout
        assert f"Connection URL: ws://127.0.0.1:{port}/ocpp/CP-0001" in added
        assert "4141414141414141414141414141414141414141" in added

        async def boot() -> str:
            async with simulated_station("1.6", identity="CP-0001", password=station_password,
                                         url=f"ws://127.0.0.1:{port}/ocpp/", boot=False) as station:
                return await station.boot()

        # A new station is Pending until an operator onboards it; either answer proves the endpoint.
        assert asyncio.run(boot()) in {"Pending", "Accepted"}
        listing = admin.get("/admin/stations/station/", params={"q": "CP-0001"}, expect=200).text
        assert "CP-0001" in listing
    finally:
        server.stop(timeout=10)

    # A second run keeps the admin and the data: no new account admin, no password printed again.
    server = make_run(clone, env, tmp_path, "make-run-2")
    try:
        output = server.output()
        assert "Created account admin" not in output and "Its password is" not in output
        AdminBrowser(base).login("admin", password)
    finally:
        server.stop(timeout=10)


# Runs `manage.py serve` through daphne's own command line parsing and stops where daphne would
# bind, printing the server it built: an unlimited websocket timeout cannot be observed in a test
# (daphne's default closes after 24 h), so the test checks what daphne was told.
SERVE_AND_SHOW = """
import sys
from daphne.server import Server
def show(server):
    import switchplatform.asgi
    print("DAPHNE", server.endpoints, server.websocket_timeout, server.application is switchplatform.asgi.application)
Server.run = show
sys.argv = ["manage.py", "serve", "--host", "127.0.0.1", "--port", sys.argv[1]]
exec(open("manage.py").read())
"""


def test_serve_runs_daphne_on_the_given_address_without_websocket_timeout(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run([sys.executable, "-c", SERVE_AND_SHOW, "8123"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "DAPHNE ['tcp:port=8123:interface=127.0.0.1'] -1 True" in result.stdout, result.stderr


def test_makefile_passes_host_and_port_to_serve():
    dry_run = subprocess.run(["make", "-n", "run", "HOST=0.0.0.0", "PORT=9001"], cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=30, check=True).stdout
    assert ".venv/bin/python manage.py serve --host 0.0.0.0 --port 9001" in dry_run
    assert ".venv/bin/python manage.py ensure_account_admin" in dry_run
    assert dry_run.index("migrate --noinput") < dry_run.index("ensure_account_admin") < dry_run.index("serve")
