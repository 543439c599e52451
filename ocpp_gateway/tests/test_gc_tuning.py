from __future__ import annotations

import gc
import time
import weakref

import pytest

from ocpp_gateway import gc_tuning


def test_tuning_freezes_the_start_up_heap_and_keeps_collection_on():
    before = gc.get_threshold()
    stop = gc_tuning.tune(warm=False)
    try:
        assert gc.isenabled()
        assert gc.get_threshold() == gc_tuning.THRESHOLDS
        assert gc.get_freeze_count() > 0
        # Cycles created after the freeze are still collected.
        a, b = [], []
        a.append(b)
        b.append(a)
        del a, b
        assert gc.collect() >= 2
    finally:
        stop.set()
        gc.callbacks.remove(gc_tuning._watch)
        gc.unfreeze()
        gc.set_threshold(*before)


class Connection:
    pass


def _frozen_dead_cycle() -> weakref.ref:
    """A cycle alive long enough to be frozen by the upkeep, then dropped: only a full
    collection after an unfreeze finds it."""
    connection = Connection()
    connection.self = connection
    alive = weakref.ref(connection)
    gc.freeze()
    del connection
    return alive


@pytest.fixture
def fast_upkeep(monkeypatch):
    monkeypatch.setattr(gc_tuning, "FREEZE_EVERY", 0.05)
    monkeypatch.setattr(gc_tuning, "RECLAIM_AFTER", 3)
    monkeypatch.setattr(gc_tuning, "RECLAIM_EVERY", 0.0)
    monkeypatch.setattr(gc_tuning, "HELD_AFTER", 0.0)
    monkeypatch.setattr(gc_tuning, "_closed", [])
    before = gc.get_threshold()
    stop = gc_tuning.tune(warm=False)
    yield
    stop.set()
    gc.callbacks.remove(gc_tuning._watch)
    gc.unfreeze()
    gc.set_threshold(*before)


def _until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_closed_connections_held_in_cycles_are_reclaimed_soon(fast_upkeep):
    connections = [Connection() for _ in range(3)]
    for connection in connections:
        connection.self = connection  # closed, but a cycle holds it
    gc.freeze()  # frozen while alive: only a full collection after an unfreeze finds them
    held = [weakref.ref(connection) for connection in connections]
    for connection in connections:
        gc_tuning.connection_closed(connection)
    del connections, connection
    assert _until(lambda: all(ref() is None for ref in held))


def test_closed_connections_freed_by_reference_counting_cost_no_full_collection(fast_upkeep):
    # A dead cycle elsewhere in the frozen heap shows whether a full collection ran.
    bystander = _frozen_dead_cycle()
    for _ in range(10):
        connection = Connection()
        gc_tuning.connection_closed(connection)
        del connection  # freed at once: nothing for a full collection to do
    time.sleep(0.5)  # ten upkeep passes
    assert bystander() is not None
    assert gc_tuning._closed == []


def test_closed_connections_still_finishing_cost_no_full_collection(fast_upkeep, monkeypatch):
    # A mass disconnect: every connection stays alive a moment after it closed (its disconnect
    # being written). Counted as held, that cost a full collection over the whole heap for nothing.
    monkeypatch.setattr(gc_tuning, "HELD_AFTER", 2.0)
    bystander = _frozen_dead_cycle()
    finishing = [Connection() for _ in range(10)]
    for connection in finishing:
        gc_tuning.connection_closed(connection)
    time.sleep(0.5)  # ten upkeep passes while they finish
    assert bystander() is not None
    del finishing, connection  # finished: freed by reference counting
    time.sleep(2.5)  # past HELD_AFTER
    assert bystander() is not None
    assert gc_tuning._closed == []


def test_a_connection_held_past_the_grace_is_reclaimed(fast_upkeep, monkeypatch):
    monkeypatch.setattr(gc_tuning, "HELD_AFTER", 0.5)
    connections = [Connection() for _ in range(3)]
    for connection in connections:
        connection.self = connection
    gc.freeze()
    held = [weakref.ref(connection) for connection in connections]
    closed_at = time.monotonic()  # before they are closed: the grace counts from each close
    for connection in connections:
        gc_tuning.connection_closed(connection)
    del connections, connection
    assert _until(lambda: all(ref() is None for ref in held))
    assert time.monotonic() - closed_at >= 0.5
