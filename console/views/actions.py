"""The station page's actions menu: each item posts here, which calls the owning app's service.

The answer is the command as JSON (console.js then polls it until the station answered), or, without
JavaScript, a redirect to the station's Commands tab.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from certificates import upgrades
from certificates.models import UpgradeRecord, UpgradeStatus, UpgradeStep
from commands import registry
from commands import services as command_services
from commands.models import Command, CommandStatus
from console import selectors
from console.action_menu import menu_actions
from console.views.base import console_view, require_write
from console.views.stations import get_station
from stations.models import OcppVersion, Station

V201 = OcppVersion.V201.value


def _split_connector(value: str) -> tuple[int | None, int | None]:
    evse, _, connector = (value or "").partition("/")
    return (int(evse) if evse.isdigit() else None, int(connector) if connector.isdigit() else None)


def _reset(station: Station, post) -> dict[str, Any]:
    params: dict[str, Any] = {"when": "on_idle" if post.get("when") == "idle" else "immediate"}
    # Only 2.0.1 resets a single EVSE (OCPP 2.0.1 F01.FR.02); 1.6 Reset is station-wide.
    if post.get("evse") and station.ocpp_version == V201:
        params["evse_id"] = post["evse"]
    return params


def _unlock(station: Station, post) -> dict[str, Any]:
    evse_id, connector_id = _split_connector(post.get("connector", ""))
    if station.ocpp_version == V201:
        return {"evse_id": evse_id, "connector_id": connector_id}
    # 1.6 UnlockConnector takes the station's connectorId, which the platform stores as connector_id.
    return {"connector_id": connector_id}


def _trigger(station: Station, post) -> dict[str, Any]:
    params: dict[str, Any] = {"requested_message": post.get("message", "")}
    if post.get("evse"):
        if station.ocpp_version == V201:
            params["evse_id"] = post["evse"]
        else:
            params["connector_id"] = post["evse"]
    return params


CHANGE_CONFIGURATION_FIELDS = (
    "key", "value", "component", "component_instance", "evse_id", "connector_id", "variable",
    "variable_instance", "attribute_type",
)


def _change_configuration(station: Station, post) -> dict[str, Any]:
    return {name: post[name] for name in CHANGE_CONFIGURATION_FIELDS if name in post and (post[name] != "" or name == "value")}


def _posted_with_files(request: HttpRequest):
    """The posted fields, with each uploaded file's text under its field's name (a PEM certificate
    picked in the dialog): the command stores text, never a file."""
    if not request.FILES:
        return request.POST
    posted = request.POST.copy()
    for name, upload in request.FILES.items():
        posted[name] = upload.read(64 * 1024).decode("utf-8", errors="replace")
    return posted


def _form_fields(action: str):
    def to_parameters(station: Station, post) -> dict[str, Any]:
        fields = registry.get(action).form.base_fields
        parameters: dict[str, Any] = {}
        for name, field in fields.items():
            if isinstance(field, forms.MultipleChoiceField):
                # Several checked boxes post the name several times: keep them all.
                chosen = [value for value in post.getlist(name) if value != ""]
                if chosen:
                    parameters[name] = chosen
            elif post.get(name, "") != "":
                parameters[name] = post[name]
        return parameters

    return to_parameters


#: The menu's actions: url slug → (commands action, how the dialog's fields become its parameters).
COMMAND_ACTIONS = {
    "reset": ("reset", _reset),
    "unlock": ("unlock_connector", _unlock),
    "trigger": ("trigger_message", _trigger),
    "change-configuration": ("change_configuration", _change_configuration),
}


def command_payload(command: Command) -> dict[str, Any]:
    ok = command.status == CommandStatus.ACCEPTED
    detail = command.result if command.result and command.result != command.get_status_display() else ""
    if command.error:
        detail = f"{detail} {command.error}".strip()
    if command.waiting_for_idle:
        detail = "held until the running session ends"
    return {
        "id": command.pk,
        "action": command.action,
        "label": command.get_action_display(),
        "status": command.status,
        "status_display": command.get_status_display(),
        "result": command.result,
        "detail": detail,
        "done": command.is_final,
        "ok": ok,
        "status_url": reverse("console:command-status", args=[command.pk]),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error(request: HttpRequest, station: Station, message: str, status: int = 400) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))


def upgrade_payload(upgrade: UpgradeRecord) -> dict[str, Any]:
    steps = list(upgrade.steps.all())
    running = next((step for step in steps if step.status == UpgradeStep.Status.RUNNING), None)
    finished = sum(step.status == UpgradeStep.Status.DONE for step in steps)
    done = upgrade.status != UpgradeStatus.RUNNING
    return {
        "id": upgrade.pk,
        "label": f"Security profile {upgrade.from_profile} → {upgrade.target_profile}",
        "status": upgrade.status,
        "status_display": upgrade.get_status_display(),
        "detail": upgrade.error if done else (running.name if running else ""),
        "progress": round(100 * finished / max(len(upgrade.plan or []), 1)),
        "done": done,
        "ok": upgrade.status == UpgradeStatus.SUCCEEDED,
        "status_url": reverse("console:upgrade-status", args=[upgrade.pk]),
    }


def _security_upgrade(request: HttpRequest, station: Station) -> HttpResponse:
    profile = request.POST.get("profile", "")
    try:
        upgrade = upgrades.upgrade_start(
            station=station, target_profile=int(profile) if profile.isdigit() else 0, requested_by=request.user
        )
    except upgrades.UpgradeRefused as exc:
        return _error(request, station, str(exc))
    if _wants_json(request):
        return JsonResponse(upgrade_payload(upgrade), status=201)
    messages.info(request, f"Security profile upgrade to {upgrade.target_profile} started.")
    return HttpResponseRedirect(reverse("console:station-detail", args=[station.identity]))


@console_view
@require_POST
def station_action(request: HttpRequest, identity: str, action: str) -> HttpResponse:
    station = get_station(request, identity)
    require_write(selectors.station_is_writable(user=request.user, station=station))
    if action == "security-profile":
        return _security_upgrade(request, station)
    if action in COMMAND_ACTIONS:
        command_action, to_parameters = COMMAND_ACTIONS[action]
    elif action in {item.name for item in menu_actions(station)}:
        # A registered action without a dialog of its own: its form's fields, as posted.
        command_action, to_parameters = action, _form_fields(action)
    else:
        raise Http404("No such action.")
    try:
        command = command_services.command_request(
            station=station,
            action=command_action,
            parameters=to_parameters(station, _posted_with_files(request)),
            requested_by=request.user,
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        text = "; ".join(f"{field}: {' '.join(msgs)}" if field else " ".join(msgs) for field, msgs in errors.items())
        return _error(request, station, text)
    if _wants_json(request):
        return JsonResponse(command_payload(command), status=201)
    messages.info(request, f"{command.get_action_display()}: {command.get_status_display()}")
    return HttpResponseRedirect(reverse("console:station-commands", args=[station.identity]))


@console_view
def command_status(request: HttpRequest, pk: int) -> JsonResponse:
    command = get_object_or_404(
        Command.objects.for_user(request.user).in_network(request.current_network).select_related("station"), pk=pk
    )
    return JsonResponse(command_payload(command))


@console_view
def upgrade_status(request: HttpRequest, pk: int) -> JsonResponse:
    upgrade = get_object_or_404(
        UpgradeRecord.objects.for_user(request.user).in_network(request.current_network).prefetch_related("steps"),
        pk=pk,
    )
    return JsonResponse(upgrade_payload(upgrade))
