"""Edit a charger (name, location within its network, OCPP version, password) and delete it.

The stations app's rules: the location is one of the station's network's (validate_station_location,
run by Station.clean), a new password follows validate_station_password and drops the open socket
(station_disconnect_if_disabled, close code 4001); a station with charging sessions is kept for the records.
"""
from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from console import selectors
from console.views.base import console_view, render_page, require_write
from console.views.stations import get_station
from locations.models import Location
from stations.forms import StationPasswordField
from stations.models import Station
from stations.services import station_connection_details, station_disconnect_if_disabled

#: Letters and digits only, like the add page's generator: some station portals mangle punctuation.
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
GENERATED_PASSWORD_LENGTH = 20


def generate_station_password(length: int = GENERATED_PASSWORD_LENGTH) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


class StationEditForm(forms.ModelForm):
    new_password = StationPasswordField(
        required=False,
        label="New password",
        help_text="16 to 40 characters. Leave empty to keep the current one. The station's open connection "
        "is closed at once; it must reconnect with the new password.",
    )
    generate_password = forms.BooleanField(
        required=False, label="Generate a new 20-character password",
        help_text="Zaptec and other OCPP 1.6 stations need exactly 20 bytes. Shown once after saving.",
    )

    class Meta:
        model = Station
        fields = ["name", "location", "ocpp_version", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the station's own network's locations (validate_station_location, via Station.clean).
        self.fields["location"].queryset = Location.objects.filter(network_id=self.instance.network_id)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password") and cleaned.get("generate_password"):
            self.add_error("new_password", "Type a password or generate one, not both.")
        return cleaned

    def new_password_value(self) -> str:
        if self.cleaned_data.get("generate_password"):
            return generate_station_password()
        return self.cleaned_data.get("new_password") or ""


def _writable_station(request: HttpRequest, identity: str) -> Station:
    station = get_station(request, identity)
    require_write(selectors.station_is_writable(user=request.user, station=station))
    return station


@console_view
def station_edit(request: HttpRequest, identity: str) -> HttpResponse:
    station = _writable_station(request, identity)
    form = StationEditForm(request.POST or None, instance=station)
    if request.method == "POST" and form.is_valid():
        password = form.new_password_value()
        with transaction.atomic():
            station = form.save(commit=False)
            if password:
                station.set_password(password)
            station.save()
            # A new password ends the connection made with the old one (after the commit).
            station_disconnect_if_disabled(station=station)
        if password:
            # The password exists in clear only in this response: shown once, as typed and in hex.
            response = render_page(
                request,
                "console/station_password.html",
                {"station": station, "details": station_connection_details(station=station, password=password), "password": password},
                title=f"New password for {station.name}",
                section="stations",
            )
            response["Cache-Control"] = "no-store"
            return response
        messages.success(request, f"Station {station.name} saved.")
        return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))
    return render_page(
        request, "console/station_edit.html", {"station": station, "form": form},
        title=f"Edit {station.name}", section="stations",
    )


@console_view
@require_POST
def station_delete(request: HttpRequest, identity: str) -> HttpResponse:
    station = _writable_station(request, identity)
    if request.POST.get("confirm_identity", "") != station.identity:
        messages.error(request, "Type the station's identity to delete it.")
        return HttpResponseRedirect(reverse("console:station-edit", args=[station.identity]))
    try:
        # post_delete closes the station's open socket (stations.services.station_deleted_disconnect).
        station.delete()
    except ProtectedError:
        messages.error(
            request,
            f"{station.name} has charging sessions, which are kept for billing: it cannot be deleted. "
            "Set its state to Rejected instead: its boots are then refused.",
        )
        return HttpResponseRedirect(reverse("console:station-edit", args=[station.identity]))
    messages.success(request, f"Station {station.name} ({station.identity}) deleted.")
    return HttpResponseRedirect(reverse("console:station-list"))
