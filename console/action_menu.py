"""The station page's Actions menu: the console's own dialogs, then every other action registered
with ``commands.registry`` that the station's OCPP version takes, each as a dialog of its form's fields.

A new action appears here without a console change; an action that deserves a friendlier dialog
(pick a connector from the station's equipment, ...) gets one in ``console.views.actions``.
"""
from __future__ import annotations

from dataclasses import dataclass

from django import forms

from commands import registry
from stations.models import Station

#: Registered actions the console shows with a dialog of its own (console.views.actions.COMMAND_ACTIONS).
OWN_DIALOGS = {"reset", "unlock_connector", "trigger_message", "change_configuration"}


@dataclass
class MenuAction:
    name: str
    label: str
    description: str
    form: forms.Form

    @property
    def dialog_id(self) -> str:
        return f"dlg-action-{self.name}"


def menu_actions(station: Station) -> list[MenuAction]:
    return [
        MenuAction(
            name=action.name,
            label=action.label,
            description=action.description,
            form=action.form(station=station, auto_id=f"action-{action.name}-%s"),
        )
        for action in registry.operator_actions(version=station.ocpp_version or "")
        if action.name not in OWN_DIALOGS
    ]
