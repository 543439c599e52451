"""The platform's settings with persistent SQLite connections, for `gateway_bench.py --persistent-db`.

switchplatform.settings sets CONN_MAX_AGE = 0 for SQLite, so every database_sync_to_async call
(Channels runs close_old_connections around each) opens a connection, runs the PRAGMAs and closes
it; closing the last connection to a WAL database checkpoints and fsyncs. This variant measures the
gateway without that cost.
"""
from switchplatform.settings import *  # noqa: F401,F403
from switchplatform.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = None
