"""The upload URL (signed, per request), what a station may upload, and who may download it."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from commands.services import command_create
from diagnostics.models import LogRequest, LogStatus, LogType
from diagnostics.services import GET_DIAGNOSTICS, GET_LOG, log_request_answered, log_status_notification
from diagnostics.uploads import upload_token, upload_token_request_id, upload_url


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}},
    }
    # Django resets default_storage on setting_changed for STORAGES; the files go to tmp_path.
    settings.DIAGNOSTICS_UPLOAD_BASE_URL = "http://csms.example:8000"


def log_request(station, action=GET_LOG, **parameters) -> LogRequest:
    command = command_create(station=station, action=action, parameters=parameters, send=False)
    return LogRequest.objects.get(command=command)


def upload_path(request: LogRequest) -> str:
    return f"/diagnostics/upload/{upload_token(request_id=request.request_id)}/"


def test_the_command_gets_its_log_request_and_a_signed_url(station_a):
    request = log_request(station_a, log_type="SecurityLog")
    assert (request.request_id, request.log_type, request.status) == (request.command_id, LogType.SECURITY_LOG, LogStatus.REQUESTED)
    url = upload_url(request_id=request.request_id)
    assert url.startswith("http://csms.example:8000/diagnostics/upload/") and len(url) <= 512
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert upload_token_request_id(token) == request.request_id
    # Another id with this MAC, or this id with another MAC, names nothing.
    other = f"{request.request_id + 1}-{token.split('-')[1]}"
    assert upload_token_request_id(other) is None
    assert upload_token_request_id(token[:-1] + ("0" if token[-1] != "0" else "1")) is None


def test_a_raw_put_is_stored_and_a_retry_replaces_it(station_a, django_capture_on_commit_callbacks):
    request = log_request(station_a)
    client = Client()
    response = client.put(upload_path(request) + "station.log", data=b"first", content_type="application/octet-stream")
    assert response.status_code == 201, response.content
    first = LogRequest.objects.get(pk=request.pk)
    assert (first.filename, first.size, first.file.read()) == ("station.log", 5, b"first")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(upload_path(request) + "station.log", data=b"second try", content_type="text/plain")
    assert response.status_code == 201
    second = LogRequest.objects.get(pk=request.pk)
    assert second.file.read() == b"second try" and second.size == 10
    assert not default_storage.exists(first.file.name)


def test_a_multipart_post_without_trailing_slash_is_stored(station_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = log_request(station_a, action=GET_DIAGNOSTICS)
    path = upload_path(request).rstrip("/")
    response = Client().post(path, {"file": SimpleUploadedFile("diag.zip", b"PK\x03\x04zip")})
    assert response.status_code == 201, response.content
    stored = LogRequest.objects.get(pk=request.pk)
    assert (stored.filename, stored.file.read(), stored.log_type) == ("diag.zip", b"PK\x03\x04zip", LogType.DIAGNOSTICS)


def test_too_large_an_upload_is_refused_and_nothing_stored(station_a, settings):
    settings.DIAGNOSTICS_MAX_UPLOAD_BYTES = 10
    request = log_request(station_a)
    response = Client().put(upload_path(request), data=b"x" * 11, content_type="application/octet-stream")
    assert response.status_code == 413
    assert not LogRequest.objects.get(pk=request.pk).file


def test_a_made_up_url_is_404_and_get_is_not_allowed(station_a):
    request = log_request(station_a)
    assert Client().put(f"/diagnostics/upload/{request.request_id}-{'0' * 32}/", data=b"x", content_type="text/plain").status_code == 404
    assert Client().get(upload_path(request)).status_code == 405


def test_status_notifications_move_the_request_along(station_a):
    from commands.models import Command, CommandStatus

    request = log_request(station_a)
    Command.objects.filter(pk=request.command_id).update(status=CommandStatus.ACCEPTED, answer={"status": "Accepted", "filename": "a.log"})
    log_request_answered(command=Command.objects.get(pk=request.command_id))
    log_status_notification(station=station_a, source="LogStatusNotification", status="Uploading", request_id=request.request_id)
    log_status_notification(station=station_a, source="LogStatusNotification", status="Uploaded", request_id=request.request_id)
    request.refresh_from_db()
    assert (request.status, request.announced_filename) == ("Uploaded", "a.log")
    assert [e.status for e in request.events.all()] == ["Accepted", "Uploading", "Uploaded"]
    # An unknown requestId stays on the station's timeline only.
    log_status_notification(station=station_a, source="LogStatusNotification", status="Uploading", request_id=999999)
    assert station_a.log_status_events.filter(log_request=None, request_id=999999).exists()


def test_the_download_is_scoped_to_the_network(station_a, operator_a, operator_b, viewer_a):
    request = log_request(station_a)
    Client().put(upload_path(request), data=b"log body", content_type="text/plain")
    for user, expected in [(operator_a, 200), (viewer_a, 200), (operator_b, 404)]:
        client = Client()
        client.force_login(user)
        response = client.get(f"/diagnostics/logs/{request.pk}/download/")
        assert response.status_code == expected, user
        if expected == 200:
            assert b"".join(response.streaming_content) == b"log body"
        api = client.get(f"/api/log_requests/{request.pk}/download/")
        assert api.status_code == expected, user
    anonymous = Client().get(f"/diagnostics/logs/{request.pk}/download/")
    assert anonymous.status_code == 302


def test_a_refused_or_canceled_request_takes_no_upload(station_a):
    request = log_request(station_a)
    for status in ("Rejected", "AcceptedCanceled", "SendFailed"):
        LogRequest.objects.filter(pk=request.pk).update(status=status)
        response = Client().put(upload_path(request), data=b"late", content_type="text/plain")
        assert response.status_code == 410
    assert not LogRequest.objects.get(pk=request.pk).file


def test_accepted_canceled_accepts_the_new_request_and_cancels_the_one_uploading(station_a):
    from commands.models import Command, CommandStatus

    first, second = log_request(station_a), log_request(station_a)
    log_status_notification(station=station_a, source="LogStatusNotification", status="Uploading", request_id=first.request_id)
    Command.objects.filter(pk=second.command_id).update(status=CommandStatus.ACCEPTED, answer={"status": "AcceptedCanceled"})
    log_request_answered(command=Command.objects.get(pk=second.command_id))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("AcceptedCanceled", "Accepted")
    assert first.status_info == f"Canceled by the station for request {second.request_id}."
