"""LeanQueue: asyncio.Queue's behaviour for one getter, without its memory (issue 17)."""
from __future__ import annotations

import asyncio
import sys

import pytest

from ocpp_gateway.lean_queue import LeanQueue


async def test_items_come_out_in_order_and_a_waiting_getter_is_woken():
    queue = LeanQueue()
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert await asyncio.wait_for(getter, 1) == 1
    assert queue.qsize() == 1
    assert await queue.get() == 2
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_getter_cancelled_after_it_was_woken_loses_no_item():
    queue = LeanQueue()
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("frame")
    getter.cancel()  # woken, but cancelled before it resumed (a disconnect, a wait_for timeout)
    with pytest.raises(asyncio.CancelledError):
        await getter
    assert await asyncio.wait_for(queue.get(), 1) == "frame"


async def test_a_getter_that_times_out_leaves_the_queue_usable():
    queue = LeanQueue()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("late")
    assert await asyncio.wait_for(queue.get(), 1) == "late"


def test_an_empty_queue_holds_no_deque():
    queue = LeanQueue()
    assert sys.getsizeof(queue) < 100
    queue.put_nowait(1)
    queue.get_nowait()
    assert queue._items is None  # the deque's 64-slot block is given back once drained
