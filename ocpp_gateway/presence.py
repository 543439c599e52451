"""Gateway node presence in Redis, so that a node killed outright does not leave its stations
"connected" (and remote actions to them waiting for a socket that is gone).

Each daphne node on the Redis channel layer keeps ``switch:node:<prefix>`` alive with a short TTL
(NODE_PRESENCE_TTL). ``<prefix>`` is the part of the node's channel names before "!": channels-redis
gives every process one random client prefix, and ``Station.channel_name`` (the consumer's channel)
therefore names the node holding the socket, with no extra column. One node at a time (a short
Redis lock) sweeps: the stations of every node whose key has expired are marked offline, so an
action to them answers ``station_offline`` at once. Celery beat runs the same sweep, for when every
node is gone.

Detection takes at most TTL + TTL/2 (+ one heartbeat): 15-18 s with the default 10 s.
"""
from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "switch:node:"
SWEEP_LOCK = "switch:nodes:sweep"


def _ttl() -> int:
    return settings.NODE_PRESENCE_TTL


def node_of(channel_name: str) -> str | None:
    """The node part of a channels-redis channel name ("specific.<client prefix>"), if it has one."""
    if "!" not in channel_name:
        return None
    return channel_name.split("!", 1)[0]


def redis_client():
    import redis

    timeout = max(1.0, _ttl() / 4)
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)


def nodes_sweep(*, client=None) -> int:
    """Mark offline the stations of every node whose presence key has expired; return how many."""
    from stations.models import Station
    from stations.services import stations_forget_node

    client = client or redis_client()
    # Just after a Redis restart every key is gone, live nodes' too, until their next heartbeat:
    # a missing key means nothing until the server has been up for a whole TTL.
    if int(client.info("server").get("uptime_in_seconds", 0)) < _ttl() + 2:
        return 0
    channels = Station.objects.filter(connected=True).exclude(channel_name="").values_list("channel_name", flat=True)
    nodes = sorted({node for node in map(node_of, channels.iterator()) if node})
    if not nodes:
        return 0
    alive = client.mget([KEY_PREFIX + node for node in nodes])
    forgotten = 0
    for node, present in zip(nodes, alive):
        if present is None:
            count = stations_forget_node(channel_prefix=node + "!")
            forgotten += count
            if count:
                logger.warning("gateway node %s stopped announcing itself: %d station(s) marked offline", node, count)
    return forgotten


class NodePresence:
    """The heartbeat (and share of sweeping) of one daphne node, on a thread of its own so that a
    busy event loop does not make the node look dead."""

    def __init__(self, node: str):
        self.node = node
        self.key = KEY_PREFIX + node
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="node-presence", daemon=True)
        self.value = f"{socket.gethostname()}:{os.getpid()}"

    def start(self) -> NodePresence:
        self.thread.start()
        return self

    def beat(self, client) -> None:
        previous = client.set(self.key, self.value, ex=_ttl(), get=True)
        if previous is None and self.announced:
            # The key lapsed (a stall, a Redis restart, a network split): another node may have
            # swept this node's stations offline; their sockets are still here.
            self._reclaim()
        self.announced = True

    def _reclaim(self) -> None:
        from ocpp_gateway.consumers import _online
        from stations.services import stations_reclaim

        mine = {sid: ch for sid, ch in list(_online.items()) if node_of(ch) == self.node}
        if mine and (count := stations_reclaim(connections=mine)):
            logger.warning("presence key of node %s had lapsed: %d station(s) marked online again", self.node, count)

    def _run(self) -> None:
        from django.db import close_old_connections

        client = redis_client()
        interval = max(0.5, _ttl() / 4)
        sweep_every = max(1.0, _ttl() / 2)
        self.announced = False
        failing = False
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.beat(client)
                # One node sweeps per period: whoever takes the lock.
                if client.set(SWEEP_LOCK, self.node, nx=True, ex=max(1, int(sweep_every))):
                    nodes_sweep(client=client)
                if failing:
                    logger.warning("node presence: Redis reachable again")
                failing = False
            except Exception as exc:  # noqa: BLE001 - Redis down or restarting: keep trying
                if not failing:
                    logger.warning("node presence: %r (retrying)", exc)
                failing = True
            finally:
                close_old_connections()
            self.stop.wait(max(0.1, interval - (time.monotonic() - started)))

    def withdraw(self) -> None:
        """A clean stop: say so at once rather than after the TTL."""
        self.stop.set()
        try:
            redis_client().delete(self.key)
        except Exception:  # noqa: BLE001 - the key expires on its own
            pass


_presence: NodePresence | None = None


def node_presence_start() -> NodePresence | None:
    """Start announcing this process as a gateway node; only on the Redis channel layer."""
    global _presence
    if not settings.REDIS_URL or _presence is not None:
        return _presence
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    prefix = getattr(layer, "client_prefix", None)
    if not prefix:
        return None
    # The same channel layer instance serves daphne's consumers in this process: their channel
    # names start with this node id (channels_redis RedisChannelLayer.new_channel).
    _presence = NodePresence(f"specific.{prefix}").start()
    atexit.register(_presence.withdraw)
    return _presence
