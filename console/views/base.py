"""What every console page shares: login through the admin, the admin's context, partial refreshes."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from networks.middleware import SESSION_KEY as NETWORK_SESSION_KEY
from networks.models import Network
from networks.querysets import is_account_admin
from switchplatform.admin_site import can_use_admin

LOGIN_URL = "/admin/login/"

#: The tabs of the top navigation: (section, label, url name).
SECTIONS = [
    ("dashboard", "Dashboard", "console:dashboard"),
    ("stations", "Stations", "console:station-list"),
    ("locations", "Locations", "console:location-list"),
    ("sessions", "Sessions", "console:session-list"),
    ("reservations", "Reservations", "console:reservation-list"),
    ("id-tokens", "Id tokens", "console:id-token-list"),
    ("firmware", "Firmware", "console:firmware-list"),
    ("alerts", "Alerts", "console:alert-list"),
]


def console_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign in through the admin's login page; only members of a network (or account admins) get in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        if not can_use_admin(request.user):
            raise PermissionDenied("You are not a member of any network.")
        return view(request, *args, **kwargs)

    return wrapped


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    title: str,
    section: str,
    status: int = 200,
    fragments: tuple[str, ...] = (),
) -> TemplateResponse:
    """Render with the admin site's context so admin/base_site.html (header, network selector) works."""
    page = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": title,
        "section": section,
        "sections": SECTIONS,
        "is_account_admin": is_account_admin(request.user),
        **context,
    }
    # ?fragment=<name> re-renders one block for the pages' live refresh (console.js polls it).
    fragment = request.GET.get("fragment")
    if fragment in fragments:
        template = f"console/fragments/{fragment}.html"
    return TemplateResponse(request, template, page, status=status)


def require_write(allowed: bool) -> None:
    """Viewers may look at their network's objects but not change them."""
    if not allowed:
        raise PermissionDenied("Your role in this network is read-only.")


def follow_to_network(request: HttpRequest, network: Network) -> None:
    """Something was just created in another network than the one selected: select its network,
    so the next page (the station, the location) is not a "Not Found" of the narrowed console."""
    current = request.current_network
    if current is not None and current.pk != network.pk:
        request.session[NETWORK_SESSION_KEY] = network.pk
        request.current_network = network
        messages.info(request, f"Created in {network.name}: the console now shows {network.name}.")
