"""The station page's monitoring sections (console maintenance tab): ``{% station_monitoring station %}``."""
from __future__ import annotations

from django import template

from monitoring import selectors

register = template.Library()


@register.inclusion_tag("monitoring/station_monitoring.html", takes_context=True)
def station_monitoring(context, station) -> dict:
    user = context["request"].user
    return {
        "station": station,
        "monitors": list(selectors.station_monitors(user=user, station=station)[:500]),
        "monitoring_settings": selectors.station_monitoring_settings(user=user, station=station),
        "customer_reports": selectors.station_customer_reports(user=user, station=station),
    }
