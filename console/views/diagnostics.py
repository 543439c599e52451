"""The station page's Logs tab: log requests (GetLog / GetDiagnostics), their status and the uploaded files."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from console.views.base import console_view
from console.views.stations import get_station, station_page
from diagnostics.selectors import station_log_requests


@console_view
def station_logs(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    return station_page(
        request, station, "logs", "console/station_logs.html",
        {"log_requests": station_log_requests(user=request.user, station=station)[:20]},
        fragments=("log_requests",),
    )
