"""The console's live site-limit panel: the location page re-renders it every few seconds."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from locations.models import Location
from smartcharging.templatetags.smartcharging import site_limit_context


@login_required
def site_limit_panel(request: HttpRequest, pk: int) -> HttpResponse:
    # Read through for_user: another network's location is a 404, as everywhere.
    location = get_object_or_404(Location.objects.for_user(request.user), pk=pk)
    return render(request, "smartcharging/site_limit_body.html", site_limit_context(location))
