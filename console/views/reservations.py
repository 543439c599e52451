"""The console's reservations: what is reserved where, for whom, until when, and how each one ended.
Reservations are made and cancelled with the stations' Actions menu (Reserve now, Cancel reservation)."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from console.views.base import console_view, render_page
from reservations.models import ReservationStatus
from reservations.selectors import reservations_visible


@console_view
def reservation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ReservationStatus.values:
        status = ""
    reservations = reservations_visible(user=request.user, network=request.current_network, status=status)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": Paginator(reservations, 50).get_page(request.GET.get("page")),
        "statuses": ReservationStatus.choices,
        "status": status,
        "query_without_page": query.urlencode(),
    }
    return render_page(request, "console/reservation_list.html", context, title="Reservations", section="reservations")
