from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode

from console import selectors
from console.views.base import console_view, render_page
from sessions.filters import SessionFilter, session_filter_params


@console_view
def session_list(request: HttpRequest) -> HttpResponse:
    network = request.current_network
    # The sessions app's own filter set: the list, its CSV download and its exports read the same filters.
    filterset = SessionFilter(data=request.GET, queryset=selectors.session_list(user=request.user, network=network))
    sessions = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(sessions, 50).get_page(request.GET.get("page"))
    params = session_filter_params(request.GET)
    if network is not None:
        # The API's CSV endpoint is not narrowed by the header's network selector: say it in the filters.
        params["network"] = network.name
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filterset": filterset,
        "page": page,
        "csv_url": f"{reverse('session-list')}?{urlencode({**params, 'format': 'csv'})}",
        "export_url": reverse("session-export-list"),
        "export_filters": params,
        "locations": selectors.locations_visible(user=request.user, network=network).only("id", "name"),
        "query_without_page": query.urlencode(),
    }
    return render_page(request, "console/session_list.html", context, title="Sessions", section="sessions")


@console_view
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.session_list(user=request.user, network=request.current_network), pk=pk)
    context = {"session": session, "chart": selectors.session_chart(session=session)}
    return render_page(
        request, "console/session_detail.html", context, title=f"Session on {session.station.name}", section="sessions"
    )
