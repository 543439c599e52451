"""drop_foreign_key_index: the message log's and the meter samples' station index goes with one
DROP INDEX (no copy of the table on SQLite), and comes back when the migration is reversed."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ocpp_gateway.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

CASES = [
    ("ocpp_gateway", "0004_refused_identity", "0005_alter_message_station", "ocpp_gateway_message"),
    ("charging_sessions", "0006_stationlocallist_network", "0007_alter_metersample_station", "charging_sessions_metersample"),
]


def index_columns(table: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [info["columns"] for info in constraints.values() if info["index"] and not info["primary_key"]]


def migrate(app: str, name: str) -> list[str]:
    executor = MigrationExecutor(connection)
    with CaptureQueriesContext(connection) as queries:
        executor.migrate([(app, name)])
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("app, before, after, table", CASES)
def test_the_station_index_is_dropped_without_copying_the_table_and_restored_backwards(app, before, after, table, station_a):
    Message.objects.create(station=station_a, direction="in", message_type=2, action="Heartbeat", unique_id="kept", time=timezone.now())
    assert ["station_id"] not in index_columns(table)
    assert any(columns[0] == "station_id" for columns in index_columns(table))  # the composite index that serves lookups

    migrate(app, before)
    assert ["station_id"] in index_columns(table)

    statements = migrate(app, after)
    assert ["station_id"] not in index_columns(table)
    assert not [sql for sql in statements if "CREATE TABLE" in sql.upper() or "INSERT INTO" in sql.upper() and table in sql]
    assert any(sql.upper().startswith("DROP INDEX") for sql in statements)
    assert Message.objects.filter(unique_id="kept").exists()
