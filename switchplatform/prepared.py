"""Querysets compiled once and run many times: the ORM's objects without its per-query compile.

Building the SQL of a queryset with select_related and annotations costs the ORM about 1 ms of
CPU, ten times what SQLite then needs to run it. The gateway runs a few such queries for every
station that connects, and a reconnect storm brings thousands at once (issue 17). A PreparedQuery
compiles its queryset once per database connection (so per thread) with a stand-in value, and
afterwards only swaps the value and turns the rows into instances with Django's own machinery
(from_db, the select_related populators, the annotations), as ModelIterable does.

Only for querysets whose SQL does not depend on the value (an equality filter on one field).
"""
from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

M = TypeVar("M", bound=Model)


class PreparedQuery(Generic[M]):
    def __init__(self, build: Callable[[Any], QuerySet[M]], *, using: str = "default", stand_in: Any = None) -> None:
        """``build(value)``: the queryset for one value; called once per connection, with
        ``stand_in`` (a value of the field's type no caller passes), to compile it."""
        self.build = build
        self.stand_in = stand_in if stand_in is not None else f"prepared-query-stand-in-{uuid.uuid4().hex}"
        self.using = using
        self.key = f"_prepared_query_{id(self)}"

    def _compiled(self, connection):
        compiled = getattr(connection, self.key, None)
        if compiled is None:
            queryset = self.build(self.stand_in)
            compiler = queryset.query.get_compiler(using=self.using, connection=connection)
            sql, params = compiler.as_sql()
            slots = [n for n, param in enumerate(params) if param == self.stand_in]
            if len(slots) != 1:
                raise ValueError("a prepared query takes exactly one value")
            klass_info, select = compiler.klass_info, compiler.select
            columns = [column[0] for column in select[0 : compiler.col_count]]
            if compiler.has_composite_fields(columns):
                raise ValueError("a prepared query takes no composite fields")
            compiled = {
                "sql": sql, "params": list(params), "slot": slots[0], "compiler": compiler, "model": None,
                # What results_iter() would work out again for every query: ~40 % of a login's CPU.
                "converters": compiler.get_converters(columns),
                # SQLite's cursor rewrites %s to ? with a regex over the whole SQL on every execute:
                # ~40 us for a login's 2 KB query. Done once here.
                "qmark_sql": FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%") if connection.vendor == "sqlite" else None,
            }
            # Model instances; for values_list() the converted rows are the result.
            if queryset._iterable_class is ModelIterable:
                fields = klass_info["select_fields"]
                compiled.update(
                    model=klass_info["model"],
                    start=fields[0],
                    end=fields[-1] + 1,
                    init_list=[f[0].target.attname for f in select[fields[0] : fields[-1] + 1]],
                    annotations=dict(compiler.annotation_col_map or {}),
                    populators=get_related_populators(klass_info, select, self.using),
                )
            setattr(connection, self.key, compiled)
        return compiled

    def all(self, value: Any) -> list[M] | list[tuple]:
        connection = connections[self.using]
        compiled = self._compiled(connection)
        params = list(compiled["params"])
        params[compiled["slot"]] = value
        with connection.cursor() as cursor:
            if compiled["qmark_sql"] is not None and not connection.queries_logged:
                # The driver's own execute, as Django's would call it after the rewrite (a logged
                # query, in DEBUG or a test capturing queries, keeps Django's path).
                with connection.wrap_database_errors:
                    sqlite3.Cursor.execute(cursor.cursor, compiled["qmark_sql"], params)
                    rows = cursor.cursor.fetchall()
            else:
                cursor.execute(compiled["sql"], params)
                rows = cursor.fetchall()
        if compiled["converters"]:
            rows = compiled["compiler"].apply_converters(rows, compiled["converters"])
        if compiled["model"] is None:
            return [tuple(row) for row in rows]
        populators = compiled["populators"]
        model, start, end, init_list = compiled["model"], compiled["start"], compiled["end"], compiled["init_list"]
        found = []
        for row in rows:
            obj = model.from_db(self.using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiled["annotations"].items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def first(self, value: Any) -> M | None:
        found = self.all(value)
        return found[0] if found else None


def in_values(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """``column IN (...)`` over a batch's values, as SQL and its parameters.

    The batch writers' lookups (issue 17) run once per batch with a list of varying length, which a
    PreparedQuery cannot hold; as plain SQL they skip the ORM's compile, which cost more than the
    query. On PostgreSQL the list is one array parameter (``= ANY(%s)``): one statement text for
    every batch size, which the server prepares once (``batch_cursor``)."""
    values = list(values)
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


@contextmanager
def batch_cursor() -> Iterator[Any]:
    """The cursor for the batch writers' plain SQL (message log, status and meter reports).

    On PostgreSQL, psycopg's own cursor: it binds the parameters on the server, and the connection
    prepares what it runs again and again (executemany at once, execute from its fifth run: OPTIONS
    prepare_threshold, settings.py), so the server parses and plans each statement once per
    connection. Django's cursor quotes every value into the SQL text in Python, and the server parses
    and plans every statement again: on the gateway's flat-out load (1,000 stations) that was a fifth
    of PostgreSQL's CPU and a third of the write buffer's batch time (issue 17). Its errors become
    Django's, as on Django's cursor.
    Elsewhere, Django's cursor."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
