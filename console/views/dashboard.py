from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from console import selectors
from console.views.base import console_view, render_page


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    network = request.current_network
    status = selectors.charging_status(user=request.user, network=network)
    context = {
        "status": status,
        "categories": selectors.CATEGORIES,
        "today": selectors.sessions_today(user=request.user, network=network),
    }
    return render_page(
        request, "console/dashboard.html", context, title="Charging status", section="dashboard",
        fragments=("charging_status",),
    )
