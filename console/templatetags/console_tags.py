from __future__ import annotations

from django import template

from firmware.selectors import firmware_update_progress

register = template.Library()


@register.filter
def firmware_progress(update) -> int | None:
    return firmware_update_progress(update)


@register.filter
def as_json(value) -> str:
    """A frame's payload as the station sent it (JSON, not Python's repr)."""
    import json

    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
