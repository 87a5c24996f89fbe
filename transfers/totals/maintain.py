"""Keeping the yearly totals (totals.models.YearlyTotal) equal to the register, and reading them.

How they are kept: database triggers on the transfers and deliveries mark, in the writing
transaction, the (supplier, recipient, order year) cells a write touches (before and after: a deal
that changes party marks both), whatever writes (API, admin, ORM, bulk COPY imports,
cascading deletes, the cached copies' refreshes when a contract changes party, year,
value or release; every dimension is a copy on the transfer row, so transfer and
delivery writes are all there is to watch). `refresh()` consumes the marks and
recomputes those cells' totals with the summary's own live queries
(selectors.summary_parts at the finest grain), in one transaction; it runs after the
commit of every write made through Django (signals, bulk inserts) and at the end of
imports, and `manage.py refresh_totals` runs it for anything else. A summary is read
from the totals only when no mark is left (else it is computed live, the same answer).
An import's batch of new deals adds their totals to the kept rows of the same keys
instead, and takes back its own transaction's marks (delta_add).

PostgreSQL: statement-level triggers with transition tables (one INSERT of the distinct
cells per statement: a COPY of a million rows marks some thousands of cells, once); the
marks only ever get appended and the refresh deletes exactly those it read (DELETE ...
RETURNING), so a write committed while a refresh runs keeps its mark. The triggers take
no row locks (the delivered-not-above-ordered triggers' locks are untouched); concurrent
refreshes are serialised by an advisory lock. SQLite: row-level triggers, INSERT OR
IGNORE into a unique index (writers are serialised, so deduplicating loses nothing).
Installed by migration 0080 and again after every migrate (a migration that rebuilds a
table on SQLite drops its triggers), as transfers.data_version does.

About 1,100 lines on purpose, in sections in this order: the grains, the triggers, the
refresh (the finest rows, then the rollups; new deals added), the systems, the deferral
around imports, and the reads. They state one contract (what a mark means, what a row of
each grain holds) and are kept together so that it is read in one place.
"""

import contextvars
from contextlib import contextmanager, nullcontext
from decimal import Context, Decimal

from django.db import connections, router, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, ExtractYear, NullIf
from django.db.models.signals import post_delete, post_save

from .. import selectors, workers
from ..bulk import bulk_insert, copy_text_plain, copy_text_write, new_row, rows_inserted, table_refilled
from .models import (
    AMOUNT_DIGITS,
    SystemTotal,
    SystemTotalDirty,
    TotalsAffected,
    TotalsDirty,
    TotalsRefreshing,
    YearlyTotal,
)

DIRTY = "transfers_totalsdirty"
SYSTEMS_DIRTY = SystemTotalDirty._meta.db_table
TOTALS = "transfers_yearlytotal"
SYSTEMS = SystemTotal._meta.db_table
AFFECTED = TotalsAffected._meta.db_table
ADVISORY_LOCK = 7_270_080

# What the totals can answer: the summary's keys and the register's filters on their dimensions.
TOTALS_KEYS = {"supplier", "recipient", "category", "order_year", "delivery_year"}
TOTALS_FILTERS = {"supplier", "recipient", "category", "ordered_from", "ordered_to", "absent"}

# The finest grain the totals are computed at (selectors._group_columns keys).
CELL = ["supplier", "recipient", "category", "order_year", "absent"]
CELL_COLUMNS = {
    "supplier": "supplier_id",
    "recipient": "recipient_id",
    "category": "category",
    "order_year": "order_year",
    "absent": "absent",
    "delivery_year": "delivery_year",
}

# --- Grains -----------------------------------------------------------------------------------
# A grain is the set of dimensions its rows keep (a bit each); the rest are summed away (0 or
# ''). The finest grain keeps them all; each rollup is summed from its parent, the smallest
# grain that keeps its dimensions, so a refresh redoes a rollup's rows from a few of its
# parent's. A summary reads the smallest grain that keeps its keys and filters. Not kept: the three-dimension
# rollups with a recipient (by recipient, category and order year; by both parties and one
# of those): as many rows as the finest grain has for SIPRI's register, and a third of a
# rebuild's time; a summary that needs them reads the finest grain, filtered.
DIMENSIONS = {"supplier": 1, "recipient": 2, "category": 4, "order_year": 8}
FULL = 15
_S, _R, _C, _Y = (DIMENSIONS[name] for name in ("supplier", "recipient", "category", "order_year"))
# Parents before children, the smaller first among grains of as many dimensions, so that
# each rollup is summed from its smallest parent; the reads try them from the end.
GRAINS = [
    FULL,
    _S | _C | _Y,
    _C | _Y,
    _S | _C,
    _S | _Y,
    _R | _C,
    _R | _Y,
    _S | _R,
    _C,
    _Y,
    _S,
    _R,
    0,
]


def grain_dimensions(grain):
    return [name for name, bit in DIMENSIONS.items() if grain & bit]


def grain_parent(grain):
    """The smallest grain listed before this one that keeps all its dimensions."""
    earlier = GRAINS[: GRAINS.index(grain)]
    supersets = [candidate for candidate in earlier if candidate & grain == grain]
    return min(supersets, key=lambda candidate: (bin(candidate).count("1"), earlier.index(candidate)))


def grain_for(dimensions):
    """The smallest grain that keeps all these dimensions."""
    wanted = sum(DIMENSIONS[name] for name in set(dimensions))
    return next(grain for grain in reversed(GRAINS) if grain & wanted == wanted)


# Off: every summary is computed live (tests compare both ways with it).
READ_TOTALS = True
# A refresh of up to NAMED_CELLS cells names them (index lookups: an edit); of more, joins
# them to the register REFRESH_CHUNK at a time (an import into a large register: an OR of
# thousands of cells took longer to plan than to run); of more than FULL_REFRESH_SHARE of
# the cells the totals hold, recomputes everything (an import into a small one, the
# generator, a migration: one pass is cheaper than joining).
NAMED_CELLS = 200
# (2,500: the refresh of an import into a million runs beside the import's release record,
# and with 5,000 their peaks together reached 299 MB, at the 300 MB bound.)
REFRESH_CHUNK = 2_500
FULL_REFRESH_SHARE = 0.5

# --- Triggers -------------------------------------------------------------------------------

