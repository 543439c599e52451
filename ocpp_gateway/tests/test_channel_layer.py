"""The embedded channel layer: expired messages still expire, and a receive does not sweep every channel."""
from __future__ import annotations

import asyncio

from ocpp_gateway import channel_layer
from ocpp_gateway.channel_layer import GatewayInMemoryChannelLayer


async def test_messages_expire_and_the_sweep_runs_at_most_once_per_interval(monkeypatch):
    layer = GatewayInMemoryChannelLayer(expiry=0.05)
    sweeps = 0
    original = channel_layer.InMemoryChannelLayer._clean_expired

    def counted(self):
        nonlocal sweeps
        sweeps += 1
        original(self)

    monkeypatch.setattr(channel_layer.InMemoryChannelLayer, "_clean_expired", counted)
    monkeypatch.setattr(channel_layer, "SWEEP_INTERVAL", 0.2)
    # Many consumers waiting on their own channels, as connected stations do.
    waiters = [asyncio.ensure_future(layer.receive(f"specific.inmemory!{n:05d}")) for n in range(500)]
    await asyncio.sleep(0.01)
    assert sweeps == 1
    await layer.send("specific.inmemory!stale", {"type": "ocpp.command"})
    await asyncio.sleep(0.25)
    fresh = asyncio.ensure_future(layer.receive("specific.inmemory!other"))
    await asyncio.sleep(0.01)
    assert sweeps == 2
    assert "specific.inmemory!stale" not in layer.channels  # expired and swept
    await layer.send("specific.inmemory!00007", {"type": "ocpp.command", "n": 7})
    assert (await asyncio.wait_for(waiters[7], 1))["n"] == 7
    for waiter in [*waiters, fresh]:
        waiter.cancel()
