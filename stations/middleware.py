"""`/api/charging_station/…` answers as `/api/charging_stations/…`.

The FAQ operators follow says "this data can also be accessed from our API using the
/charging_station endpoints". Rewriting the path before URL resolution serves every station
endpoint (list, detail, CSV, sessions, actions) under both spellings with one set of views, the
same permissions and the same network scoping; a redirect would lose a POST's body in some clients.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SINGULAR = "/api/charging_station/"
PLURAL = "/api/charging_stations/"


class ChargingStationPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(SINGULAR):
            request.path_info = PLURAL + request.path_info[len(SINGULAR):]
        return self.get_response(request)
