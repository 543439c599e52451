"""The station page's display messages section (console maintenance tab): ``{% station_display_messages station %}``."""
from __future__ import annotations

from django import template
from django.utils import timezone

from displays import selectors

register = template.Library()


@register.inclusion_tag("displays/station_display_messages.html", takes_context=True)
def station_display_messages(context, station) -> dict:
    return {
        "station": station,
        "display_messages": list(selectors.station_display_messages(user=context["request"].user, station=station)[:200]),
        # A message past its end time is gone from the display (O01.FR.?); the station drops it on its own.
        "now": timezone.now(),
    }
