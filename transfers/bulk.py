"""Bulk writes for imports and generated data: plain rows straight to the database.

Django's bulk_create spends most of a large import preparing values one by one;
these rows hold plain Python values (int, str, bool, date, Decimal) that both
drivers adapt, so they go to the cursor directly: COPY on PostgreSQL, multi-row
INSERT on SQLite.
"""

import io
import types

from django.db import connection
from django.dispatch import Signal
from django.utils import timezone

# Sent with the plain rows before and after bulk_insert writes them (sender: the model), for
# rules and derived columns that a model's save would otherwise keep (transfers.evidence: claims).
rows_inserting = Signal()
rows_inserted = Signal()


def _insert_rows(model, columns, rows, *, returning=False):
    """Multi-row INSERT ... VALUES (RETURNING id): the import's hot path.

    Django's bulk_create spends most of an import in per-value preparation; the
    values here are already plain Python (int, str, bool, date, Decimal) that both
    database drivers adapt, so they go to the cursor directly.
    """
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(c) for c in columns)
    per_chunk = max(1, 900 // max(len(columns), 1)) if connection.vendor == "sqlite" else 1000
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            values_sql = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({column_sql}) VALUES {values_sql}"  # noqa: S608
            if returning:
                sql += f" RETURNING {quote(model._meta.pk.column)}"
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids += [row[0] for row in cursor.fetchall()]
    return ids


def new_row(model, **values):
    """A new record as a plain namespace with the model's defaults: building full model
    instances costs a third of a large import."""
    row = types.SimpleNamespace(pk=None)
    for model_field in model._meta.concrete_fields:
        if not model_field.primary_key:
            setattr(row, model_field.attname, model_field.get_default())
    row.__dict__.update(values)
    return row


def _copy_text(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def _copy_rows(model, columns, rows):
    """PostgreSQL COPY: several times faster than INSERT for the bulk of an import."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN", buffer
        )


def bulk_insert(model, objects, *, reason, history=True):
    """Insert new records (and, unless history=False, their '+' history entries).

    Sets each object's pk. On PostgreSQL the ids are taken from the sequence
    first, so that the records and their history can both be COPYed.
    """
    if not objects:
        return
    rows_inserting.send(sender=model, rows=objects)
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(objects)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        rows = [[new_id] + [getattr(o, f.attname) for f in fields] for o, new_id in zip(objects, ids, strict=True)]
        _copy_rows(model, [pk.column] + [f.column for f in fields], rows)
        now = timezone.now().isoformat()
        write = _copy_rows
    else:
        ids = _insert_rows(
            model,
            [f.column for f in fields],
            [[getattr(o, f.attname) for f in fields] for o in objects],
            returning=True,
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())

        def write(table_model, columns, rows):
            _insert_rows(table_model, columns, rows)

    for obj, new_id in zip(objects, ids, strict=True):
        obj.pk = new_id
        setattr(obj, pk.attname, new_id)
    if history:
        history_model = model.history.model
        tracked = list(history_model.tracked_fields)
        columns = [f.column for f in tracked] + [
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
        ]
        write(
            history_model,
            columns,
            [[getattr(o, f.attname) for f in tracked] + [now, reason, "+", None] for o in objects],
        )
    rows_inserted.send(sender=model, rows=objects)


def tables_analyze(*models):
    """Refresh the planner's statistics after a bulk load: planned with the counts of
    nearly empty tables, a query over the new rows can take minutes instead of
    milliseconds (until autovacuum gets round to it)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(quote(model._meta.db_table) for model in models))
        else:
            for model in models:
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
