from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from console import selectors
from console.forms import LocationForm
from console.views.base import console_view, follow_to_network, render_page, require_write
from locations import services as location_services
from locations.models import Location
from networks.admin_mixins import can_write_somewhere
from stations.selectors import station_category


def get_location(request: HttpRequest, pk: int, *, write: bool = False) -> Location:
    location = get_object_or_404(
        selectors.locations_visible(user=request.user, network=request.current_network).select_related("network"),
        pk=pk,
    )
    if write:
        require_write(Location.objects.for_user(request.user, write=True).filter(pk=location.pk).exists())
    return location


def map_context() -> dict:
    return {"map_tile_url": settings.MAP_TILE_URL, "map_attribution": settings.MAP_TILE_ATTRIBUTION}


def location_pins(locations) -> list[dict]:
    return [
        {
            "name": loc.name,
            "lat": float(loc.latitude),
            "lng": float(loc.longitude),
            "url": reverse("console:location-detail", args=[loc.pk]),
            "stations": getattr(loc, "station_count", None),
        }
        for loc in locations
        if loc.latitude is not None and loc.longitude is not None
    ]


@console_view
def location_list(request: HttpRequest) -> HttpResponse:
    locations = list(selectors.location_list(user=request.user, network=request.current_network))
    context = {
        "locations": locations,
        "pins": location_pins(locations),
        "can_add": can_write_somewhere(request.user),
        **map_context(),
    }
    return render_page(request, "console/location_list.html", context, title="Locations", section="locations")


def _location_form_page(request: HttpRequest, form: LocationForm, *, title: str, location: Location | None):
    return render_page(
        request,
        "console/location_form.html",
        {"form": form, "location": location, **map_context()},
        title=title,
        section="locations",
    )


@console_view
def location_add(request: HttpRequest) -> HttpResponse:
    require_write(can_write_somewhere(request.user))
    form = LocationForm(request.POST or None, user=request.user, current_network=request.current_network)
    if request.method == "POST" and form.is_valid():
        location = form.save()
        messages.success(request, f"Location {location.name} created.")
        follow_to_network(request, location.network)
        return HttpResponseRedirect(reverse("console:location-detail", args=[location.pk]))
    return _location_form_page(request, form, title="Create a location", location=None)


@console_view
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_location(request, pk, write=True)
    form = LocationForm(
        request.POST or None, instance=location, user=request.user, current_network=request.current_network
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Location {location.name} saved.")
        return HttpResponseRedirect(reverse("console:location-detail", args=[location.pk]))
    return _location_form_page(request, form, title=f"Edit {location.name}", location=location)


@console_view
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_location(request, pk)
    stations = selectors.stations_visible(user=request.user, network=request.current_network).filter(
        location=location
    ).prefetch_related("evses__connectors")
    rows = [{"station": s, "category": station_category(s), "equipment": selectors.station_equipment(s)} for s in stations]
    context = {
        "location": location,
        "rows": rows,
        "pins": location_pins([location]),
        "can_write": Location.objects.for_user(request.user, write=True).filter(pk=location.pk).exists(),
        **map_context(),
    }
    return render_page(request, "console/location_detail.html", context, title=location.name, section="locations")


@console_view
@require_POST
def location_delete(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_location(request, pk, write=True)
    try:
        location_services.location_delete(location=location)
    except ValidationError as exc:
        # The service's rule, in its own words: stations still attached.
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("console:location-detail", args=[pk]))
    messages.success(request, f"Location {location.name} deleted.")
    return HttpResponseRedirect(reverse("console:location-list"))
