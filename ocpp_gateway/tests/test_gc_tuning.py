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
