"""The station's download: no login, only a signed per-update link (firmware.links)."""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_safe

from firmware.downloads import firmware_file_response
from firmware.links import LinkExpired, firmware_link_resolve


@require_safe
def firmware_download(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    try:
        update = firmware_link_resolve(token=token)
    except LinkExpired:
        return HttpResponseForbidden("This firmware link has expired.", content_type="text/plain")
    if update is None:
        # Altered or made-up links look like any other missing page.
        raise Http404("No such firmware link.")
    return firmware_file_response(request=request, firmware=update.firmware)
