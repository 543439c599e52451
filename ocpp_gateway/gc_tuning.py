"""Garbage-collector tuning for the gateway process (`manage.py serve`).

Thousands of connected stations make a large, long-lived heap (consumers, ChargePoints, daphne
protocol objects). Python's full (generation 2) collections walk all of it, and those pauses are
the latency tail: measured with 5,000 stations, p99 about 770 ms with default settings and about
28 ms with collection off (docs/ocpp-field-notes). Collection stays on; instead:

- everything alive once start-up is done is frozen (gc.freeze: moved to a permanent generation
  the collector never walks),
- every FREEZE_EVERY seconds the youngest generation is collected and the survivors (new
  connections) frozen too, so the older generations only ever hold a second of objects
  (collecting generation 1 there instead paused 0.5 s after a 5,000-station connect storm). The
  pause is as long as the youngest generation, and under load it grows with the messages since
  the last upkeep, whatever the threshold: at 9,800 stations sending 980 messages a second, an
  upkeep every 10 s paused the node 54-137 ms (the steady p99), one every second 10-20 ms,
- every UNFREEZE_EVERY seconds one full collection over everything reclaims cycles that died
  after being frozen, then freezes again,
- the young-generation threshold is raised so a burst of frames does not trigger a collection
  every few hundred allocations.

A closed connection is freed by reference counting: the gateway breaks its cycles (daphne's
request and protocol, autobahn's close future, the ChargePoint's routes, the station's one-to-one
rows; tests/test_gateway_memory.py). Should some path still leave a closed connection in a
cycle (another server, a new library version), the upkeep notices (`connection_closed` keeps a
weak reference to each) and reclaims them with a full collection once RECLAIM_AFTER are held.
A connection still alive right after it closed is not held: it is finishing (its disconnect
written, a call failed). Counted then, every mass disconnect (a bench's swarm leaving, a site's
uplink dropping) cost a full collection of about a second at 9,800 stations that reclaimed nothing.
"""
from __future__ import annotations

import decimal
import gc
import logging
import threading
import time
import weakref

logger = logging.getLogger(__name__)

THRESHOLDS = (50_000, 20, 20)
# ocpp.messages._validate_payload: the 1.6 messages whose schedules it checks with Decimal.
DECIMAL_SCHEMAS = {("1.6", 2, "SetChargingProfile"), ("1.6", 2, "RemoteStartTransaction"), ("1.6", 3, "GetCompositeSchedule")}
FREEZE_EVERY = 1.0
UNFREEZE_EVERY = 3600.0
# A connection frozen while alive is never walked again until a full collection: closed
# connections still held in cycles (~20 KB each) would stay for up to UNFREEZE_EVERY, after a
# reconnect storm every station's memory twice over. Once RECLAIM_AFTER of them are held, the next
# upkeep runs the full collection, at most once per RECLAIM_EVERY. The full collection walks the
# whole heap (2.3 s at 10,000 stations), so it runs only when closed connections are really held,
# not because connections closed.
RECLAIM_AFTER = 500
RECLAIM_EVERY = 60.0
# How long a closed connection may stay alive before it counts as held: well beyond what its
# disconnect takes (its rows written, its calls failed), a second or two after a mass disconnect.
HELD_AFTER = 30.0
_closed: list[tuple[float, weakref.ref]] = []


def connection_closed(connection: object) -> None:
    """Called by the gateway for each closed station connection (event loop thread), with an
    object that lives as long as the connection's (its consumer)."""
    _closed.append((time.monotonic(), weakref.ref(connection)))


def _retain(keep) -> list[tuple[float, weakref.ref]]:
    """Keep the closed connections for which keep((closed_at, ref)) is true; return them."""
    global _closed
    # Swapped, not cleared: an append from the event loop meanwhile lands in `closed`, still read.
    closed, _closed = _closed, []
    kept = [entry for entry in closed if keep(entry)]
    _closed[:0] = kept
    return kept


def _closed_and_held(now: float) -> int:
    """How many connections closed at least HELD_AFTER ago reference counting has not freed
    (upkeep thread)."""
    alive = _retain(lambda entry: entry[1]() is not None)
    return sum(1 for closed_at, _ in alive if now - closed_at >= HELD_AFTER)


def _forget_held(now: float) -> None:
    """After a full collection: those held still alive are alive (a remote action finishing), not
    garbage, and are not counted again; those within HELD_AFTER are still watched."""
    _retain(lambda entry: now - entry[0] < HELD_AFTER)


def warm_up() -> None:
    """Load what every connection will use, so it is allocated (and frozen) before stations arrive."""
    from ocpp import messages
    from ocpp.v16.enums import Action as Action16
    from ocpp.v201.enums import Action as Action201

    import ocpp_gateway.v16  # noqa: F401
    import ocpp_gateway.v201  # noqa: F401
    import switchplatform.asgi  # noqa: F401

    for version, actions in (("1.6", Action16), ("2.0.1", Action201)):
        for action in actions:
            for message_type in (messages.MessageType.Call, messages.MessageType.CallResult):
                # The library validates these with Decimal-parsed schemas (1.6 multipleOf 0.1) but caches
                # validators by name only: a float-parsed one warmed here fails every such message
                # (Decimal / float TypeError). Warm them the way the library uses them.
                parse_float = decimal.Decimal if (version, message_type, action.value) in DECIMAL_SCHEMAS else float
                try:
                    messages.get_validator(message_type, action.value, version, parse_float=parse_float)
                except (OSError, ValueError):
                    pass


def _maintain(stop: threading.Event) -> None:
    # The start-up collection does not count: the first storm's closed connections are reclaimed
    # as soon as there are enough of them.
    last_full = time.monotonic() - RECLAIM_EVERY
    while not stop.wait(FREEZE_EVERY):
        started = time.monotonic()
        since = started - last_full
        held = _closed_and_held(started)
        if since >= UNFREEZE_EVERY or (held >= RECLAIM_AFTER and since >= RECLAIM_EVERY):
            gc.unfreeze()
            collected = gc.collect()
            last_full = started
            _forget_held(started)
            logger.info(
                "gc: full collection reclaimed %d objects in %.0f ms (%d closed connections were held)",
                collected, (time.monotonic() - started) * 1000, held,
            )
        else:
            gc.collect(0)
        gc.freeze()


SLOW_PAUSE = 0.05
_started: list[float] = []


def _watch(phase: str, info: dict) -> None:
    # A pause long enough to show in station latency is worth a log line: it says which
    # generation and how much the heap has grown since the last freeze.
    # Thread CPU time, not wall time: the collecting thread may wait for the GIL between the
    # callback and the collection, which pauses nobody.
    if phase == "start":
        _started[:] = [time.thread_time()]
    elif _started:
        pause = time.thread_time() - _started[0]
        if pause > SLOW_PAUSE:
            logger.warning("gc: generation %d pause %.0f ms (%d objects collected)", info["generation"], pause * 1000, info["collected"])


def tune(*, warm: bool = True) -> threading.Event:
    """Call once, after Django is set up and before serving. Returns an event that stops the upkeep."""
    if warm:
        warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    if _watch not in gc.callbacks:
        gc.callbacks.append(_watch)
    stop = threading.Event()
    threading.Thread(target=_maintain, args=(stop,), name="gc-upkeep", daemon=True).start()
    return stop
