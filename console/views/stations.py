from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from console import selectors
from console.action_menu import menu_actions
from commands import services as command_services
from console.forms import AddStationForm, StationRegistrationForm
from console.views.base import console_view, follow_to_network, render_page, require_write
from firmware import selectors as firmware_selectors
from firmware import services as firmware_services
from firmware.forms import FirmwareUpdateForm
from firmware.models import Firmware
from networks.admin_mixins import can_write_somewhere
from ocpp_gateway.refusals import refused_identities_visible
from stations.exports import station_csv_response
from stations.models import SecurityProfile, Station, StationState
from stations.selectors import station_category
from stations.services import station_connection_details, station_connection_url, station_registration_set

#: The station page's tabs: (slug, label).
STATION_TABS = [
    ("overview", "Overview", "console:station-detail"),
    ("maintenance", "Maintenance", "console:station-maintenance"),
    ("messages", "Message log", "console:station-messages"),
    ("sessions", "Sessions", "console:station-sessions"),
    ("firmware", "Firmware", "console:station-firmware"),
    ("logs", "Logs", "console:station-logs"),
    ("commands", "Commands", "console:station-commands"),
    ("faults", "Faults", "console:station-faults"),
]


def get_station(request: HttpRequest, identity: str) -> Station:
    station = selectors.station_get(user=request.user, network=request.current_network, identity=identity)
    if station is None:
        raise Http404("No such station.")
    return station


def _station_filters(request: HttpRequest) -> selectors.StationFilters:
    return selectors.StationFilters(
        tab=StationState.PENDING if request.GET.get("tab") == "pending" else StationState.ONBOARDED,
        q=request.GET.get("q", ""),
        status=request.GET.get("status", ""),
        vendor=request.GET.get("vendor", ""),
        location=request.GET.get("location", ""),
    )


@console_view
def station_list(request: HttpRequest) -> HttpResponse:
    network = request.current_network
    filters = _station_filters(request)
    qs = selectors.station_list(user=request.user, network=network, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [
        {"station": s, "category": station_category(s), "equipment": selectors.station_equipment(s)}
        for s in page
    ]
    visible = selectors.stations_visible(user=request.user, network=network)
    context = {
        "filters": filters,
        "page": page,
        "rows": rows,
        "onboarded_count": visible.filter(state=StationState.ONBOARDED).count(),
        "pending_count": visible.exclude(state=StationState.ONBOARDED).count(),
        "categories": selectors.CATEGORIES,
        "vendors": selectors.station_vendors(user=request.user, network=network),
        "locations": selectors.locations_visible(user=request.user, network=network).only("id", "name"),
        "can_add": can_write_somewhere(request.user),
        "unknown_count": refused_identities_visible(user=request.user).count(),
        "query_without_page": _query_without(request, "page"),
    }
    return render_page(
        request, "console/station_list.html", context, title="Stations", section="stations",
        fragments=("station_table",),
    )


@console_view
def unknown_stations(request: HttpRequest) -> HttpResponse:
    """Identities no station has that tried to connect (ocpp_gateway.refusals), to add them."""
    require_write(can_write_somewhere(request.user))
    qs = refused_identities_visible(user=request.user)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render_page(
        request, "console/unknown_stations.html",
        {"page": page, "query_without_page": _query_without(request, "page"), "kept": settings.REFUSED_IDENTITIES_MAX},
        title="Unknown stations", section="stations",
    )


@console_view
def station_export(request: HttpRequest) -> HttpResponse:
    """The station list as CSV, with the filters on screen (the same selector as the list)."""
    stations = selectors.station_list(user=request.user, network=request.current_network, filters=_station_filters(request))
    return station_csv_response(request, stations)


def _query_without(request: HttpRequest, *keys: str) -> str:
    query = request.GET.copy()
    for key in (*keys, "fragment"):
        query.pop(key, None)
    return query.urlencode()


@console_view
def station_add(request: HttpRequest) -> HttpResponse:
    require_write(can_write_somewhere(request.user))
    # "Add this charger" on the unknown-stations page pre-fills the identity it tried.
    initial = {"identity": request.GET.get("identity", "")[:48]}
    form = AddStationForm(
        request.POST or None, user=request.user, current_network=request.current_network, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        station = form.save()
        # The password exists in clear only in this request: show what the station needs, once,
        # as typed (or generated) and in the hex form Zaptec and 1.6 AuthorizationKey take.
        password = form.cleaned_data["password"]
        details = station_connection_details(station=station, password=password)
        follow_to_network(request, station.network)
        return render_page(
            request,
            "console/station_connect.html",
            {"station": station, "details": details, "password": password},
            title=f"Connect {station.name}",
            section="stations",
        )
    return render_page(request, "console/station_add.html", {"form": form}, title="Add charger", section="stations")


def station_status_payload(station: Station) -> dict:
    return {
        "identity": station.identity,
        "state": station.state,
        "state_display": station.get_state_display(),
        "category": station_category(station),
        "connected": station.connected,
        "last_seen": station.last_seen.isoformat() if station.last_seen else None,
        "last_connection_error": station.last_connection_error,
        "last_connection_error_at": (
            station.last_connection_error_at.isoformat() if station.last_connection_error_at else None
        ),
        "vendor": station.vendor,
        "model": station.model,
        "firmware_version": station.firmware_version,
        "ocpp_version": station.ocpp_version,
        "equipment": [
            {"label": row.label, "status": row.status, "category": row.category, "error": row.error}
            for row in selectors.station_equipment(station)
        ],
    }


@console_view
def station_status(request: HttpRequest, identity: str) -> JsonResponse:
    """Polled by the onboarding page while it waits for the station to connect."""
    return JsonResponse(station_status_payload(get_station(request, identity)))


def station_page(
    request: HttpRequest, station: Station, tab: str, template: str, context: dict, *, fragments: tuple[str, ...] = ()
):
    equipment = selectors.station_equipment(station)
    can_write = selectors.station_is_writable(user=request.user, station=station)
    return render_page(
        request,
        template,
        {
            "station": station,
            "tab": tab,
            "tabs": STATION_TABS,
            "can_write": can_write,
            "category": station_category(station),
            "equipment": equipment,
            "evse_ids": sorted({row.evse_id for row in equipment if row.evse_id}),
            "connection_url": station_connection_url(station=station),
            # Profiles 2 and 3 connect through the TLS terminator's wss:// URL.
            "tls_connection_url": f"{settings.OCPP_TLS_PUBLIC_URL}{station.identity}" if settings.OCPP_TLS_PUBLIC_URL else "",
            "security_profiles": SecurityProfile.choices,
            "trigger_messages": selectors.trigger_messages(station),
            "menu_actions": menu_actions(station) if can_write else [],
            **context,
        },
        title=station.name,
        section="stations",
        # Every tab's header badge refreshes itself.
        fragments=(*fragments, "station_badge"),
    )


@console_view
def station_detail(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    context = {
        "connection_security": selectors.station_connection_security(user=request.user, station=station),
        "upgrades": selectors.station_security_upgrades(user=request.user, station=station)[:3],
    }
    return station_page(
        request, station, "overview", "console/station_overview.html", context,
        fragments=("station_equipment", "security_upgrades"),
    )



@console_view
def station_registration(request: HttpRequest, identity: str) -> HttpResponse:
    """The "answer Pending at the next boot" switch; optionally a TriggerMessage BootNotification."""
    station = get_station(request, identity)
    if request.method != "POST":
        return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))
    require_write(selectors.station_is_writable(user=request.user, station=station))
    form = StationRegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))
    data = form.cleaned_data
    try:
        station_registration_set(station=station, boot_pending=data["boot_pending"], interval=data["boot_pending_interval"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))
    answer = "Pending" if data["boot_pending"] else "Accepted"
    messages.info(request, f"The next BootNotification is answered {answer}.")
    if data["trigger_boot"]:
        try:
            command = command_services.command_request(
                station=station, action="trigger_message", parameters={"requested_message": "BootNotification"},
                requested_by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.info(request, f"{command.get_action_display()} BootNotification: {command.get_status_display()}")
            return HttpResponseRedirect(reverse("console:station-commands", args=[station.identity]))
    return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))


