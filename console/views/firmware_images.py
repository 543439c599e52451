"""Firmware images: the list, and the upload (the firmware app's FirmwareForm and its upload()).

Reached from a station's Firmware tab, the upload form is pre-filled with the station's network,
vendor and model, and goes back to that tab.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.views.base import console_view, render_page, require_write
from console.views.stations import get_station
from firmware.forms import FirmwareForm
from firmware.models import Firmware
from firmware.services import firmware_delete
from networks.admin_mixins import can_write_somewhere

SECTION = "firmware"


def _visible_images(request: HttpRequest):
    images = Firmware.objects.for_user(request.user).in_network(request.current_network)
    if request.current_network is not None:
        # Shared images have no network but every network may use them.
        images = images | Firmware.objects.for_user(request.user).filter(shared=True)
    return images


@console_view
def firmware_list(request: HttpRequest) -> HttpResponse:
    images = _visible_images(request).select_related("network", "uploaded_by").order_by("-created_at")
    station = None
    if request.GET.get("station"):
        station = get_station(request, request.GET["station"])
        images = images.for_station(station)
    context = {
        "images": images,
        "station": station,
        "can_upload": can_write_somewhere(request.user),
        "deletable": set(Firmware.objects.for_user(request.user, write=True).values_list("pk", flat=True)),
    }
    return render_page(request, "console/firmware_list.html", context, title="Firmware images", section=SECTION)


@console_view
def firmware_upload(request: HttpRequest) -> HttpResponse:
    require_write(can_write_somewhere(request.user))
    station = None
    initial = {}
    identity = request.GET.get("station") or request.POST.get("station")
    if identity:
        station = get_station(request, identity)
        initial = {"network": station.network_id, "vendor": station.vendor, "model": station.model}
    elif request.current_network is not None:
        initial = {"network": request.current_network.pk}
    form = FirmwareForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            image = form.upload()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Firmware {image.version} uploaded ({image.size} bytes, SHA-256 {image.sha256[:16]}…).")
            if station is not None:
                return HttpResponseRedirect(reverse("console:station-firmware", args=[station.identity]))
            return HttpResponseRedirect(reverse("console:firmware-list"))
    return render_page(
        request, "console/firmware_upload.html", {"form": form, "station": station},
        title="Upload firmware", section=SECTION,
    )


@console_view
@require_POST
def firmware_image_delete(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(_visible_images(request), pk=pk)
    # Shared images are read-only to network members (FirmwareQuerySet.for_user(write=True)).
    require_write(Firmware.objects.for_user(request.user, write=True).filter(pk=image.pk).exists())
    try:
        firmware_delete(firmware=image)
    except (ProtectedError, ValidationError):
        messages.error(request, f"Firmware {image.version} was sent to stations: it stays, for their update history.")
    else:
        messages.success(request, f"Firmware {image.version} ({image.filename}) deleted.")
    return HttpResponseRedirect(reverse("console:firmware-list"))
