"""Celery interface of the sessions app: takes ids, calls a service."""
from __future__ import annotations

from celery import shared_task

from sessions.services import export_run


# An export of a million sessions takes well under a minute; the limit only stops a runaway job.
@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def export_sessions(export_id: int) -> bool:
    return export_run(export_id=export_id)
