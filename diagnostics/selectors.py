from __future__ import annotations

from diagnostics.models import LogRequest
from stations.models import Station


def station_log_requests(*, user, station: Station):
    """The station's log requests ``user`` may see, newest first, with their timelines."""
    return LogRequest.objects.for_user(user).filter(station=station).prefetch_related("events")
