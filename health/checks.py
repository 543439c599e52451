"""What /ready checks: the database, the channel layer and, when configured, the task broker."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

#: Seconds each check may take before it counts as failed.
CHECK_TIMEOUT = 3.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


async def _channel_layer() -> str:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # A real round trip: what a remote command's delivery to a gateway node needs.
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "health.ping":
        raise RuntimeError("the channel layer answered something else")
    return type(layer).__name__


def _broker() -> str:
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


def broker_configured() -> bool:
    return not str(settings.CELERY_BROKER_URL).startswith("memory://")


async def _run(name: str, check) -> CheckResult:
    start = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), CHECK_TIMEOUT)
        ok = True
    except Exception as exc:  # a check's failure is its answer, never a 500
        detail, ok = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__, False
    return CheckResult(name=name, ok=ok, detail=str(detail), seconds=round(time.perf_counter() - start, 4))


async def readiness() -> list[CheckResult]:
    checks = [
        ("database", sync_to_async(_database, thread_sensitive=True)),
        ("channel_layer", _channel_layer),
    ]
    if broker_configured():
        checks.append(("broker", sync_to_async(_broker, thread_sensitive=False)))
    return list(await asyncio.gather(*(_run(name, check) for name, check in checks)))
