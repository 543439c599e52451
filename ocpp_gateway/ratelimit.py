"""Per-station frame rate: a token bucket that slows a station down before it closes it.

One station must not take the gateway from the others (issue 12). A station may send ``burst``
frames at once and ``rate`` frames per second on average. Over that, its frames wait (the consumer
sleeps before handling the next one, so its socket backs up through ocpp_gateway.server's bounded
queue and TCP: its own frames wait, nobody else's). A station that stays over the rate for
``close_after`` seconds is closed with 1008.

"Stays over" means its bucket never refilled to half since it first ran dry: a station that drains
a queue of offline transactions and then settles is slowed, not closed.
"""
from __future__ import annotations


class FrameRate:
    __slots__ = ("rate", "burst", "close_after", "tokens", "last", "over_since")

    def __init__(self, *, rate: float, burst: float, close_after: float, now: float) -> None:
        self.rate = float(rate)
        self.burst = max(float(burst), 1.0)
        self.close_after = float(close_after)
        self.tokens = self.burst
        self.last = now
        self.over_since: float | None = None

    def take(self, now: float) -> float:
        """Count one frame arriving at ``now``; return how long to hold it (0 when within the rate)."""
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= self.burst / 2:
            self.over_since = None
        self.tokens -= 1
        if self.tokens >= 0:
            return 0.0
        if self.over_since is None:
            self.over_since = now
        return -self.tokens / self.rate

    def persistently_over(self, now: float) -> bool:
        return self.over_since is not None and now - self.over_since >= self.close_after
