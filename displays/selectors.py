"""Reads of the displays app: every query starts from ``DisplayMessage.objects.for_user``."""
from __future__ import annotations

from django.db.models import Max, QuerySet

from displays.models import DisplayMessage
from stations.models import Station


def station_display_messages(*, user, station: Station) -> QuerySet[DisplayMessage]:
    return DisplayMessage.objects.for_user(user).filter(station=station).order_by("message_id")


def next_message_id(*, station: Station) -> int:
    """An id the station has no message under, as far as the platform knows (a new message, not O06's replace)."""
    highest = DisplayMessage.objects.filter(station=station).aggregate(highest=Max("message_id"))["highest"]
    return 1 if highest is None else highest + 1