# A mark: the (supplier, recipient, order year) of a row, 0 for none. A deal's lines and
# values are all in one such cell (a deal has one supplier, recipient and order date).
_MARK_COLUMNS = "supplier_id, recipient_id, order_year"
# The transfer's columns a mark is read from: its cached copies of the contract's parties,
# order date and kind (Transfer.COPIES). Migration 0080 installed the triggers before the
# copies were named `cached_...` (migration 0083): it passes the names they had then.
TRANSFER_COLUMNS = {
    "supplier": "cached_supplier_id",
    "recipient": "cached_recipient_id",
    "order_date": "cached_order_date",
    "arms": "cached_is_arms",
}
# Of a transfer row {r}.
_PG_MARK = (
    "COALESCE({r}.{supplier}, 0), COALESCE({r}.{recipient}, 0), COALESCE(EXTRACT(YEAR FROM {r}.{order_date})::int, 0)"
)
_SQLITE_MARK = (
    "COALESCE({r}.{supplier}, 0), COALESCE({r}.{recipient}, 0), "
    "COALESCE(CAST(strftime('%Y', {r}.{order_date}) AS INTEGER), 0)"
)


def _pg_functions(c, *, systems):
    """The marking functions, for the transfer's columns `c` (TRANSFER_COLUMNS); with
    systems, each marks the transfers' systems too."""

    def mark(r):
        return _PG_MARK.format(r=r, **c)

    def inserts(rows, join=""):
        """The marks of a transition table's rows (`r`: the transfer row, joined or not)."""
        r = "t" if join else rows[-1]
        source = f"FROM {rows}{join} WHERE {r}.{c['arms']}"
        sql = f"INSERT INTO {DIRTY} ({_MARK_COLUMNS}) SELECT DISTINCT {mark(r)} {source};"  # noqa: S608
        if systems:
            sql += f"\n        INSERT INTO {SYSTEMS_DIRTY} (system_id) SELECT DISTINCT {r}.system_id {source};"  # noqa: S608
        return sql

    join = " JOIN transfers_transfer t ON t.id = d.transfer_id"
    return f"""
CREATE OR REPLACE FUNCTION transfers_totals_mark_transfers() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        {inserts("transfers_totals_new n")}
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {inserts("transfers_totals_old o")}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_totals_mark_deliveries() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        {inserts("transfers_totals_new d", join)}
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {inserts("transfers_totals_old d", join)}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""  # noqa: S608


_PG_REFERENCING = {
    "INSERT": "NEW TABLE AS transfers_totals_new",
    "UPDATE": "OLD TABLE AS transfers_totals_old NEW TABLE AS transfers_totals_new",
    "DELETE": "OLD TABLE AS transfers_totals_old",
}
_TABLES = {"transfers_transfer": "transfers", "transfers_delivery": "deliveries"}

_SQLITE_TRANSFER = {
    "INSERT": [("NEW", "NEW")],
    "UPDATE": [("OLD", "OLD"), ("NEW", "NEW")],
    "DELETE": [("OLD", "OLD")],
}


def _sqlite_statements(c, *, systems):
    statements = [
        "DROP INDEX IF EXISTS transfers_totalsdirty_pair",
        f"CREATE UNIQUE INDEX IF NOT EXISTS transfers_totalsdirty_mark ON {DIRTY} ({_MARK_COLUMNS})",
    ]
    if systems:
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS transfers_systemtotaldirty_mark ON {SYSTEMS_DIRTY} (system_id)"
        )

    def inserts(r, where=""):
        condition = f"{where or ' WHERE '}{r}.{c['arms']}; "
        sql = f"INSERT OR IGNORE INTO {DIRTY} ({_MARK_COLUMNS}) SELECT {_SQLITE_MARK.format(r=r, **c)}{condition}"  # noqa: S608
        if systems:
            sql += f"INSERT OR IGNORE INTO {SYSTEMS_DIRTY} (system_id) SELECT {r}.system_id{condition}"  # noqa: S608
        return sql

    for event, rows in _SQLITE_TRANSFER.items():
        body = "".join(inserts(row) for row, _ in rows)
        statements.append(
            f"CREATE TRIGGER transfers_totals_{event.lower()}_transfers "
            f"AFTER {event} ON transfers_transfer BEGIN {body}END"
        )
        body = "".join(
            inserts("t", f" FROM transfers_transfer t WHERE t.id = {row}.transfer_id AND ") for row, _ in rows
        )
        statements.append(
            f"CREATE TRIGGER transfers_totals_{event.lower()}_deliveries "
            f"AFTER {event} ON transfers_delivery BEGIN {body}END"
        )
    return statements


def install(connection, *, columns=TRANSFER_COLUMNS, systems=True):
    """Create (or update) the marking triggers: idempotent. `columns`: the transfer's
    (TRANSFER_COLUMNS), as a migration's state names them; systems: mark the transfers'
    systems too (when their table exists: migrations before 0085 install without)."""
    existing = set(connection.introspection.table_names())
    if DIRTY not in existing or not set(_TABLES) <= existing:
        return
    systems = systems and SYSTEMS_DIRTY in existing
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_pg_functions(columns, systems=systems))
            for table, what in _TABLES.items():
                for event, referencing in _PG_REFERENCING.items():
                    cursor.execute(
                        f"CREATE OR REPLACE TRIGGER transfers_totals_{event.lower()} AFTER {event} ON {table} "
                        f"REFERENCING {referencing} FOR EACH STATEMENT "
                        f"EXECUTE FUNCTION transfers_totals_mark_{what}()"
                    )
        elif connection.vendor == "sqlite":
            # Replaced, not kept: one installed by an earlier migration marks no systems.
            uninstall(connection)
            for statement in _sqlite_statements(columns, systems=systems):
                cursor.execute(statement)


def mark_everything(connection, *, columns=TRANSFER_COLUMNS):
    """Mark every cell of the register stale (the totals are then recomputed by the next refresh)."""
    mark = _PG_MARK if connection.vendor == "postgresql" else _SQLITE_MARK
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DIRTY} ({_MARK_COLUMNS}) "  # noqa: S608
            f"SELECT DISTINCT {mark.format(r='t', **columns)} FROM transfers_transfer t WHERE t.{columns['arms']}"
        )


def mark_every_system(connection, *, columns=TRANSFER_COLUMNS):
    """Mark every system of the register stale (its totals are recomputed by the next refresh)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SYSTEMS_DIRTY} (system_id) "  # noqa: S608
            f"SELECT DISTINCT t.system_id FROM transfers_transfer t WHERE t.{columns['arms']}"
        )


