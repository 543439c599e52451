from __future__ import annotations

from django import template

from console import selectors

register = template.Library()


@register.filter
def firmware_progress(update) -> int:
    return selectors.firmware_progress(update)
