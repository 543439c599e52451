"""The embedded channel layer: expired messages still expire, a receive does not sweep every channel,
and its queues are lean (ocpp_gateway.lean_queue)."""
from __future__ import annotations

import asyncio

from ocpp_gateway import channel_layer
from ocpp_gateway.channel_layer import GatewayInMemoryChannelLayer


async def test_messages_expire_and_the_sweep_runs_at_most_once_per_interval(monkeypatch):
    layer = GatewayInMemoryChannelLayer(expiry=0.05)
    sweeps = 0
    original = GatewayInMemoryChannelLayer._sweep

    def counted(self):
        nonlocal sweeps
        sweeps += 1
        original(self)

    monkeypatch.setattr(GatewayInMemoryChannelLayer, "_sweep", counted)
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


async def test_a_full_channel_refuses_and_a_drained_channel_is_forgotten():
    from channels.exceptions import ChannelFull

    layer = GatewayInMemoryChannelLayer(capacity=2)
    await layer.send("specific.inmemory!full", {"type": "a"})
    await layer.send("specific.inmemory!full", {"type": "b"})
    try:
        await layer.send("specific.inmemory!full", {"type": "c"})
    except ChannelFull:
        pass
    else:
        raise AssertionError("a third message fitted a channel of capacity 2")
    assert (await layer.receive("specific.inmemory!full"))["type"] == "a"
    assert (await layer.receive("specific.inmemory!full"))["type"] == "b"
    assert "specific.inmemory!full" not in layer.channels
    # Sent messages are copies: the sender's later changes do not reach the receiver.
    message = {"type": "d", "data": [1]}
    await layer.send("specific.inmemory!copy", message)
    message["data"].append(2)
    assert (await layer.receive("specific.inmemory!copy"))["data"] == [1]