def uninstall(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in _TABLES:
                for event in _PG_REFERENCING:
                    cursor.execute(f"DROP TRIGGER IF EXISTS transfers_totals_{event.lower()} ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS transfers_totals_mark_transfers()")
            cursor.execute("DROP FUNCTION IF EXISTS transfers_totals_mark_deliveries()")
        elif connection.vendor == "sqlite":
            for event in _SQLITE_TRANSFER:
                for what in _TABLES.values():
                    cursor.execute(f"DROP TRIGGER IF EXISTS transfers_totals_{event.lower()}_{what}")


def ensure_after_migrate(sender, using="default", **kwargs):
    install(connections[using])


# --- Refresh --------------------------------------------------------------------------------


# Amounts as Decimals, not ints: SQLite's driver refuses an int past 64 bits; a Decimal it
# passes as text, which the column stores as REAL.
def _milli(value):
    return None if value is None else Decimal(int(selectors._decimal(value) * 1000))


def _cents(value):
    return None if value is None else Decimal(int((Decimal(str(value)) * 100).to_integral_value()))


# Room for every digit of a numeric(38) amount scaled back (the default context keeps 28).
_EXACT = Context(prec=AMOUNT_DIGITS + 10)


def _scaled(value, places):
    """A whole amount read from the totals (thousandths, cents) as the Decimal it counts."""
    return None if value is None else Decimal(int(value)).scaleb(-places, context=_EXACT)


def _lines_measures(found):
    """A LINES row's figures from a group of the live summary (selectors.summary_parts)."""
    return {
        "kind": YearlyTotal.Kind.LINES,
        "transfers": found["transfers"],
        "quantity_ordered": found["quantity_ordered"],
        "quantity_delivered": found["quantity_delivered"],
        "tiv_delivered_milli": _milli(found["tiv_delivered"]),
        "tiv_ordered_milli": _milli(found["tiv_ordered"]),
    }


def _value_measures(values, value_kind):
    """(group key, a value row's figures) per currency of each group of the live summary's values."""
    for key, currencies in values.items():
        for currency, amount in currencies.items():
            yield key, {"kind": value_kind, "currency": currency, "amount_cents": _cents(amount)}


def compute_parts(transfers):
    """The totals rows of these arms transfers, the live summary's parts at the finest grain:
    a list of rows per part, each read when the one before is written (a part's rows held
    at once, not all of them: the refresh of an import into a million held 150 MB)."""
    kind = YearlyTotal.Kind
    everything = set(selectors.SUMMARY_MEASURES)

    def cell(aliases, key, **values):
        fields = {CELL_COLUMNS[alias[2:]]: value for alias, value in zip(aliases, key, strict=True)}
        for column in ("supplier_id", "recipient_id", "order_year"):
            fields[column] = fields.get(column) or 0
        fields["category"] = fields.get("category") or ""
        fields["absent"] = bool(fields.get("absent"))  # absent from a release or not
        return new_row(YearlyTotal, grain=FULL, **fields, **values)

    def value_rows(aliases, values, value_kind):
        return [cell(aliases, key, **measures) for key, measures in _value_measures(values, value_kind)]

    aliases, grouped, _, values = selectors.summary_parts(transfers=transfers, group_by=CELL, wanted=everything)
    yield [cell(aliases, [row[a] for a in aliases], **_lines_measures(row)) for row in grouped]
    yield value_rows(aliases, values, kind.VALUE_CATEGORY)
    no_category = [key for key in CELL if key != "category"]
    aliases, _, _, values = selectors.summary_parts(transfers=transfers, group_by=no_category, wanted={"values"})
    yield value_rows(aliases, values, kind.VALUE)

    by_year = [*CELL, "delivery_year"]
    aliases, grouped, tiv, values = selectors.summary_parts(
        transfers=transfers, group_by=by_year, wanted={"transfers", "quantity_delivered", "tiv_delivered", "values"}
    )
    rows = []
    for row in grouped:
        key = tuple(row[a] for a in aliases)
        amount = tiv.get(key, (None, 0))[0]
        if row.get("_unplaced"):
            rows.append(
                cell(aliases, key, kind=kind.UNPLACED, transfers=row["transfers"], tiv_delivered_milli=_milli(amount))
            )
        else:
            rows.append(
                cell(
                    aliases,
                    key,
                    kind=kind.YEAR,
                    transfers=row["transfers"],
                    quantity_delivered=row["quantity_delivered"],
                    tiv_delivered_milli=_milli(amount),
                )
            )
    yield rows
    del rows, grouped, tiv
    yield value_rows(aliases, values, kind.VALUE_CATEGORY_YEAR)
    aliases, _, _, values = selectors.summary_parts(
        transfers=transfers, group_by=[*no_category, "delivery_year"], wanted={"values"}
    )
    yield value_rows(aliases, values, kind.VALUE_YEAR)


def compute(transfers):
    """Every totals row of these arms transfers (compute_parts, in one list)."""
    return [row for part in compute_parts(transfers) for row in part]


MEASURES = [
    "transfers",
    "quantity_ordered",
    "quantity_delivered",
    "tiv_delivered_milli",
    "tiv_ordered_milli",
    "amount_cents",
]
_DIMENSION_COLUMNS = [CELL_COLUMNS[name] for name in DIMENSIONS]
_ROW_COLUMNS = ["grain", "kind", *_DIMENSION_COLUMNS, "absent", "delivery_year", "currency"]
_VALUE_BY_CATEGORY = [YearlyTotal.Kind.VALUE_CATEGORY, YearlyTotal.Kind.VALUE_CATEGORY_YEAR]


def _key_column(column, table=""):
    """A key column (of a table) as the unique indexes hold it (no delivery year: -1)."""
    name = f"{table}.{column}" if table else column
    return f"COALESCE({name}, -1)" if column == "delivery_year" else name


# The conflict target of yearlytotal_key, as PostgreSQL matches it to the index.
_KEY_TARGET = ", ".join(_key_column(column) for column in YearlyTotal.KEY)


def _same_key(left, right):
    """SQL: two totals rows have the same key (yearlytotal_key): an equality PostgreSQL can hash."""
    return " AND ".join(f"{_key_column(c, left)} = {_key_column(c, right)}" for c in YearlyTotal.KEY)


# The measures kept as numbers of 38 digits (totals.models.Measures): past 64 bits.
AMOUNTS = [measure for measure in MEASURES if isinstance(YearlyTotal._meta.get_field(measure), DecimalField)]


def _summed(measure, vendor):
    """SQL: a measure summed over a group, as the totals' column holds it. SQLite sums the
    amounts as REAL (exact below 2^53): its SUM of integers fails past 64 bits."""
    if measure not in AMOUNTS:
        return f"CAST(SUM({measure}) AS BIGINT)"
    return f"SUM(CAST({measure} AS REAL))" if vendor == "sqlite" else f"SUM({measure})"


def _measures_summed(vendor):
    return ", ".join(f"{_summed(measure, vendor)} AS {measure}" for measure in MEASURES)


def _rollup_select(grain, *, vendor, source=TOTALS, where=""):
    """SQL: this rollup's rows summed from its parent's rows in `source` (the totals, or an
    import's new rows: delta_add), of the groups `where` names (a condition, or all), on
    this database `vendor`."""
    parent = grain_parent(grain)
    kept = [CELL_COLUMNS[name] for name in grain_dimensions(grain)]
    dimensions = [
        column if column in kept else (f"'' AS {column}" if column == "category" else f"0 AS {column}")
        for column in _DIMENSION_COLUMNS
    ]
    # Values by category do not add up over categories: not kept where the category is not.
    kinds = "" if grain & _C else f" AND kind NOT IN ({', '.join(str(int(kind)) for kind in _VALUE_BY_CATEGORY)})"
    return (
        f"SELECT {grain} AS grain, kind, {', '.join(dimensions)}, absent, delivery_year, currency, "  # noqa: S608
        f"{_measures_summed(vendor)} "
        f"FROM {source} WHERE grain = {parent}{kinds}{where} "
        f"GROUP BY kind, {''.join(f'{column}, ' for column in kept)}absent, delivery_year, currency"
    )


def _rollup_statements(grain, *, vendor, compare=False):
    """SQL that redoes this rollup's rows of the cells in TotalsAffected from its parent's;
    compare (PostgreSQL): rewriting only the rows that changed."""
    kept = [CELL_COLUMNS[name] for name in grain_dimensions(grain)]
    where = ""
    if kept:
        where = f" AND ({', '.join(kept)}) IN (SELECT DISTINCT {', '.join(kept)} FROM {AFFECTED})"  # noqa: S608
    columns = ", ".join([*_ROW_COLUMNS, *MEASURES])
    summed = _rollup_select(grain, vendor=vendor, where=where)
    if not compare:
        return [f"DELETE FROM {TOTALS} WHERE grain = {grain}{where}", f"INSERT INTO {TOTALS} ({columns}) {summed}"]  # noqa: S608
    # Only the rows that differ are written: an import into a large register changes a
    # fifth of the rows of the groups it touches, and writing a row into the totals'
    # indexes costs more than comparing it (not so for an edit's few rows). A row whose key
    # is gone is deleted; one whose figures changed is updated in place (no index holds
    # them); a new key is inserted. The two parts touch different rows.
    changed = " OR ".join(f"t.{measure} IS DISTINCT FROM EXCLUDED.{measure}" for measure in MEASURES)
    return [
        f"WITH fresh AS MATERIALIZED ({summed}), "  # noqa: S608
        f"gone AS (DELETE FROM {TOTALS} WHERE grain = {grain}{where} "
        f"AND NOT EXISTS (SELECT 1 FROM fresh f WHERE {_same_key('f', TOTALS)})) "
        f"INSERT INTO {TOTALS} AS t ({columns}) SELECT {columns} FROM fresh "
        f"ON CONFLICT ({_KEY_TARGET}) DO UPDATE SET "
        f"{', '.join(f'{measure} = EXCLUDED.{measure}' for measure in MEASURES)} WHERE {changed}"
    ]


def _rollups_redo(cursor, *, many):
    """Every rollup's rows of the affected cells summed again from its parent's (of `many`
    cells: more than an edit's)."""
    hashed = many and cursor.db.vendor == "postgresql"
    if hashed:
        # The planner underestimates how many rows many affected groups hold (several
        # columns matched at once): taking thousands for a few, it compared each new row
        # with every other in a nested loop (56 s for one rollup of a merged import). Hash
        # joins hold whatever the estimate. An edit's few cells keep their index lookups.
        cursor.execute("SET LOCAL enable_nestloop = off")
    for grain in GRAINS[1:]:
        for statement in _rollup_statements(grain, vendor=cursor.db.vendor, compare=hashed):
            cursor.execute(statement)
    if hashed:
        cursor.execute("RESET enable_nestloop")


def _rollups_write(cursor, *, table):
    """Every rollup summed from its parent's rows, into a table of the finest rows only (a
    rebuild's: transfers.bulk.table_refilled)."""
    columns = ", ".join([*_ROW_COLUMNS, *MEASURES])
    for grain in GRAINS[1:]:
        summed = _rollup_select(grain, vendor=cursor.db.vendor, source=table)
        cursor.execute(f"INSERT INTO {table} ({columns}) {summed}")  # noqa: S608


def _affected_add(cursor, rows):
    """Note the finest cells of these rows (a YearlyTotal queryset) as affected."""
    columns = [CELL_COLUMNS[name] for name in DIMENSIONS]
    sql, params = rows.filter(grain=FULL).values(*columns).distinct().query.sql_with_params()
    cursor.execute(f"INSERT INTO {AFFECTED} ({', '.join(columns)}) {sql}", params)  # noqa: S608


def _mark_q(supplier, recipient, year, *, register):
    """The register's transfers (register) or the finest totals rows of one marked cell."""
    if not register:
        return Q(supplier_id=supplier, recipient_id=recipient, order_year=year)
    year_q = Q(cached_order_date__isnull=True) if not year else Q(cached_order_date__year=year)
    return _party_q("cached_supplier", [supplier or None]) & _party_q("cached_recipient", [recipient or None]) & year_q


def _cells_held(cursor):
    """How many (supplier, recipient, order year) cells the finest totals hold."""
    cursor.execute(
        f"SELECT COUNT(*) FROM (SELECT DISTINCT {_MARK_COLUMNS} FROM {TOTALS} WHERE grain = {FULL}) cells"  # noqa: S608
    )
    return cursor.fetchone()[0]


def _cell_chunks(marks, *, using):
    """(register condition, finest totals condition) for the marked cells, a chunk at a time."""
    if len(marks) <= NAMED_CELLS:
        register_cells, total_cells = Q(), Q()
        for mark in marks:
            register_cells |= _mark_q(*mark, register=True)
            total_cells |= _mark_q(*mark, register=False)
        yield register_cells, total_cells
        return
    refreshing = TotalsRefreshing.objects.using(using)
    refreshing.all().delete()
    refreshing.bulk_create(
        [TotalsRefreshing(supplier_id=s, recipient_id=r, order_year=y) for s, r, y in marks], batch_size=5_000
    )
    ids = list(refreshing.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = refreshing.filter(pk__gte=ids[start], pk__lte=ids[min(start + REFRESH_CHUNK, len(ids)) - 1])
        register = chunk.filter(
            supplier_id=Coalesce(OuterRef("cached_supplier_id"), 0),
            recipient_id=Coalesce(OuterRef("cached_recipient_id"), 0),
            order_year=Coalesce(ExtractYear(OuterRef("cached_order_date")), 0),
        )
        totals = chunk.filter(
            supplier_id=OuterRef("supplier_id"),
            recipient_id=OuterRef("recipient_id"),
            order_year=OuterRef("order_year"),
        )
        yield Exists(register), Exists(totals)


def refresh(using="default"):
    """Recompute the totals of the cells and systems marked since the last refresh, in one
    transaction: the cells' finest rows from the register (_cell_chunks), then the rollups
    of the cells they were or are in; the systems' rows (_systems_redo). Returns the number
    of cells and systems refreshed ("all" when everything was recomputed)."""
    connection = connections[using]
    # Outside any transaction, what the refresh reads is committed: other connections may read it.
    parallel = workers.possible(using)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            cursor.execute(f"DELETE FROM {DIRTY} RETURNING {_MARK_COLUMNS}")  # noqa: S608
            marks = sorted({tuple(row) for row in cursor.fetchall()})
            cursor.execute(f"DELETE FROM {SYSTEMS_DIRTY} RETURNING system_id")  # noqa: S608
            systems = sorted({row[0] for row in cursor.fetchall()})
            if len(marks) > NAMED_CELLS and len(marks) > FULL_REFRESH_SHARE * _cells_held(cursor):
                _rebuild(using, parallel=parallel)
                return "all"
            if systems:
                _systems_redo(cursor, systems, using=using)
            if not marks:
                return len(systems)
            cursor.execute(f"DELETE FROM {AFFECTED}")  # noqa: S608
            if connection.vendor == "postgresql":
                # Small statements over a few hundred rows each: compiling them (JIT) cost more.
                cursor.execute("SET LOCAL jit = off")
                # The rollups of an import's cells group a million rows: in memory, not on disk.
                cursor.execute("SET LOCAL work_mem = '256MB'")
            transfers = selectors.transfer_register_base().using(using)
            for register_cells, total_cells in _cell_chunks(marks, using=using):
                finest = YearlyTotal.objects.using(using).filter(total_cells, grain=FULL)
                _affected_add(cursor, finest)
                finest.delete()
                _write_parts(YearlyTotal, compute_parts(transfers.filter(register_cells)), using)
                _affected_add(cursor, finest)
            if connection.vendor == "postgresql":
                # Without statistics PostgreSQL takes the few affected cells for 200 and reads
                # whole grains (316 ms for one edit at a million transfers) instead of an index.
                cursor.execute(f"ANALYZE {AFFECTED}")
            _rollups_redo(cursor, many=len(marks) > NAMED_CELLS)
    return len(marks) + len(systems)


# The scratch table of delta_add: rows of the totals' columns, dropped once added (a failure
# rolls its creation back with the rest).
_DELTA = "transfers_totals_delta"


def _added(measure):
    """SQL: a kept figure plus an import's (EXCLUDED), as SUM adds them: null is no figure."""
    kept, new = f"t.{measure}", f"EXCLUDED.{measure}"
    return f"CASE WHEN {kept} IS NULL THEN {new} WHEN {new} IS NULL THEN {kept} ELSE {kept} + {new} END"


def _delta_merge(cursor, model, *, parts, rollups, rolled):
    """Add new rows to a totals table: `parts` (its finest rows, lists of new_row()s) and
    `rollups` (SQL selects of the coarser rows from a source table, of columns `rolled`)
    summed in a scratch table first, then added to the rows of their keys, every batch in
    the same order (batches adding at once wait for each other instead of deadlocking)."""
    table = model._meta.db_table
    key = ", ".join(_key_column(column) for column in model.KEY)
    # The finest rows first: two batches rarely share one; the coarsest last, so that a batch
    # holds the rows every batch adds to (grain 0's) only from the end of its statement to
    # its commit, and the other batch waits that long, not for all of it.
    order = ", ".join(f"{column} DESC" if column == "grain" else _key_column(column) for column in model.KEY)
    names = ", ".join(field.column for field in model._meta.concrete_fields if not field.primary_key)
    cursor.execute(f"CREATE TEMP TABLE {_DELTA} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
    for rows in parts:
        if rows:
            copy_text_write(model, *copy_text_plain(model, rows), table=_DELTA)
    for select in rollups(_DELTA):
        cursor.execute(f"INSERT INTO {_DELTA} ({rolled}) {select}")  # noqa: S608
    cursor.execute(
        f"INSERT INTO {table} AS t ({names}) SELECT {names} FROM {_DELTA} ORDER BY {order} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{m} = {_added(m)}' for m in MEASURES)}"
    )
    cursor.execute(f"DROP TABLE {_DELTA}")


def delta_worth(*, new_transfers, using="default"):
    """Whether adding the totals of this many new transfers (delta_add) is cheaper than
    recomputing their cells: when the register already holds at least as many. Into an
    empty register one rebuild of everything costs less than adding batch by batch (the
    coarser rows are added to again by every batch)."""
    return selectors.transfer_register_base().using(using)[new_transfers - 1 : new_transfers].exists()


def delta_add(transfers, *, using="default"):
    """Add the totals of these arms transfers, new in this transaction, to the kept totals
    (yearly and systems'), and take back the marks this transaction wrote: what an import's
    batch of new deals does instead of leaving its cells and systems to the refresh (at a
    million transfers, recomputing the cells of 30,000 new deals read hundreds of thousands
    of others). Only sound when these transfers (and their deliveries) are all the
    transaction wrote to the register: the totals of new deals add up to the kept ones,
    every measure being a sum over transfers, deliveries or distinct deals.

    PostgreSQL, in a transaction of its own (not inside another: the marks of the outer
    transaction's other writes are the same transaction's); elsewhere nothing is done and
    the marks stay for the refresh. Returns whether the totals were added.

    The new rows are the live summary's finest rows and every rollup of them, by the
    refresh's own statements (_delta_merge). A refresh holds the totals' advisory lock
    while it recomputes; a batch takes it shared, so that it adds either before a refresh
    reads or after it wrote, never in between."""
    connection = connections[using]
    # (COPY writes on the default connection: transfers.bulk.)
    if using != "default" or connection.vendor != "postgresql":
        return False
    if not connection.in_atomic_block or connection.savepoint_ids:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [ADVISORY_LOCK])
        _delta_merge(
            cursor,
            YearlyTotal,
            parts=compute_parts(transfers),
            rollups=lambda source: [_rollup_select(grain, vendor="postgresql", source=source) for grain in GRAINS[1:]],
            rolled=", ".join([*_ROW_COLUMNS, *MEASURES]),
        )
        _delta_merge(
            cursor,
            SystemTotal,
            parts=systems_compute_parts(transfers),
            rollups=lambda source: [_systems_rollup_select(vendor="postgresql", source=source)],
            rolled=_SYSTEM_ROW,
        )
        for dirty in (DIRTY, SYSTEMS_DIRTY):
            cursor.execute(f"DELETE FROM {dirty} WHERE xact = txid_current()")  # noqa: S608
    return True


# --- Systems ----------------------------------------------------------------------------------
# SystemTotal: grain 1 computed per system from the register (a system's lines, by the
# register_system index), grain 0 summed from it. A refresh redoes the marked systems,
# SYSTEMS_CHUNK at a time; of more than FULL_REFRESH_SHARE of the systems they hold, all.
SYSTEM_KEYS = ["system", "supplier", "category", "absent"]
SYSTEM_COLUMNS = {"system": "system_id", "supplier": "supplier_id", "category": "category"}
SYSTEMS_CHUNK = 1_000


def systems_compute_parts(transfers):
    """The SystemTotal rows (grain 1) of these arms transfers, the live summary's parts by
    system, supplier, category and absence: a list per part, as compute_parts (the
    systems' refresh of an import into a million held 140 MB in one list)."""

    def row(key, **values):
        system, supplier, category, absent = key
        return new_row(
            SystemTotal,
            grain=1,
            system_id=system,
            supplier_id=supplier or 0,
            category=category or "",
            absent=bool(absent),  # absent from a release or not
            **values,
        )

    kind = YearlyTotal.Kind
    aliases, grouped, _, values = selectors.summary_parts(
        transfers=transfers, group_by=SYSTEM_KEYS, wanted=set(selectors.SUMMARY_MEASURES)
    )
    yield [row([found[a] for a in aliases], **_lines_measures(found)) for found in grouped]
    del grouped
    yield [row(key, **measures) for key, measures in _value_measures(values, kind.VALUE_CATEGORY)]
    # Values over categories: a deal once per system, however its lines are categorised.
    no_category = [key for key in SYSTEM_KEYS if key != "category"]
    _, _, _, values = selectors.summary_parts(transfers=transfers, group_by=no_category, wanted={"values"})
    yield [
        row((system, supplier, None, absent), **measures)
        for (system, supplier, absent), measures in _value_measures(values, kind.VALUE)
    ]


def systems_compute(transfers):
    """Every SystemTotal row of grain 1 of these arms transfers (systems_compute_parts, in one list)."""
    return [row for part in systems_compute_parts(transfers) for row in part]


def _systems_redo(cursor, systems, *, using):
    """The rows of these systems (None: of every system) computed again."""
    totals = SystemTotal.objects.using(using)
    transfers = selectors.transfer_register_base().using(using)
    # Counting the systems held costs more than an edit's refresh: only for more than a chunk.
    if systems is not None and len(systems) > SYSTEMS_CHUNK:
        cursor.execute(f"SELECT COUNT(DISTINCT system_id) FROM {SystemTotal._meta.db_table}")  # noqa: S608
        if len(systems) > FULL_REFRESH_SHARE * cursor.fetchone()[0]:
            systems = None
    if systems is None:
        chunks = [None]
    else:
        chunks = [systems[start : start + SYSTEMS_CHUNK] for start in range(0, len(systems), SYSTEMS_CHUNK)]
    for chunk in chunks:
        if chunk is None:
            totals.all().delete()
            _write_parts(SystemTotal, systems_compute_parts(transfers), using)
            where, params = "", []
        else:
            totals.filter(system_id__in=chunk).delete()
            _write_parts(SystemTotal, systems_compute_parts(transfers.filter(system_id__in=chunk)), using)
            where, params = f" AND system_id IN ({', '.join(['%s'] * len(chunk))})", chunk
        cursor.execute(
            f"INSERT INTO {SYSTEMS} ({_SYSTEM_ROW}) {_systems_rollup_select(vendor=cursor.db.vendor, where=where)}",
            params,
        )  # noqa: S608


_SYSTEM_ROW = ", ".join(["grain", "kind", "system_id", "supplier_id", "category", "absent", "currency", *MEASURES])


def _systems_rollup_select(*, vendor, source=SYSTEMS, where=""):
    """SQL: the systems' grain 0 (every supplier) summed from grain 1 in `source` (the
    systems' totals, or an import's new rows: delta_add), of the systems `where` names."""
    return (
        f"SELECT 0, kind, system_id, 0, category, absent, currency, {_measures_summed(vendor)} "  # noqa: S608
        f"FROM {source} WHERE grain = 1{where} GROUP BY kind, system_id, category, absent, currency"
    )


# Transfers per chunk of a rebuild. 50,000 held 100 MB more at the peak of a first SIPRI
# import (30,000 deals), for no speed; 5,000 gives the workers of a parallel rebuild
# several chunks to share (20,000: two, for 30,000 deals).
REBUILD_CHUNK = 5_000


def _party_q(field, ids):
    condition = Q(**{f"{field}_id__in": [pk for pk in ids if pk is not None]})
    return condition | Q(**{f"{field}_id__isnull": True}) if None in ids else condition


def _rebuild_chunks(transfers):
    """Conditions on the register, each of a few (supplier, recipient) pairs' transfers
    (a cell is one pair's), about REBUILD_CHUNK transfers each."""
    sizes = (
        transfers.order_by()
        .values_list("cached_supplier_id", "cached_recipient_id")
        .annotate(n=Count("pk"))
        .order_by("cached_supplier_id", "cached_recipient_id")
    )
    chunk, size = {}, 0

    def condition():
        found = Q()
        for supplier, recipients in chunk.items():
            found |= _party_q("cached_supplier", [supplier]) & _party_q("cached_recipient", recipients)
        return found

    for supplier, recipient, n in sizes.iterator():
        if chunk and size + n > REBUILD_CHUNK:
            yield condition()
            chunk, size = {}, 0
        chunk.setdefault(supplier, []).append(recipient)
        size += n
    if chunk:
        yield condition()


def _rebuild(using, *, parallel=False):
    """Everything from the register: the finest rows computed a chunk at a time
    (_rebuild_chunks: memory stays that of about REBUILD_CHUNK transfers, each part
    written before the next is read), then every rollup summed from its parent, into a
    table that takes the totals' place once indexed (transfers.bulk.table_refilled).
    `parallel`: the register is committed, so other connections compute the chunks
    (transfers.workers) while this one writes them."""
    transfers = selectors.transfer_register_base().using(using)
    chunks = list(_rebuild_chunks(transfers))
    with table_refilled(YearlyTotal, using=using) as table, connections[using].cursor() as cursor:
        # One chunk (a small register): nothing to share, no other connection to open.
        if parallel and using == "default" and len(chunks) > 1:

            def text(condition):
                return [copy_text_plain(YearlyTotal, rows) for rows in compute_parts(transfers.filter(condition))]

            for parts in workers.in_threads(text, chunks):
                for columns, lines in parts:
                    copy_text_write(YearlyTotal, columns, lines, table=table)
        else:
            for condition in chunks:
                _write_parts(YearlyTotal, compute_parts(transfers.filter(condition)), using, table=table)
        _rollups_write(cursor, table=table)
        # Before the swap: readers wait only from it to the commit.
        _systems_redo(cursor, None, using=using)


def _write_parts(model, parts, using, *, table=None):
    """The totals' new rows, a part at a time, each written before the next is read (a COPY
    holds the connection): COPY on PostgreSQL (transfers.bulk), as imports write; into the
    model's table or `table` (one of its columns)."""
    for rows in parts:
        if using != "default":
            model.objects.using(using).bulk_create([model(**vars(row)) for row in rows], batch_size=2000)
        elif table in (None, model._meta.db_table):
            bulk_insert(model, rows, reason="yearly totals", history=False, ids=False)
        elif rows:  # a rebuild's new table, which only PostgreSQL makes (bulk.table_refilled)
            copy_text_write(model, *copy_text_plain(model, rows), table=table)


def rebuild(using="default"):
    """Everything recomputed (a consistency repair; tests compare it with the kept totals),
    under the refresh's lock: an import's batch adds to the totals only before or after.
    Then, on PostgreSQL outside a transaction, both tables vacuumed: the rows deleted in
    place (the systems', and the yearly totals' where their table could not be refilled:
    transfers.bulk.table_refilled) freed at once, so that new deals are added into the room
    their pages leave (an import into a million right after a rebuild that deleted in
    place: 14.3 to 14.7 s without, 12.8 to 13.4 s with; 3.5 s of vacuum)."""
    connection = connections[using]
    parallel = workers.possible(using)
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        TotalsDirty.objects.using(using).all().delete()
        SystemTotalDirty.objects.using(using).all().delete()
        _rebuild(using, parallel=parallel)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {TOTALS}, {SYSTEMS}")


class _AfterCommit:
    """The refresh a transaction asked for: one per transaction, however many writes."""

    def __init__(self, using):
        self.using = using
        self.ran = False
        # Django names a failed on_commit callback by its __qualname__ when it logs it.
        self.__qualname__ = "totals refresh after commit"

    def __call__(self):
        self.ran = True
        refresh(using=self.using)


# A context variable, not a thread's: an import's worker threads run in a copy of its context.
_deferred = contextvars.ContextVar("totals_refresh_deferred", default=0)


@contextmanager
def refresh_deferred(using="default"):
    """No refresh until the block ends, then one (after the commit of the transaction around
    it, if any): an import of many batches refreshes once, not once per batch. The marks are
    kept meanwhile, so summaries are computed live, never wrong."""
    depth = _deferred.get()
    token = _deferred.set(depth + 1)
    try:
        yield
    finally:
        _deferred.reset(token)
    if not depth:
        refresh_after_commit(using=using)


def refresh_alongside(using="default"):
    """A context: a refresh of what is marked so far, in another thread on a connection of
    its own while the block runs, waited for at its end (transfers.workers.alongside). Only
    where transfers.workers can (another connection sees only committed rows and marks);
    else nothing, and the refresh that follows the block does it all. What the block
    writes is marked as any write is, for that next refresh; a failed refresh rolls back
    and leaves its marks to it too."""
    if not workers.possible(using):
        return nullcontext()
    return workers.alongside(lambda: refresh(using=using))


def refresh_after_commit(using="default"):
    """Refresh once the current transaction commits (once per transaction, however many writes)."""
    if _deferred.get():
        return
    connection = connections[using]
    pending = getattr(connection, "totals_refresh", None)
    if (
        connection.in_atomic_block
        and pending is not None
        and not pending.ran
        and any(func is pending for _sids, func, _robust in connection.run_on_commit)
    ):
        return
    connection.totals_refresh = _AfterCommit(using)
    transaction.on_commit(connection.totals_refresh, using=using, robust=True)


def _written(sender, using="default", **kwargs):
    refresh_after_commit(using=using)


def connect_signals():
    from ..models import Contract, Delivery, Transfer, WeaponSystem

    for model in (Transfer, Delivery, Contract, WeaponSystem):
        post_save.connect(_written, sender=model, dispatch_uid=f"totals-saved-{model.__name__}")
        post_delete.connect(_written, sender=model, dispatch_uid=f"totals-deleted-{model.__name__}")
    for model in (Transfer, Delivery):
        rows_inserted.connect(_inserted, sender=model, dispatch_uid=f"totals-inserted-{model.__name__}")


def _inserted(sender, **kwargs):
    refresh_after_commit(using=router.db_for_write(sender))


# --- Reading --------------------------------------------------------------------------------


def _dicts(query, names):
    """The rows of a values() query as dicts of these names (in its column order), straight
    from the cursor: Django's per-value converters cost more than the query at 20,000 groups."""
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _key(column):
    """A dimension as the live summary keys it: None for no supplier, recipient or year."""
    if column in ("supplier_id", "recipient_id", "order_year"):
        return NullIf(F(column), Value(0))
    return F(column)


def _values_add_up(*, group_by, filters, wanted):
    """Whether values kept per category add up to this summary's: not over several categories
    of a filter when the category is not a key (a deal with lines in both would count twice)."""
    categories = filters.cleaned.get("category")
    return "values" not in wanted or "category" in group_by or not categories or len(set(categories)) == 1


def answerable(*, group_by, filters, wanted):
    """Whether the totals can answer this summary (not whether they are up to date)."""
    if set(group_by) - TOTALS_KEYS or filters.given - TOTALS_FILTERS:
        return False
    return _values_add_up(group_by=group_by, filters=filters, wanted=wanted)


def summary_grain(*, group_by, cleaned):
    """The grain a summary reads: the smallest that keeps its keys and filtered dimensions."""
    needed = {key for key in group_by if key in DIMENSIONS}
    needed |= {name for name in ("supplier", "recipient", "category") if cleaned.get(name)}
    if cleaned.get("ordered_from") is not None or cleaned.get("ordered_to") is not None:
        needed.add("order_year")
    return grain_for(needed)


def systems_answerable(*, group_by, filters, wanted):
    """Whether the systems' totals can answer this summary: by system (and its supplier or
    category), filtered by supplier, category or absence. Values are kept per category too
    (VALUE_CATEGORY): a line's category is its own copy, which a write bypassing Django can
    leave unlike its system's, so a deal may have lines of one system in two categories."""
    if "system" not in group_by or set(group_by) - set(SYSTEM_COLUMNS):
        return False
    if filters.given - {"supplier", "category", "absent"}:
        return False
    return _values_add_up(group_by=group_by, filters=filters, wanted=wanted)


def _sum(measure):
    """A measure summed by the ORM, as _summed sums it in SQL."""
    if measure not in AMOUNTS:
        return Cast(Sum(measure), BigIntegerField())
    if connections[router.db_for_read(YearlyTotal)].vendor == "sqlite":
        return Sum(Cast(measure, FloatField()))
    return Sum(measure)


def summary_parts(*, group_by, filters, wanted):
    """The summary's parts (as selectors.summary_parts makes them) read from the totals (the
    yearly totals, or the systems'); None when they cannot answer this request or are not up
    to date."""
    if not READ_TOTALS:
        return None
    cleaned = filters.cleaned
    if answerable(group_by=group_by, filters=filters, wanted=wanted):
        model, dirty, key_columns = YearlyTotal, TotalsDirty, CELL_COLUMNS
        grain = summary_grain(group_by=group_by, cleaned=cleaned)
    elif systems_answerable(group_by=group_by, filters=filters, wanted=wanted):
        model, dirty, key_columns = SystemTotal, SystemTotalDirty, SYSTEM_COLUMNS
        grain = int("supplier" in group_by or bool(cleaned.get("supplier")))
    else:
        return None
    # Found stale once in this request (a reading-room page draws several figures): live for
    # the rest of it, without asking again.
    memo = filters.request if filters.request is not None else filters
    stale_flag = f"totals_stale_{model.__name__}"
    if getattr(memo, stale_flag, False):
        return None
    db = router.db_for_read(model)
    stale = dirty.objects.using(db)
    totals = model.objects.using(db).order_by()
    conditions = Q()
    if cleaned.get("supplier"):
        conditions &= Q(supplier_id__in=cleaned["supplier"])
    if cleaned.get("recipient"):
        conditions &= Q(recipient_id__in=cleaned["recipient"])
    if cleaned.get("ordered_from") is not None:
        conditions &= Q(order_year__gte=cleaned["ordered_from"])
    if cleaned.get("ordered_to") is not None:
        # 0 stands for no order date, which no year range holds.
        conditions &= Q(order_year__lte=cleaned["ordered_to"], order_year__gt=0)
    absent = cleaned.get("absent") or "hide"
    if absent != "include":
        conditions &= Q(absent=absent == "only")
    categories = cleaned.get("category")
    if categories:
        conditions &= Q(category__in=categories)
    totals = totals.filter(conditions, grain=grain)

    aliases = [f"g_{key}" for key in group_by]
    columns = {f"g_{key}": key_columns[key] for key in group_by}
    kind = YearlyTotal.Kind
    by_year = "delivery_year" in group_by

    def read(rows_kind, keys, *, first=False, **sums):
        """Rows of this kind summed by these keys. The first read also says whether any
        cell is stale, in the same query (one query fewer per summary): None then."""
        named = {alias: column for alias, column in columns.items() if alias in keys}
        sums = {name: _sum(field) for name, field in sums.items()}
        if not named:  # one group: all the rows (none when there are none)
            found = totals.filter(kind=rows_kind).aggregate(**sums)
            return [found] if any(value is not None for value in found.values()) else []
        query = totals.filter(kind=rows_kind).values(**{alias: _key(column) for alias, column in named.items()})
        if not first:
            return _dicts(query.annotate(**sums), [*named, *sums])
        # One row more when any cell is stale, in the same query.
        query = query.annotate(_stale=Value(False), **sums)
        one_mark = stale.filter(pk=Subquery(stale.order_by("pk").values("pk")[:1]))
        field = model._meta.get_field
        sentinel = one_mark.values(
            **{alias: Value(None, output_field=field(column)) for alias, column in named.items()}
        ).annotate(_stale=Value(True), **{name: Value(None, output_field=field("transfers")) for name in sums})
        rows = _dicts(query.union(sentinel, all=True), [*named, "_stale", *sums])
        if any(row["_stale"] for row in rows):
            setattr(memo, stale_flag, True)
            return None
        for row in rows:
            del row["_stale"]
        return rows

    def number(value):
        return None if value is None else int(value)

    def milli(value):
        return _scaled(value, 3)

    grouped = []
    by_year_tiv = None
    if by_year:
        rows = read(
            kind.YEAR,
            aliases,
            first=True,
            transfers="transfers",
            quantity_delivered="quantity_delivered",
            tiv="tiv_delivered_milli",
        )
        if rows is None:
            return None
        by_year_tiv = {} if "tiv_delivered" in wanted else None
        for row in rows:
            tiv = row.pop("tiv")
            grouped.append(row)
            if tiv is not None and by_year_tiv is not None:
                by_year_tiv[tuple(row[a] for a in aliases)] = (milli(tiv), 0)
        if by_year_tiv is not None:
            others = [a for a in aliases if a != "g_delivery_year"]
            for row in read(kind.UNPLACED, others, lines="transfers", tiv="tiv_delivered_milli"):
                row["g_delivery_year"] = None
                key = tuple(row[a] for a in aliases)
                by_year_tiv[key] = (milli(row["tiv"]), number(row["lines"]))
                grouped.append({**{a: row[a] for a in aliases}, "transfers": number(row["lines"]), "_unplaced": True})
    else:
        rows = read(
            kind.LINES,
            aliases,
            first=True,
            transfers="transfers",
            quantity_ordered="quantity_ordered",
            quantity_delivered="quantity_delivered",
            tiv_delivered="tiv_delivered_milli",
            tiv_ordered="tiv_ordered_milli",
        )
        if rows is None:
            return None
        for row in rows:
            for name in ("tiv_delivered", "tiv_ordered"):
                row[name] = milli(row[name])
            grouped.append(row)

    values = {}
    if "values" in wanted:
        with_category = "category" in group_by or bool(categories)
        value_kind = {
            (False, False): kind.VALUE,
            (True, False): kind.VALUE_CATEGORY,
            (False, True): kind.VALUE_YEAR,
            (True, True): kind.VALUE_CATEGORY_YEAR,
        }[(with_category, by_year)]
        named = {alias: _key(column) for alias, column in columns.items()}
        query = (
            totals.filter(kind=value_kind)
            .values(**named, value_currency=F("currency"))
            .annotate(cents=_sum("amount_cents"))
        )
        for row in _dicts(query, [*named, "value_currency", "cents"]):
            key = tuple(row[a] for a in aliases)
            values.setdefault(key, {})[row["value_currency"]] = _scaled(row["cents"], 2)
    return aliases, grouped, by_year_tiv, values
