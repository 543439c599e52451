"""Console panels: a location's site limit with its live sum, a station's latest composite schedule as
an inline SVG step chart (no script: the console's Content-Security-Policy allows only our static files)."""
from __future__ import annotations

from typing import Any

from django import template

from smartcharging.selectors import location_site_picture, station_latest_composite_schedule

register = template.Library()

WIDTH, HEIGHT, PAD = 600, 160, 32


@register.inclusion_tag("smartcharging/site_limit.html")
def site_limit_panel(location) -> dict[str, Any]:
    return site_limit_context(location)


def site_limit_context(location) -> dict[str, Any]:
    picture = location_site_picture(location_id=location.pk)
    limit_w = picture.limit.limit_w if picture.limit and picture.limit.enabled else None
    return {
        "location": location,
        "picture": picture,
        "limit_kw": None if limit_w is None else limit_w / 1000,
        "live_kw": picture.live_power_w / 1000,
        "allocated_kw": picture.allocated_w / 1000,
        "percent": None if not limit_w else min(100, round(100 * picture.live_power_w / limit_w)),
        "over": limit_w is not None and picture.live_power_w > limit_w,
    }


def step_chart(periods: list[dict[str, Any]], duration: int | None) -> dict[str, Any]:
    """SVG coordinates of a schedule's step line: x = seconds from its start, y = its limit."""
    if not periods:
        return {}
    end = max(duration or 0, periods[-1]["start_period"] + 1)
    top = max(p["limit"] for p in periods) or 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(seconds: float) -> float:
        return round(PAD + plot_w * seconds / end, 1)

    def y(limit: float) -> float:
        return round(HEIGHT - PAD - plot_h * limit / top, 1)

    points = []
    for index, period in enumerate(periods):
        until = periods[index + 1]["start_period"] if index + 1 < len(periods) else end
        points += [(x(period["start_period"]), y(period["limit"])), (x(until), y(period["limit"]))]
    return {
        "points": " ".join(f"{a},{b}" for a, b in points),
        "top": top,
        "end_minutes": round(end / 60, 1),
        "x0": PAD, "x1": WIDTH - PAD, "y0": HEIGHT - PAD, "y1": PAD,
        "width": WIDTH, "height": HEIGHT,
    }


@register.inclusion_tag("smartcharging/composite_schedule.html")
def composite_schedule_chart(station) -> dict[str, Any]:
    schedule = station_latest_composite_schedule(station=station)
    return {"schedule": schedule, "chart": step_chart(schedule.periods, schedule.duration) if schedule else {}}
