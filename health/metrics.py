"""The platform's Prometheus metrics (issue 16), one registry per process.

Every metric lives in the process that does the work: a gateway node (daphne) counts its own
sockets, frames, commands and batch flushes, and serves them at its own /metrics. With several
nodes, scrape each node (a Prometheus target per node, not the load balancer); the ``node`` label
says which process answered. Celery workers have no HTTP server: what they do (background exports,
command delivery) is not in these figures.

Lowest layer: this module imports no other app, so the gateway, commands, sessions and stations
may all record here.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ocpp.v16.enums import Action as V16Action
from ocpp.v201.enums import Action as V201Action
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401  (re-exported for the view)

#: This process, as ocpp_gateway.presence names it: "<host>:<pid>".
NODE = f"{socket.gethostname()}:{os.getpid()}"

registry = CollectorRegistry(auto_describe=True)

connected_stations = Gauge(
    "switch_connected_stations",
    "Stations whose websocket this node holds, by OCPP version.",
    ["node", "ocpp_version"],
    registry=registry,
)
frames = Counter(
    "switch_ocpp_frames",
    "OCPP-J frames in (station to platform) and out, by action and message type.",
    ["node", "direction", "action", "message_type"],
    registry=registry,
)
callerrors = Counter(
    "switch_ocpp_callerrors",
    "CALLERROR frames in and out, by the action of the CALL they answer.",
    ["node", "direction", "action"],
    registry=registry,
)
command_seconds = Histogram(
    "switch_command_seconds",
    "Remote commands: from sending the CALL to the station's answer (or the timeout), by action and outcome.",
    ["node", "action", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=registry,
)
reads_after_boot_deferred = Gauge(
    "switch_reads_after_boot_deferred",
    "Configuration reads after boot waiting for a reconnect storm's logins to slow down (ocpp_gateway.after_boot).",
    ["node"],
    registry=registry,
)
batch_flush_seconds = Histogram(
    "switch_batch_flush_seconds",
    "Writing one batch of the gateway's buffers (message log, status and meter reports) to the database.",
    ["node", "buffer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=registry,
)
batch_rows = Counter(
    "switch_batch_rows",
    "Rows written by the gateway's buffers.",
    ["node", "buffer"],
    registry=registry,
)
export_seconds = Histogram(
    "switch_export_seconds",
    "CSV exports streamed over HTTP, from the first row to the last byte, by what was exported.",
    ["node", "export"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
    registry=registry,
)

_TYPE_NAMES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}
# Action names come from the stations too (an unknown one is logged, then refused): only the
# actions OCPP defines become label values, so that a station cannot create series without end.
KNOWN_ACTIONS = frozenset(a.value for a in (*V16Action, *V201Action))


# The labelled children by (direction, action, type): .labels() takes a lock and builds a key per
# call, several microseconds on the hottest path of the gateway; a dict hit is a fraction of that.
_frame_children: dict[tuple[str, str, int | None], tuple] = {}


def frame_counted(*, direction: str, message_type: int | None, action: str) -> None:
    """One frame through the gateway (called for every row of the message log)."""
    key = (direction, action, message_type)
    children = _frame_children.get(key)
    if children is None:
        type_name = _TYPE_NAMES.get(message_type, "invalid")
        label = action if action in KNOWN_ACTIONS else ("" if not action else "other")
        children = (
            frames.labels(NODE, direction, label, type_name),
            callerrors.labels(NODE, direction, label) if message_type == 4 else None,
        )
        if label != "other":  # unknown actions are not cached either: the dict stays bounded
            _frame_children[key] = children
    children[0].inc()
    if children[1] is not None:
        children[1].inc()


def station_connected(ocpp_version: str) -> None:
    connected_stations.labels(NODE, ocpp_version or "unknown").inc()


def station_disconnected(ocpp_version: str) -> None:
    connected_stations.labels(NODE, ocpp_version or "unknown").dec()


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(NODE, *labels).observe(time.perf_counter() - start)


def timed_chunks(chunks: Iterator[bytes], *, export: str) -> Iterator[bytes]:
    """Pass an export's chunks through, observing its duration once the last one is out."""
    start = time.perf_counter()
    yield from chunks
    export_seconds.labels(NODE, export).observe(time.perf_counter() - start)


def exposition() -> bytes:
    return generate_latest(registry)
