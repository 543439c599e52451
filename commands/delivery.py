"""Delivery on the worker's side (commands.tasks): hand a command to the consumer holding the
station's socket, and wait for its answer on one long-lived event loop per worker process."""
from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from commands.lifecycle import OFFLINE_ERROR, WAIT_GRACE_SECONDS, command_expire, command_finish
from commands.models import FINAL_STATUSES, Command, CommandStatus


def command_dispatch(*, command_id: int, wait: bool) -> Command:
    """Hand a command to the consumer holding the station's socket; with ``wait``, until answered.

    Idempotent: a command already sent is not sent again (a retry after a worker died only waits),
    and a command delivered twice is claimed once by ``command_start``.
    """
    command = Command.objects.select_related("station").get(pk=command_id)
    if command.is_final or command.waiting_for_idle:
        return command
    timeout = settings.OCPP_CALL_TIMEOUT + WAIT_GRACE_SECONDS
    settled = False
    if command.status == CommandStatus.QUEUED:
        channel_name = command.station.channel_name
        if not channel_name:
            command_finish(command=command, status=CommandStatus.STATION_OFFLINE, error=OFFLINE_ERROR, from_statuses=(CommandStatus.QUEUED,))
        else:
            try:
                if wait:
                    settled = _run_in_worker_loop(_deliver(command.pk, channel_name, timeout))
                else:
                    # Eager, inside daphne: run on daphne's own loop (the in-memory layer lives there).
                    async_to_sync(_deliver_eager)(command.pk, channel_name, timeout)
            except ChannelFull:
                command_finish(
                    command=command,
                    status=CommandStatus.FAILED,
                    error="The gateway holding the station's connection is overloaded (channel full).",
                    from_statuses=(CommandStatus.QUEUED,),
                )
    elif wait:
        # Sent by an earlier run of this task: the answer may still come within the call timeout.
        remaining = (command.sent_at + timedelta(seconds=timeout) - timezone.now()).total_seconds()
        if remaining > 0:
            settled = _run_in_worker_loop(_poll(command.pk, remaining))
    if wait and not settled:
        command_expire(command_id=command.pk)
    command.refresh_from_db()
    return command


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _run_in_worker_loop(coroutine: Coroutine[Any, Any, bool]) -> bool:
    """Run on one long-lived event loop per worker process.

    async_to_sync would start a loop per task, and channels-redis keeps its connections per loop:
    each command would pay for new Redis connections. It also refuses receive() from two loops at
    once, which a threads pool would do.
    """
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            # After a fork (prefork pool) the parent's loop thread does not exist in the child.
            _loop, _loop_pid = asyncio.new_event_loop(), os.getpid()
            threading.Thread(target=_loop.run_forever, name="commands-channel-layer", daemon=True).start()
        loop = _loop
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result()


async def _deliver(command_id: int, channel_name: str, wait_seconds: float | None) -> bool:
    """Send the command to the consumer; with ``wait_seconds``, return whether it settled meanwhile."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply_channel = await layer.new_channel() if wait_seconds is not None else None
    await layer.send(channel_name, {"type": "ocpp.command", "command_id": command_id, "reply_channel": reply_channel})
    if reply_channel is None:
        return False
    try:
        # The consumer says "done" on the reply channel once it has recorded the answer (or decided
        # there was nothing to send), which spares polling the database in the common case.
        notice = await asyncio.wait_for(layer.receive(reply_channel), wait_seconds)
    except asyncio.TimeoutError:
        return False
    if notice.get("status") in FINAL_STATUSES or await database_sync_to_async(_is_settled)(command_id):
        return True
    # A stale notice (e.g. a duplicate delivery); fall back to watching the row.
    return await _poll(command_id, wait_seconds - (loop.time() - started))


async def _deliver_eager(command_id: int, channel_name: str, expire_after: float) -> None:
    """Eager delivery: send without waiting, and leave the backstop expiry on the (daphne) loop.

    Without a worker nothing else would notice a command no consumer took (a stale channel_name after
    a crash), and it would stay "queued" for ever.
    """
    await _deliver(command_id, channel_name, None)

    def expire() -> None:
        task = asyncio.ensure_future(database_sync_to_async(command_expire)(command_id=command_id))
        _background.add(task)
        task.add_done_callback(_background.discard)

    # A fresh context: the request's would send the database work to its thread, gone by then.
    asyncio.get_running_loop().call_later(expire_after, expire, context=contextvars.Context())


_background: set[asyncio.Task] = set()


async def _poll(command_id: int, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await database_sync_to_async(_is_settled)(command_id):
            return True
        await asyncio.sleep(0.2)
    return False


def _is_settled(command_id: int) -> bool:
    command = Command.objects.only("status", "waiting_for_idle").get(pk=command_id)
    return command.is_final or command.waiting_for_idle