@console_view
def station_maintenance(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    context = {
        "configuration": selectors.station_configuration(user=request.user, station=station),
        "device_model": selectors.station_device_model(user=request.user, station=station),
        "reports": selectors.station_device_model_reports(user=request.user, station=station)[:20],
        "events": selectors.station_events(user=request.user, station=station)[:50],
    }
    return station_page(request, station, "maintenance", "console/station_maintenance.html", context)


@console_view
def station_messages(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    filters = selectors.MessageFilters.from_query(request.GET)
    qs = selectors.station_messages(user=request.user, station=station, filters=filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "actions": selectors.station_message_actions(user=request.user, station=station),
        "query_without_page": _query_without(request, "page"),
    }
    return station_page(request, station, "messages", "console/station_messages.html", context)


@console_view
def station_sessions(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    qs = selectors.session_list(user=request.user, network=request.current_network).filter(station=station)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return station_page(
        request, station, "sessions", "console/station_sessions.html",
        {"page": page, "query_without_page": _query_without(request, "page")},
    )


@console_view
def station_faults(request: HttpRequest, identity: str) -> HttpResponse:
    """The station's fault history (stations.faults): kept when the station goes offline."""
    station = get_station(request, identity)
    qs = selectors.station_fault_history(user=request.user, station=station)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return station_page(
        request, station, "faults", "console/station_faults.html",
        {"page": page, "query_without_page": _query_without(request, "page"), "kept": settings.FAULT_HISTORY_PER_STATION},
    )


@console_view
def station_commands(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    qs = selectors.station_commands(user=request.user, station=station)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return station_page(
        request, station, "commands", "console/station_commands.html",
        {"page": page, "query_without_page": _query_without(request, "page")},
        fragments=("command_table",),
    )


@console_view
def station_firmware(request: HttpRequest, identity: str) -> HttpResponse:
    station = get_station(request, identity)
    can_write = selectors.station_is_writable(user=request.user, station=station)
    # The station's own network's images and the shared ones; the service refuses any other.
    images = (
        Firmware.objects.for_user(request.user)
        .filter(Q(network_id=station.network_id) | Q(shared=True))
        .for_station(station)
        .order_by("-created_at")
    )
    form = FirmwareUpdateForm(request.POST or None, firmware_queryset=images) if can_write else None
    if request.method == "POST":
        require_write(can_write)
        if form.is_valid():
            try:
                # The form's fields are the service's parameters: firmware, retrieve_at, retries, retry_interval.
                firmware_services.firmware_update_request(
                    stations=[station], requested_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Firmware update to {form.cleaned_data['firmware']} requested.")
                return HttpResponseRedirect(reverse("console:station-firmware", args=[station.identity]))
    updates = firmware_selectors.station_firmware_updates(user=request.user, station=station)[:20]
    return station_page(
        request, station, "firmware", "console/station_firmware.html",
        {"form": form, "updates": updates, "has_images": images.exists()},
        fragments=("firmware_updates",),
    )
