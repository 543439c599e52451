from __future__ import annotations

import gc

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


def test_closed_connections_frozen_while_alive_are_reclaimed_soon(monkeypatch):
    import time
    import weakref

    class Connection:
        pass

    monkeypatch.setattr(gc_tuning, "FREEZE_EVERY", 0.05)
    monkeypatch.setattr(gc_tuning, "RECLAIM_AFTER", 3)
    monkeypatch.setattr(gc_tuning, "RECLAIM_EVERY", 0.0)
    monkeypatch.setattr(gc_tuning, "_closed", 0)
    before = gc.get_threshold()
    stop = gc_tuning.tune(warm=False)
    try:
        # A connection's objects form cycles, and live long enough to be frozen by the upkeep.
        connection = Connection()
        connection.self = connection
        alive = weakref.ref(connection)
        gc.freeze()
        del connection
        time.sleep(0.2)
        assert alive() is not None  # frozen: only a full collection after an unfreeze finds it
        for _ in range(3):
            gc_tuning.connection_closed()
        deadline = time.monotonic() + 5
        while alive() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive() is None
    finally:
        stop.set()
        gc.callbacks.remove(gc_tuning._watch)
        gc.unfreeze()
        gc.set_threshold(*before)
