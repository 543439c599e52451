"""The console's notification list: the alerts the network's rules raised, each delivery's outcome,
and the rules with their test button (rules are edited in the admin and the API)."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from alerts.selectors import alerts_visible, rules_visible
from alerts.services import alert_rule_test
from console.views.base import console_view, render_page


@console_view
def alert_list(request: HttpRequest) -> HttpResponse:
    network = request.current_network
    page = Paginator(alerts_visible(user=request.user, network=network), 50).get_page(request.GET.get("page"))
    writable = set(rules_visible(user=request.user, network=network, write=True).values_list("pk", flat=True))
    context = {"page": page, "rules": rules_visible(user=request.user, network=network), "writable_rules": writable}
    return render_page(request, "console/alert_list.html", context, title="Alerts", section="alerts")


@console_view
@require_POST
def alert_rule_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Another network's rule, or a viewer's: 404 (the write scope is the lookup).
    rule = get_object_or_404(rules_visible(user=request.user, network=None, write=True), pk=pk)
    for delivery in alert_rule_test(rule):
        if delivery.status == "sent":
            messages.success(request, f"Test alert sent by {delivery.get_channel_display()} to {delivery.target}.")
        else:
            messages.warning(request, f"Test alert to {delivery.target} not sent: {delivery.last_error} (retried later).")
    return redirect("console:alert-list")
