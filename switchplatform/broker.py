"""The Celery broker (Redis) as the web surfaces see it: sending a task, and what an outage answers.

An outage must not surface as a 500 with the work left half-done: ``task_send`` turns every way
the broker can refuse a message into ``BrokerUnavailable``, the service that called it records
the outcome (see commands.recovery), and ``BrokerUnavailableMiddleware`` answers 503 with the
service's message on every surface (API, console, admin).
"""
from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (KombuOperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
# Seconds to keep trying one publish: a short Redis blip passes, an outage answers quickly.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}


class BrokerUnavailable(Exception):
    """The task queue refused a message; ``str(exc)`` is the message for the user."""


def task_send(task: Any, *args: Any, **kwargs: Any) -> None:
    """``task.delay(*args, **kwargs)``, raising BrokerUnavailable when the broker cannot take it."""
    try:
        task.apply_async(args, kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(f"The task queue is unreachable: {exc}") from exc


class BrokerUnavailableMiddleware:
    """503 with the service's message instead of a 500, as JSON for the API and a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, BrokerUnavailable):
            return None
        message = str(exception)
        body: dict[str, Any] = {"detail": message}
        command_id = getattr(exception, "command_id", None)
        if command_id is not None:
            body["command"] = command_id
        headers = {"Retry-After": "30"}
        if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse(body, status=503, headers=headers)
        page = (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Task queue unavailable</title>"
            "</head><body><h1>Task queue unavailable (503)</h1>"
            f"<p id=\"broker-unavailable\">{escape(message)}</p>"
            + (f"<p>The action is recorded as command {int(command_id)}, failed.</p>" if command_id is not None else "")
            + "<p>Go back and send the action again once the queue is back.</p></body></html>"
        )
        return HttpResponse(page, status=503, headers=headers, content_type="text/html; charset=utf-8")

