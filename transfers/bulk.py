"""Bulk writes for imports and generated data: plain rows straight to the database.

Django's bulk_create spends most of a large import preparing values one by one;
these rows hold plain Python values (int, str, bool, date, Decimal) that both
drivers adapt, so they go to the cursor directly: COPY on PostgreSQL, multi-row
INSERT on SQLite.
"""

import gc
import re
import types
from contextlib import contextmanager
from operator import attrgetter

from django.db import connection, connections, models, transaction
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


def _defaults(model):
    """The model's defaults, once per model: constants as values, callables to call per row."""
    found = _DEFAULTS.get(model)
    if found is None:
        constant, called = {}, []
        for model_field in model._meta.concrete_fields:
            if model_field.primary_key:
                continue
            if model_field.has_default() and callable(model_field.default):
                called.append((model_field.attname, model_field.get_default))
            else:
                constant[model_field.attname] = model_field.get_default()
        found = _DEFAULTS[model] = (constant, called)
    return found


_DEFAULTS = {}


def new_row(model, **values):
    """A new record as a plain namespace with the model's defaults: building full model
    instances costs a third of a large import."""
    constant, called = _defaults(model)
    row = types.SimpleNamespace(pk=None, **constant)
    for attname, default in called:
        if attname not in values:
            setattr(row, attname, default())
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


def _copy_fields(row):
    """A row's values as COPY text fields. Most strings need no escaping: plain str() first,
    and the escaping only for a row whose text shows a tab, newline or backslash of its own."""
    fields = ["\\N" if v is None else "t" if v is True else "f" if v is False else str(v) for v in row]
    line = "\t".join(fields)
    if line.count("\\") != row.count(None) or line.count("\t") != len(fields) - 1 or "\n" in line or "\r" in line:
        fields = [_copy_text(value) for value in row]
    return fields


class _Lines:
    """COPY input read from text lines a chunk at a time (psycopg2 calls read(size)): no
    second copy of a whole table's text in memory."""

    def __init__(self, lines):
        self._lines = iter(lines)

    def read(self, size=8192):
        parts, length = [], 0
        for line in self._lines:
            parts.append(line)
            length += len(line) + 1
            if 0 <= size <= length:
                break
        return "".join(line + "\n" for line in parts)


def _copy_lines(model, columns, lines, *, table=None):
    """PostgreSQL COPY of rows as text lines (tab-separated, no newline): a list or a generator.
    Into the model's table, or another of the same columns (`table`: a scratch copy)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(table or model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN",
            _Lines(lines),
        )


def _copy_rows(model, columns, rows):
    """PostgreSQL COPY: several times faster than INSERT for the bulk of an import."""
    _copy_lines(model, columns, ("\t".join(_copy_fields(row)) for row in rows))


def copy_text_plain(model, objects):
    """(columns, COPY text lines) of new rows that nothing refers to and that keep no history
    (bulk_insert with ids=False, history=False): built apart from their write, which
    copy_text_write does (another thread may build them: transfers.workers)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    read = attrgetter(*names) if len(names) > 1 else lambda o: (getattr(o, names[0]),)
    return [f.column for f in fields], ["\t".join(_copy_fields(read(o))) for o in objects]


def copy_text_write(model, columns, lines, *, table=None):
    """PostgreSQL: COPY these text lines (copy_text_plain) into the model's table (or `table`)."""
    _copy_lines(model, columns, lines, table=table)


