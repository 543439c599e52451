from __future__ import annotations

from django import template

from firmware.selectors import station_firmware_status, station_firmware_updates

register = template.Library()


@register.inclusion_tag("admin/firmware/station_firmware.html", takes_context=True)
def station_firmware(context, station):
    """The firmware box on the station's admin page: last status and the latest updates."""
    user = context["request"].user
    return {
        "station": station,
        "last_status": station_firmware_status(user=user, station=station),
        "updates": list(station_firmware_updates(user=user, station=station)[:5]),
    }
