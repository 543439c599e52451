from __future__ import annotations

import logging
import os
import threading

from celery import Celery
from celery.beat import Scheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "switchplatform.settings")

app = Celery("switchplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# Longest sleep of the embedded runner, so a stop request is noticed promptly.
EMBEDDED_BEAT_MAX_SLEEP = 5.0


def embedded_beat_start() -> threading.Event | None:
    """Run CELERY_BEAT_SCHEDULE inside this process: for the embedded setup, which has no broker,
    no worker and no beat (tasks are eager). Returns an event that stops the runner when set.

    The schedule is the one celery beat runs with Redis, ticked by celery's own (in-memory)
    scheduler; each due task runs eagerly on this thread. A failing task is logged by the scheduler
    and the runner carries on.
    """
    if not app.conf.task_always_eager:
        return None
    stop = threading.Event()
    thread = threading.Thread(target=_embedded_beat_run, args=(stop,), name="embedded-beat", daemon=True)
    thread.start()
    return stop


class _EmbeddedScheduler(Scheduler):
    def send_task(self, name, *args, **kwargs):
        # Only a task unknown to this process gets here, and nothing would consume the message.
        raise LookupError(f"periodic task {name!r} is not a registered task")


def _embedded_beat_run(stop: threading.Event) -> None:
    from django.db import close_old_connections

    # Import every app's tasks module (autodiscovery is lazy), so the scheduler runs them in place.
    app.loader.import_default_modules()
    # "Sending due task" and "succeeded" every few seconds would drown serve's log.
    for name in ("celery.beat", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.WARNING)
    scheduler = _EmbeddedScheduler(app=app, lazy=False, max_interval=EMBEDDED_BEAT_MAX_SLEEP)
    logger.info("embedded beat: %s", ", ".join(sorted(scheduler.schedule)) or "nothing scheduled")
    while not stop.is_set():
        try:
            delay = scheduler.tick()
        except Exception:  # noqa: BLE001 - the runner must outlive any one bad tick
            logger.exception("embedded beat tick failed")
            delay = EMBEDDED_BEAT_MAX_SLEEP
        finally:
            # Eager tasks ran on this thread: give back its database connection between ticks.
            close_old_connections()
        stop.wait(min(delay, EMBEDDED_BEAT_MAX_SLEEP))