def bulk_insert(model, objects, *, reason, history=True, ids=True):
    """Insert new records (and, unless history=False, their '+' history entries).

    Sets each object's pk (unless ids=False: rows nothing refers to, the yearly totals).
    On PostgreSQL the ids are taken from the sequence first, so that the records and
    their history can both be COPYed.
    """
    if not objects:
        return
    rows_inserting.send(sender=model, rows=objects)
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    tracked = list(model.history.model.tracked_fields) if history else []
    history_columns = [f.column for f in tracked] + [
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
    ]
    if not ids and not history:
        if connection.vendor == "postgresql":
            copy_text_write(model, *copy_text_plain(model, objects))
        else:
            _insert_rows(model, [f.column for f in fields], [[getattr(o, f.attname) for f in fields] for o in objects])
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                # The sequence looked up once, not once per id (which cost 10 times as much).
                "WITH q AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS s) "
                "SELECT nextval(q.s) FROM q, generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(objects)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        names = [f.attname for f in fields]
        read = attrgetter(*names) if len(names) > 1 else lambda o: (getattr(o, names[0]),)
        values = ([new_id, *read(o)] for o, new_id in zip(objects, ids, strict=True))
        columns = [pk.column] + [f.column for f in fields]
        if not history:
            _copy_lines(model, columns, ("\t".join(_copy_fields(row)) for row in values))
        else:
            # The history entry repeats the record's tracked values: their text is reused.
            suffix = "\t" + "\t".join(_copy_fields([timezone.now().isoformat(), reason, "+", None]))
            position = {name: n for n, name in enumerate([pk.attname] + [f.attname for f in fields])}
            picked = [position[f.attname] for f in tracked]
            everything = picked == list(range(len(position)))
            lines, history_lines = [], []
            for row in values:
                text = _copy_fields(row)
                lines.append("\t".join(text))
                history_lines.append((lines[-1] if everything else "\t".join([text[n] for n in picked])) + suffix)
            _copy_lines(model, columns, lines)
            _copy_lines(model.history.model, history_columns, history_lines)
        for obj, new_id in zip(objects, ids, strict=True):
            obj.pk = new_id
            setattr(obj, pk.attname, new_id)
    else:
        ids = _insert_rows(
            model,
            [f.column for f in fields],
            [[getattr(o, f.attname) for f in fields] for o in objects],
            returning=True,
        )
        for obj, new_id in zip(objects, ids, strict=True):
            obj.pk = new_id
            setattr(obj, pk.attname, new_id)
        if history:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            _insert_rows(
                model.history.model,
                history_columns,
                [[getattr(o, f.attname) for f in tracked] + [now, reason, "+", None] for o in objects],
            )
    rows_inserted.send(sender=model, rows=objects)


def _lookup_fields(condition):
    """The fields a Q object's lookups name (its first part: `cached_is_arms`, `disputed`)."""
    if condition is None:
        return set()
    names = set()
    for child in condition.children:
        if isinstance(child, tuple):
            names.add(child[0].split("__")[0])
        else:
            names |= _lookup_fields(child)
    return names


def _planned_columns(model):
    """The columns queries join, filter and group on, as the model declares them: its key,
    its foreign keys, and the columns of its plain indexes and constraints (with their
    conditions). Text read only by trigram indexes is left out."""
    meta = model._meta
    names = {meta.pk.name}
    names |= {f.name for f in meta.concrete_fields if f.is_relation or f.db_index or f.unique}
    for declared in [*meta.indexes, *(c for c in meta.constraints if isinstance(c, models.UniqueConstraint))]:
        names |= {name.lstrip("-") for name in declared.fields}
        names |= _lookup_fields(declared.condition)
    columns = {f.name: f.column for f in meta.concrete_fields}
    return sorted(columns[name] for name in names if name in columns)


