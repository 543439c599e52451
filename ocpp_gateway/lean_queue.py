"""A FIFO for one consumer task, at a fraction of asyncio.Queue's memory.

Each connected station had three asyncio.Queues (its inbound frames, its channel-layer channel and
the ocpp library's answer queue). An asyncio.Queue holds four deques (items, getters, putters and
its "finished" Event's waiters) of ~620 bytes each even when empty: ~7.5 KB per station, a quarter
of the issue 17 budget of 30 KB. A LeanQueue is two slots while empty; its deque exists only while
items wait.

Like asyncio.Queue, an item stays queued until the getter actually resumes and takes it, so a getter
cancelled after being woken loses nothing. One getter at a time (the only use here).
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class LeanQueue:
    __slots__ = ("_items", "_getter")

    def __init__(self) -> None:
        self._items: deque | None = None
        self._getter: asyncio.Future | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def first(self) -> Any:
        """The oldest item, left queued (IndexError when empty)."""
        if not self._items:
            raise IndexError("the queue is empty")
        return self._items[0]

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        getter, self._getter = self._getter, None
        if getter is not None and not getter.done():
            getter.set_result(None)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    async def get(self) -> Any:
        while not self._items:
            if self._getter is not None and not self._getter.done():
                raise RuntimeError("LeanQueue serves one getter at a time")
            getter = self._getter = asyncio.get_running_loop().create_future()
            try:
                await getter
            finally:
                if self._getter is getter:
                    self._getter = None
        return self.get_nowait()
