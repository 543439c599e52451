from __future__ import annotations

from django import template

from console import selectors

register = template.Library()


@register.filter
def firmware_progress(update) -> int:
    return selectors.firmware_progress(update)


@register.filter
def as_json(value) -> str:
    """A frame's payload as the station sent it (JSON, not Python's repr)."""
    import json

    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
