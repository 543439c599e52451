"""Remote actions in the admin: the command records, and per station a "Remote actions" menu with
one form per action and a configuration page whose writable entries link to the change form.

The station change page links here through the template admin/stations/change_form.html.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from commands import registry
from commands.models import Command
from commands.services import command_request
from networks.admin_mixins import ScopedRecordAdmin
from networks.api import NetworkRolePermission
from stations.configuration import configuration_entry_writable
from stations.models import ConfigurationKey, DeviceModelVariable, Station


@admin.register(Command)
class CommandAdmin(ScopedRecordAdmin):
    list_display = ["created_at", "station", "action", "status_badge", "result", "requested_by", "answered_at"]
    # Only the networks present in the user's commands (Django's plain filter lists every network).
    list_filter = ["status", "action", ("station__network", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["station__identity", "station__name", "error", "result"]
    list_select_related = ["station", "requested_by"]
    date_hierarchy = "created_at"
    fields = [
        "station",
        "action",
        "shown_parameters",
        "status",
        "result",
        "answer",
        "error",
        "waiting_for_idle",
        "requested_by",
        "created_at",
        "sent_at",
        "answered_at",
    ]
    readonly_fields = fields

    @admin.display(description="parameters")
    def shown_parameters(self, obj: Command) -> str:
        # Secret parameters (a password being rotated) are never shown, sealed or not.
        import json

        return json.dumps(obj.public_parameters, ensure_ascii=False)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Command) -> str:
        css = {"accepted": "ok", "sent": "pending", "queued": "pending"}.get(obj.status, "faulted")
        label = obj.get_status_display()
        if obj.waiting_for_idle:
            label += " (waiting for the session to end)"
        return format_html('<span class="command-{}" title="{}">{}</span>', css, obj.error, label)


    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("station/<int:station_id>/actions/", wrap(self.actions_menu_view), name="commands_station_actions"),
            path(
                "station/<int:station_id>/actions/<str:action>/",
                wrap(self.action_view),
                name="commands_station_action",
            ),
            path(
                "station/<int:station_id>/configuration/",
                wrap(self.configuration_view),
                name="commands_station_configuration",
            ),
            *super().get_urls(),
        ]

    # -- per station pages

    def _station(self, request, station_id: int, *, write: bool = False) -> Station:
        station = get_object_or_404(Station.objects.for_user(request.user), pk=station_id)
        if write and not Station.objects.for_user(request.user, write=True).filter(pk=station.pk).exists():
            raise PermissionDenied(NetworkRolePermission.message)
        return station

    def _context(self, request, station: Station, title: str, **extra) -> dict:
        can_act = Station.objects.for_user(request.user, write=True).filter(pk=station.pk).exists()
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "station": station,
            "station_opts": Station._meta,
            "title": title,
            "can_act": can_act,
            "actions": [
                (action.name, action.label, action.description)
                for action in registry.operator_actions(version=station.ocpp_version or "")
            ],
            **extra,
        }

    def actions_menu_view(self, request, station_id: int):
        station = self._station(request, station_id)
        commands = Command.objects.for_user(request.user).filter(station=station).select_related("requested_by")[:50]
        context = self._context(request, station, f"Remote actions: {station.name}", commands=commands)
        return TemplateResponse(request, "admin/commands/station_actions.html", context)

    def action_view(self, request, station_id: int, action: str):
        try:
            remote_action = registry.get(action)
        except registry.UnknownAction:
            raise Http404(f"No action {action!r}.") from None
        if remote_action.form is None:
            raise Http404(f"No action {action!r}: the platform sends it itself.")
        station = self._station(request, station_id, write=True)
        form_class = remote_action.form
        if request.method == "POST":
            # request.FILES: a file picked for a field (a PEM certificate) counts as that field's text.
            form = form_class(request.POST, request.FILES, station=station)
            if form.is_valid():
                try:
                    command = command_request(
                        station=station, action=action, parameters=form.parameters(), requested_by=request.user
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    level = messages.ERROR if command.is_final else messages.SUCCESS
                    messages.add_message(
                        request, level, f"{command.get_action_display()} for {station.identity}: {command.get_status_display()}."
                    )
                    return HttpResponseRedirect(reverse("admin:commands_command_change", args=[command.pk]))
        else:
            form = form_class(initial=request.GET.dict(), station=station)
        context = self._context(
            request,
            station,
            f"{remote_action.label}: {station.name}",
            form=form,
            action=action,
            action_label=remote_action.label,
            description=remote_action.description,
        )
        return TemplateResponse(request, "admin/commands/action_form.html", context)

    def configuration_view(self, request, station_id: int):
        station = self._station(request, station_id)
        base = reverse("admin:commands_station_action", args=[station.pk, "change_configuration"])
        rows = []
        for key in ConfigurationKey.objects.for_user(request.user).filter(station=station):
            rows.append(
                {
                    "name": key.key,
                    "value": key.value,
                    "readonly": key.readonly,
                    # The stations app's rule (the form enforces it; here it only hides the link).
                    "edit_url": (
                        f"{base}?{urlencode({'key': key.key, 'value': key.value})}"
                        if configuration_entry_writable(key=key.key, readonly=key.readonly)
                        else None
                    ),
                }
            )
        for var in DeviceModelVariable.objects.for_user(request.user).filter(station=station):
            name = var.component + (f"[{var.component_instance}]" if var.component_instance else "")
            if var.evse_id is not None:
                name += f" EVSE {var.evse_id}" + (f"/{var.connector_id}" if var.connector_id is not None else "")
            name += f" . {var.variable}" + (f"[{var.variable_instance}]" if var.variable_instance else "")
            if var.attribute_type != "Actual":
                name += f" ({var.attribute_type})"
            readonly = not configuration_entry_writable(
                component=var.component, variable=var.variable, mutability=var.mutability
            )
            params = {
                "component": var.component,
                "component_instance": var.component_instance,
                "evse_id": "" if var.evse_id is None else var.evse_id,
                "connector_id": "" if var.connector_id is None else var.connector_id,
                "variable": var.variable,
                "variable_instance": var.variable_instance,
                "attribute_type": "" if var.attribute_type == "Actual" else var.attribute_type,
                # A write-only value (a password) is never shown or carried into the form.
                "value": "" if var.mutability == "WriteOnly" else var.value,
            }
            rows.append(
                {
                    "name": name,
                    "value": "(write-only)" if var.mutability == "WriteOnly" else var.value,
                    "readonly": readonly,
                    "edit_url": None if readonly else f"{base}?{urlencode({k: v for k, v in params.items() if v != ''})}",
                }
            )
        context = self._context(request, station, f"Configuration: {station.name}", rows=rows)
        return TemplateResponse(request, "admin/commands/station_configuration.html", context)
