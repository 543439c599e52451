"""A simulated station's side of a log upload (OCPP 2.0.1 N01 GetLog; 1.6 §5.9 GetDiagnostics and the
1.6 Security Whitepaper's GetLog).

Mix ``LogUploadMixin`` into a simulated station before its protocol class: it answers Accepted with a
file name, reports Uploading, PUTs a small text log (what the station did: its boots and the requests
it got) to the location over HTTP(S) — for GetDiagnostics, whose location is a directory, POSTs it to
``<location><file name>`` — and reports Uploaded, or UploadFailure (1.6 GetDiagnostics: UploadFailed)
with the reason logged and kept in ``log_upload_problem``. FTP locations fail the same way.

The station needs from its host class: ``ocpp_version``, ``identity``, ``received``, ``request()``,
``spawn()`` and ``record()``.
"""
from __future__ import annotations

import asyncio
import logging
import urllib.error
import urllib.request
from datetime import datetime, timezone

from ocpp.routing import after, on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

logger = logging.getLogger(__name__)


def _http_upload(url: str, body: bytes, *, method: str, timeout: float = 30) -> int:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"cannot upload to {url.split(':', 1)[0]}: only HTTP(S) is supported")
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


class LogUploadMixin:
    log_upload_problem: str = ""

    def log_file(self, log_type: str) -> bytes:
        """The log a station would keep: when it was written and the platform's requests so far."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        lines = [f"{now} {self.identity} {log_type} (simulated station, OCPP {self.ocpp_version})"]
        lines += [f"request {action} {payload}" for action, payload in self.received[-200:]]
        return ("\n".join(lines) + "\n").encode("utf-8")

    @on("GetLog")
    def on_get_log(self, log: dict, log_type: str, request_id: int, **kwargs):
        self.record("GetLog", {"log": log, "log_type": log_type, "request_id": request_id})
        filename = f"{self.identity}-{log_type}.log"
        self.log_job = dict(url=log["remote_location"], filename=filename, request_id=request_id, log_type=log_type)
        result = result16 if self.ocpp_version == "1.6" else result201
        return result.GetLog(status="Accepted", filename=filename)

    @after("GetLog")
    def after_get_log(self, **kwargs):
        self.log_task = self.spawn(self.log_upload_run(**self.log_job, method="PUT"))

    @on("GetDiagnostics")
    def on_get_diagnostics(self, location: str, **kwargs):
        self.record("GetDiagnostics", {"location": location, **kwargs})
        filename = f"{self.identity}-diagnostics.log"
        # 1.6 §5.9: the location is a directory; the station names the file.
        self.log_job = dict(url=location.rstrip("/") + "/" + filename, filename=filename, request_id=None, log_type="Diagnostics")
        return result16.GetDiagnostics(file_name=filename)

    @after("GetDiagnostics")
    def after_get_diagnostics(self, **kwargs):
        self.log_task = self.spawn(self.log_upload_run(**self.log_job, method="POST"))

    async def log_status(self, status: str, request_id: int | None) -> None:
        if request_id is None:
            await self.request(call16.DiagnosticsStatusNotification(status=status))
        elif self.ocpp_version == "1.6":
            await self.request(call16.LogStatusNotification(status=status, request_id=request_id))
        else:
            await self.request(call201.LogStatusNotification(status=status, request_id=request_id))

    async def log_upload_run(self, *, url: str, filename: str, request_id: int | None, log_type: str, method: str) -> bool:
        await self.log_status("Uploading", request_id)
        try:
            await asyncio.to_thread(_http_upload, url, self.log_file(log_type), method=method)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            self.log_upload_problem = f"{filename}: {exc}"
            logger.warning("%s: log upload failed: %s", self.identity, self.log_upload_problem)
            await self.log_status("UploadFailed" if request_id is None else "UploadFailure", request_id)
            return False
        await self.log_status("Uploaded", request_id)
        return True
