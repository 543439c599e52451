"""/health (liveness), /ready (readiness) and /metrics (Prometheus), for load balancers and monitoring.

/health and /ready need no login: load balancers and orchestrators call them. They say which
dependency is down; the error text (which may name hosts and ports) only to a request /metrics would
answer. /metrics answers only a bearer token (METRICS_TOKEN) or an allowed address
(METRICS_ALLOWED_ADDRESSES); anything else gets 403.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from health import metrics
from health.checks import readiness


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The process answers HTTP: nothing else is checked (a database outage must not restart it)."""
    return JsonResponse({"status": "ok", "node": metrics.NODE})


@never_cache
@require_GET
async def ready(request: HttpRequest) -> JsonResponse:
    """503 until the database, the channel layer and the broker (when configured) all answer."""
    results = await readiness()
    ok = all(r.ok for r in results)
    detailed = metrics_allowed(request)
    body = {
        "status": "ready" if ok else "not ready",
        "checks": {
            r.name: {"ok": r.ok, "seconds": r.seconds, **({"detail": r.detail} if detailed else {})} for r in results
        },
    }
    return JsonResponse(body, status=200 if ok else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and constant_time_compare(given.strip(), token):
            return True
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_ADDRESSES


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse(
            "Forbidden: /metrics needs METRICS_TOKEN (Authorization: Bearer …) or an address in "
            "METRICS_ALLOWED_ADDRESSES.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST)
