"""The embedded (single-process) channel layer: Channels' in-memory layer, with its expiry sweep bounded.

channels.layers.InMemoryChannelLayer sweeps every channel for expired messages on every receive().
Each connected station's consumer waits in receive() on a channel of its own, and calls it again
after each remote command: the sweep made connecting N stations cost O(N^2) (50 million channel
checks for 10,000 stations, issue 17). Here the sweep runs at most once per SWEEP_INTERVAL; a
message still expires, at most that much later than its expiry (60 s by default).
"""
from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL = 1.0


class GatewayInMemoryChannelLayer(InMemoryChannelLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_INTERVAL:
            return
        self._swept_at = now
        super()._clean_expired()
