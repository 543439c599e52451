from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from certificates import pki
from certificates.services import ca_certificate_pem


@require_safe
def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The platform CA certificate, public: stations and operators install it to trust the platform."""
    try:
        pem = ca_certificate_pem()
    except pki.PkiError:
        return HttpResponse(
            "This platform has no CA yet: run `manage.py init_pki`.\n", status=404, content_type="text/plain"
        )
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="switch-ca.pem"'
    return response
