"""Log uploads as remote actions (2.0.1 N01 GetLog; 1.6 §5.9 GetDiagnostics and the Security
Whitepaper's GetLog), registered with ``commands.registry`` from ``DiagnosticsConfig.ready()``.

The request id is the Command id and the upload URL is signed from it (diagnostics.uploads), so the
builders need no database; ``diagnostics.signals`` creates the LogRequest with the Command.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands import registry
from commands.forms import V16, V201, ActionForm
from diagnostics.models import LogType
from diagnostics.services import GET_DIAGNOSTICS, GET_LOG, log_request_answered
from diagnostics.uploads import upload_url


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


class _UploadForm(ActionForm):
    retries = forms.IntegerField(min_value=0, max_value=100, required=False, help_text="Upload attempts after a failure.")
    retry_interval = forms.IntegerField(
        min_value=1, max_value=86400, required=False, help_text="Seconds between upload attempts."
    )

    def parameters(self) -> dict[str, Any]:
        # Command.parameters is JSON: datetimes travel as ISO 8601 UTC.
        return {
            k: _iso(v) if isinstance(v, datetime) else v
            for k, v in self.cleaned_data.items()
            if v not in (None, "")
        }

    def _check_window(self, oldest: str, latest: str) -> None:
        start, end = self.cleaned_data.get(oldest), self.cleaned_data.get(latest)
        if start and end and start > end:
            self.add_error(latest, "The end of the window is before its start.")


class GetLogForm(_UploadForm):
    log_type = forms.ChoiceField(
        choices=[(LogType.DIAGNOSTICS_LOG.value, "Diagnostics log"), (LogType.SECURITY_LOG.value, "Security log")],
        initial=LogType.DIAGNOSTICS_LOG.value,
        required=False,
        help_text="DiagnosticsLog (default) or SecurityLog.",
    )
    oldest_timestamp = forms.DateTimeField(required=False, help_text="Log entries from (ISO 8601, UTC if no offset).")
    latest_timestamp = forms.DateTimeField(required=False, help_text="Log entries until (ISO 8601, UTC if no offset).")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["log_type"] = cleaned.get("log_type") or LogType.DIAGNOSTICS_LOG.value
        self._check_window("oldest_timestamp", "latest_timestamp")
        return cleaned


class GetDiagnosticsForm(_UploadForm):
    start_time = forms.DateTimeField(required=False, help_text="Diagnostics from (ISO 8601, UTC if no offset).")
    stop_time = forms.DateTimeField(required=False, help_text="Diagnostics until (ISO 8601, UTC if no offset).")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_window("start_time", "stop_time")
        return cleaned


def _get_log(version: str):
    def build(command):
        p = command.parameters
        log = {
            "remote_location": upload_url(request_id=command.pk),
            "oldest_timestamp": p.get("oldest_timestamp"),
            "latest_timestamp": p.get("latest_timestamp"),
        }
        module = call16 if version == V16 else call201
        return module.GetLog(
            log={k: v for k, v in log.items() if v is not None},
            log_type=p.get("log_type") or LogType.DIAGNOSTICS_LOG,
            request_id=command.pk,
            retries=p.get("retries"),
            retry_interval=p.get("retry_interval"),
        )

    return build


def _get_diagnostics(command):
    p = command.parameters
    return call16.GetDiagnostics(
        location=upload_url(request_id=command.pk),
        retries=p.get("retries"),
        retry_interval=p.get("retry_interval"),
        start_time=p.get("start_time"),
        stop_time=p.get("stop_time"),
    )


def _diagnostics_result(answer: dict[str, Any]) -> str:
    # 1.6 GetDiagnostics.conf has only an optional fileName: any answer means the station took it.
    return "Accepted"


def _finished(command) -> None:
    log_request_answered(command=command)


def register() -> None:
    registry.register(
        registry.RemoteAction(
            name=GET_LOG,
            label="Get log",
            description="GetLog: the station uploads its diagnostics or security log to the platform.",
            form=GetLogForm,
            build={V16: _get_log(V16), V201: _get_log(V201)},
            # 2.0.1 N01.FR.12: accepted, and the upload that was running is canceled.
            accepting=registry.DEFAULT_ACCEPTING | {"AcceptedCanceled"},
            on_final=_finished,
        )
    )
    registry.register(
        registry.RemoteAction(
            name=GET_DIAGNOSTICS,
            label="Get diagnostics",
            description="GetDiagnostics (OCPP 1.6): the station uploads a diagnostics file to the platform.",
            form=GetDiagnosticsForm,
            build={V16: _get_diagnostics},
            result=_diagnostics_result,
            on_final=_finished,
        )
    )
