"""The embedded (single-process) channel layer: Channels' in-memory layer, lean enough for 10,000 stations.

channels.layers.InMemoryChannelLayer, changed in two ways (issue 17):
- It swept every channel for expired messages on every receive(). Each connected station's consumer
  waits in receive() on a channel of its own, and calls it again after each remote command: the
  sweep made connecting N stations cost O(N^2) (50 million channel checks for 10,000 stations).
  Here the sweep runs at most once per SWEEP_INTERVAL; a message still expires, at most that much
  later than its expiry (60 s by default).
- Each waiting channel held an asyncio.Queue (~2.5 KB empty, and a new one was built and thrown
  away on every send and receive): here a LeanQueue (ocpp_gateway.lean_queue), with the layer's
  capacity checked by the layer.
"""
from __future__ import annotations

import time
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from ocpp_gateway.lean_queue import LeanQueue

SWEEP_INTERVAL = 1.0


class GatewayInMemoryChannelLayer(InMemoryChannelLayer):
    _swept_at = 0.0

    def _queue(self, channel: str) -> LeanQueue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = LeanQueue()
        return queue

    async def send(self, channel, message):
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        queue = self._queue(channel)
        if queue.qsize() >= self.get_capacity(channel):
            raise ChannelFull(channel)
        queue.put_nowait((time.time() + self.expiry, deepcopy(message)))

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self._queue(channel)
        try:
            _, message = await queue.get()
        finally:
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
        return message

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_INTERVAL:
            return
        self._swept_at = now
        self._sweep()

    def _sweep(self) -> None:
        wall = time.time()
        for channel, queue in list(self.channels.items()):
            while not queue.empty() and queue.first()[0] < wall:
                queue.get_nowait()
                self._remove_from_groups(channel)
                if queue.empty():
                    self.channels.pop(channel, None)
        timeout = int(wall) - self.group_expiry
        for channels in self.groups.values():
            for name, timestamp in list(channels.items()):
                if timestamp and timestamp < timeout:
                    channels.pop(name, None)
