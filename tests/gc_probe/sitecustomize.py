"""Loaded by a test's server process (PYTHONPATH) when GC_PROBE_OUT is set: on SIGUSR2 it writes
to that file, as JSON, the objects only the cycle collector could free ("garbage") and, once they
are freed, the objects alive ("alive"), both counted by type.

tests/test_gateway_memory.py uses it to show that a closed connection is freed by reference
counting: whatever stays in a cycle costs a full collection over the node's whole heap
(ocpp_gateway.gc_tuning), a pause of seconds at 10,000 stations.
"""
import os
import signal

if os.environ.get("GC_PROBE_OUT"):

    def _write_cyclic_garbage(signum, frame) -> None:
        import collections
        import gc
        import json

        def counted(objects) -> collections.Counter:
            return collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in objects)

        gc.unfreeze()  # the gateway freezes what is alive at each upkeep (gc_tuning)
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            garbage = counted(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        gc.collect()  # now freed for real
        alive = counted(gc.get_objects())
        gc.freeze()
        path = os.environ["GC_PROBE_OUT"]
        with open(path + ".part", "w") as out:
            json.dump({"garbage": garbage, "alive": alive}, out)
        os.replace(path + ".part", path)

    signal.signal(signal.SIGUSR2, _write_cyclic_garbage)
