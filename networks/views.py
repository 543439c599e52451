from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from networks.middleware import SESSION_KEY
from networks.models import Network


# The admin is the only place with a login page.
@login_required(login_url="admin:login")
@require_POST
def select_network(request):
    """Switch the network every page and list is narrowed to; empty means all networks."""
    network_id = request.POST.get("network", "")
    if network_id:
        network = Network.objects.for_user(request.user).filter(pk=network_id).first()
        if network is None:
            raise Http404("No such network")
        request.session[SESSION_KEY] = network.pk
    else:
        request.session.pop(SESSION_KEY, None)
    next_url = request.POST.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/admin/"
    return HttpResponseRedirect(next_url)


def login_locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer (HTTP 429) to a login while a username and address are locked out:
    the login page's look, with when to try again instead of the form."""
    credentials = credentials or {}
    username = credentials.get("username") or request.POST.get("username", "")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"username": username, "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT,
               "title": "Too many failed logins"}
    return render(request, "registration/locked_out.html", context, status=429)
