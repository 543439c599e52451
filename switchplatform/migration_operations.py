"""Schema changes Django's own operations make too costly on a large table."""
from __future__ import annotations

from django.db import migrations, models


def drop_foreign_key_index(app_label: str, model_name: str, field_name: str, field: models.ForeignKey) -> migrations.SeparateDatabaseAndState:
    """``AlterField(model_name, field_name, field)`` where ``field`` only turns ``db_index`` off: one DROP INDEX.

    On SQLite Django's AlterField rebuilds the table to drop an index, a copy of every row (the
    message log or the meter samples: minutes on a node's database). The constraint stays; only the
    plain index on the column goes (another index leading with that column serves its lookups)."""

    def indexes_on_column(schema_editor, model) -> list[str]:
        column = model._meta.get_field(field_name).column
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
        return [
            name for name, info in constraints.items()
            if info["index"] and info["columns"] == [column] and not info["unique"] and not info["primary_key"]
        ]

    def forwards(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        for name in indexes_on_column(schema_editor, model):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def backwards(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        if not indexes_on_column(schema_editor, model):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)]))

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=field_name, field=field)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )
