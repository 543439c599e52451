from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from console import selectors
from console.views.base import console_view, render_page
from networks.querysets import is_account_admin
from ocpp_gateway.models import QuarantinedRow
from ocpp_gateway.selectors import message_log_size


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    network = request.current_network
    status = selectors.charging_status(user=request.user, network=network)
    context = {
        "status": status,
        "categories": selectors.CATEGORIES,
        "today": selectors.sessions_today(user=request.user, network=network),
    }
    if is_account_admin(request.user):
        # Platform-wide, so for account admins only: how much the OCPP message log holds (issue 12).
        context["message_log"] = message_log_size()
        context["message_retention_days"] = settings.MESSAGE_RETENTION_DAYS
        context["quarantined_rows"] = QuarantinedRow.objects.count()
    return render_page(
        request, "console/dashboard.html", context, title="Charging status", section="dashboard",
        fragments=("charging_status",),
    )
