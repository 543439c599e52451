from __future__ import annotations

from django import template

from commands.selectors import command_list

register = template.Library()


@register.inclusion_tag("admin/commands/_command_table.html", takes_context=True)
def station_commands(context, station, limit: int = 10) -> dict:
    """The station's latest commands, read through the user's scope like every other page."""
    return {"commands": command_list(user=context["request"].user, station=station)[:limit]}