def tables_analyze(*models, changed=None):
    """Refresh the planner's statistics after a bulk load: planned with the counts of
    nearly empty tables, a query over the new rows can take minutes instead of
    milliseconds (until autovacuum gets round to it). On PostgreSQL only the columns
    queries plan on (_planned_columns): a claim's texts took most of the time, and
    autovacuum analyzes the rest. `changed` (records written): only the tables it is a
    tenth of or more, as the planner last counted them (autovacuum's own threshold for
    analyzing): 30,000 deals into a million changed no plan, and analyzing took 0.6 s."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if changed is not None:
                cursor.execute(
                    "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples >= 0 AND reltuples > %s",
                    [[model._meta.db_table for model in models], 10 * changed],
                )
                large = {name for (name,) in cursor.fetchall()}
                models = [model for model in models if model._meta.db_table not in large]
            if models:
                cursor.execute(
                    "ANALYZE "
                    + ", ".join(
                        f"{quote(model._meta.db_table)} ({', '.join(map(quote, _planned_columns(model)))})"
                        for model in models
                    )
                )
        else:
            for model in models:
                cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


# aclitem letters (pg_class.relacl) and the privileges they stand for.
_PRIVILEGES = {
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
    "D": "TRUNCATE",
    "x": "REFERENCES",
    "t": "TRIGGER",
}


@contextmanager
def table_refilled(model, *, using="default"):
    """A context for rewriting every row of a model's table: yields the name of the table
    to write the new rows into, in a transaction (a savepoint inside another) that the
    block's error rolls back. On PostgreSQL (the default connection, where COPY writes),
    when this role owns the table and no trigger, foreign key or view holds on to it: an
    empty copy of it without indexes (CREATE TABLE ...
    LIKE: columns, defaults, identity, checks, storage options, owner and grants), indexed
    once full (a sorted build per index instead of an insertion per row and index: the
    yearly totals of a first SIPRI import, 270,000 rows, in 2.9 s instead of 5.1 to 5.8),
    analyzed, then put in the table's place under its name, with its indexes',
    constraints' and sequence's names. Readers see the old rows meanwhile, and wait only
    from the swap at the block's end to the commit. Otherwise: the table's rows deleted
    (and, on PostgreSQL, the new ones analyzed), and its own name."""
    table = model._meta.db_table
    db = connections[using]
    with transaction.atomic(using=using):
        owner = None
        if db.vendor == "postgresql" and using == "default":
            with db.cursor() as cursor:
                # Only a table nothing else holds on to: a trigger, a foreign key to it or a
                # view of it would not come along.
                cursor.execute(
                    "SELECT relowner::regrole::text, reloptions, relacl::text[] FROM pg_class t "
                    "WHERE oid = %s::regclass AND pg_has_role(relowner, 'MEMBER') "
                    "AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t.oid) "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = t.oid) "
                    "AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
                    "WHERE d.refobjid = t.oid AND r.ev_class <> t.oid)",
                    [table],
                )
                owner, options, acl = cursor.fetchone() or (None, None, None)
        if owner is None:
            model.objects.using(using).all().delete()
            yield table
            if db.vendor == "postgresql":
                with db.cursor() as cursor:
                    cursor.execute(f"ANALYZE {table}")
            return
        quote = db.ops.quote_name
        build = f"{table}_refill"
        with db.cursor() as cursor:
            storage = f" WITH ({', '.join(options)})" if options else ""
            cursor.execute(f"CREATE TABLE {build} (LIKE {table} INCLUDING ALL EXCLUDING INDEXES){storage}")
            cursor.execute(f"ALTER TABLE {build} OWNER TO {owner}")
            for item in acl or []:
                grantee, privileges = item.split("/")[0].rsplit("=", 1)
                names = [_PRIVILEGES[letter] for letter in privileges if letter in _PRIVILEGES]
                if grantee != owner and names:
                    to = grantee if grantee.startswith('"') else quote(grantee) if grantee else "PUBLIC"
                    cursor.execute(f"GRANT {', '.join(names)} ON {build} TO {to}")
        yield build
        with db.cursor() as cursor:
            # The table's indexes as the catalog holds them (what its migrations made).
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, c.contype FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
                "WHERE x.indrelid = %s::regclass ORDER BY i.relname",
                [table],
            )
            indexes = cursor.fetchall()
            for number, (_name, definition, _constraint, _kind) in enumerate(indexes):
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE ") else ""
                method = definition[re.search(r" ON (ONLY )?\S+ USING ", definition).end() :]
                cursor.execute(f"CREATE {unique}INDEX {build}_{number} ON {build} USING {method}")
            cursor.execute(f"ANALYZE {build}")
            cursor.execute(
                "SELECT a.attname, s.relname FROM pg_attribute a "
                "JOIN pg_class s ON s.oid = pg_get_serial_sequence(%s, a.attname)::regclass "
                "WHERE a.attrelid = %s::regclass AND a.attidentity <> ''",
                [table, table],
            )
            sequences = cursor.fetchall()
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(f"ALTER TABLE {build} RENAME TO {table}")
            for number, (name, _definition, constraint, kind) in enumerate(indexes):
                cursor.execute(f"ALTER INDEX {build}_{number} RENAME TO {quote(name)}")
                if constraint:
                    what = {"p": "PRIMARY KEY", "u": "UNIQUE"}[kind]
                    cursor.execute(
                        f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} {what} USING INDEX {quote(name)}"
                    )
            for column, name in sequences:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {quote(name)}")


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for a bulk write (also a decorator). An import
    makes millions of short-lived objects, and each of the collector's passes over the
    old generation walked the whole parsed export again: a quarter of the import's Python
    time. Its objects hold no reference cycles worth the walk (peak memory unchanged)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
