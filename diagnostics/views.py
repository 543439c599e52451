"""The station's upload (no login: a signed per-request URL, diagnostics.uploads) and the operator's
download (logged in, network-scoped)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from diagnostics.models import LogRequest, LogStatus
from diagnostics.services import UploadTooLarge, log_file_store
from diagnostics.uploads import upload_token_request_id

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
CLOSED_STATUSES = frozenset({LogStatus.REJECTED, LogStatus.SEND_FAILED, LogStatus.ACCEPTED_CANCELED})


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain")


@csrf_exempt  # a station has no session and no CSRF token; the signed URL is the credential
@require_http_methods(["PUT", "POST"])
def log_upload(request: HttpRequest, token: str, filename: str = "") -> HttpResponse:
    """A station uploads the requested log: PUT or POST, a raw body or multipart/form-data."""
    request_id = upload_token_request_id(token)
    log_request = (
        LogRequest.objects.select_related("station").filter(request_id=request_id).first() if request_id else None
    )
    if log_request is None:
        # Altered or made-up URLs look like any other missing page.
        raise Http404("No such upload.")
    if timezone.now() - log_request.created_at > settings.DIAGNOSTICS_UPLOAD_MAX_AGE:
        return _text("This upload URL has expired.", 403)
    if log_request.status in CLOSED_STATUSES:
        # The station refused the request, never got it, or canceled it for a newer one.
        return _text(f"This request is {log_request.status}: it takes no upload.", 410)
    limit = settings.DIAGNOSTICS_MAX_UPLOAD_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _text("Bad Content-Length.", 400)
    if declared > limit:
        return _text(f"The upload is larger than {limit} bytes.", 413)
    try:
        if (request.content_type or "").startswith("multipart/form-data"):
            uploaded = next(iter(request.FILES.values()), None)
            if uploaded is None:
                return _text("The multipart body holds no file.", 400)
            chunks, name = uploaded.chunks(CHUNK), uploaded.name or filename
        else:
            chunks, name = iter(lambda: request.read(CHUNK), b""), filename
        log_file_store(request=log_request, chunks=chunks, filename=name)
    except UploadTooLarge as exc:
        return _text(str(exc), 413)
    logger.info("%s uploaded its log for request %s", log_request.station.identity, log_request.request_id)
    return _text("Stored.", 201)


@login_required
@require_safe
def log_download(request: HttpRequest, pk: int) -> FileResponse:
    log_request = LogRequest.objects.for_user(request.user).filter(pk=pk).exclude(file="").first()
    if log_request is None:
        raise Http404("No such log file.")
    return log_file_response(log_request)


def log_file_response(log_request: LogRequest) -> FileResponse:
    return FileResponse(
        log_request.file.open("rb"), as_attachment=True, filename=log_request.filename or "log.bin",
        content_type="application/octet-stream",
    )
