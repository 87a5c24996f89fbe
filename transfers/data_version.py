"""The data version: one number that changes whenever any data a page could show changes.

GET validators (ETags, transfers.http_cache) and the caches of counts and summaries are
made from it, so a conditional GET is answered by reading one row, and a cache keyed by
it is never stale. It must change in the same transaction as every write, whatever
writes (the API, the admin, imports with bulk inserts or COPY, fixtures, raw SQL): so
database triggers bump it, on every table of this app (TRACKED: all but the bookkeeping
ones), installed by migration 0050 and again after every `migrate` (a later migration
that rebuilds a table on SQLite drops its triggers; a new table gets them).

PostgreSQL. Each write statement runs a statement-level trigger, which, the first time
in a transaction (a transaction-local setting remembers it, and forgets it with a
rolled-back savepoint), inserts a mark whose DEFERRABLE INITIALLY DEFERRED constraint
trigger runs at commit. That trigger queues a second mark, which fires after every
other deferred check of the transaction (the foreign keys'), and only that one updates
the counter row. So the counter's row lock is the last lock a writer takes, held from
just before its commit to the commit: writers do not wait on each other for the whole
of their transactions, and a writer holding it never waits for another lock, so it
cannot take part in a deadlock (the delivered-not-above-ordered trigger, migration
0011, locks transfer rows during statements, long before). Statement-level: a COPY
or bulk insert of a million rows fires it once, not a million times.

SQLite serialises writers; a row-level trigger per table and event bumps the counter.

The number is never reused: each bump takes the larger of one more and the clock in
microseconds, so a database restored from an older backup does not hand out again the
versions (and ETags) of data it no longer holds.
"""

from django.db import connections, router

from .models import DataVersion

# Tables of this app whose writes do not change what a page shows.
UNTRACKED = {"transfers_dataversion", "transfers_ratecount", "transfers_totalsdirty", "transfers_yearlytotal"}
MARKS = "transfers_dataversion_mark"
COUNTER = "transfers_dataversion"

PG_NOW_US = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint"
SQLITE_NOW_US = "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"

# Constants only, no input: table names of this module.
POSTGRESQL_FUNCTIONS = f"""
CREATE TABLE IF NOT EXISTS {MARKS} (id bigserial PRIMARY KEY, stage smallint NOT NULL);

CREATE OR REPLACE FUNCTION transfers_data_written() RETURNS trigger AS $$
BEGIN
    IF current_setting('transfers.data_written', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('transfers.data_written', 'on', true);
        INSERT INTO {MARKS} (stage) VALUES (1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_data_version_bump() RETURNS trigger AS $$
BEGIN
    DELETE FROM {MARKS} WHERE id = NEW.id;
    IF NEW.stage = 1 THEN
        -- Fired at commit in the order of this transaction's writes: queue the bump
        -- behind every deferred check queued so far (foreign keys), so that the counter
        -- is the last row this transaction locks.
        INSERT INTO {MARKS} (stage) VALUES (2);
    ELSE
        INSERT INTO {COUNTER} (id, version) VALUES (1, {PG_NOW_US})
            ON CONFLICT (id) DO UPDATE SET version = GREATEST({COUNTER}.version + 1, {PG_NOW_US});
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS transfers_data_version_bump ON {MARKS};
CREATE CONSTRAINT TRIGGER transfers_data_version_bump AFTER INSERT ON {MARKS}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION transfers_data_version_bump();
"""  # noqa: S608

POSTGRESQL_TABLE = """
CREATE OR REPLACE TRIGGER transfers_data_written AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION transfers_data_written();
"""

SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
SQLITE_TABLE = f"""
CREATE TRIGGER IF NOT EXISTS {{name}} AFTER {{event}} ON {{table}}
BEGIN
    INSERT INTO {COUNTER} (id, version) VALUES (1, {SQLITE_NOW_US})
        ON CONFLICT (id) DO UPDATE SET version = max(version + 1, {SQLITE_NOW_US});
END
"""  # noqa: S608


def _sqlite_trigger_name(table, event):
    return f"transfers_data_written_{event.lower()}_{table}"


def tracked_tables(apps):
    """The tables of this app (in the state `apps` describes) whose writes bump the version."""
    tables = set()
    for model in apps.get_app_config("transfers").get_models(include_auto_created=True):
        opts = model._meta
        if opts.managed and not opts.proxy and opts.db_table not in UNTRACKED:
            tables.add(opts.db_table)
    return sorted(tables)


def install(connection, tables):
    """Create (or update) the triggers on `tables`: idempotent."""
    existing = set(connection.introspection.table_names())
    if COUNTER not in existing:
        return  # migrated to before migration 0050: nothing to bump yet
    tables = [table for table in tables if table in existing]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Without parameters, so that % reaches PostgreSQL as written.
            cursor.execute(POSTGRESQL_FUNCTIONS)
            for table in tables:
                cursor.execute(POSTGRESQL_TABLE.format(table=qn(table)))
        elif connection.vendor == "sqlite":
            for table in tables:
                for event in SQLITE_EVENTS:
                    name = qn(_sqlite_trigger_name(table, event))
                    cursor.execute(SQLITE_TABLE.format(name=name, event=event, table=qn(table)))


def uninstall(connection, tables):
    """Drop the triggers, from `tables` and from every other table that has one: post_migrate
    installed them on tables of later migrations too, which a migration back to before 0050
    must not leave depending on the functions it drops."""
    qn = connection.ops.quote_name
    tables = sorted(set(tables) | tables_with_triggers(connection, complete=False))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS transfers_data_written ON {qn(table)}")
            cursor.execute(f"DROP TABLE IF EXISTS {MARKS}")
            cursor.execute("DROP FUNCTION IF EXISTS transfers_data_written()")
            cursor.execute("DROP FUNCTION IF EXISTS transfers_data_version_bump()")
        elif connection.vendor == "sqlite":
            for table in tables:
                for event in SQLITE_EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {qn(_sqlite_trigger_name(table, event))}")


def tables_with_triggers(connection, complete=True):
    """The tables that have the bump trigger now (for tests and checks); on SQLite, with
    `complete`, only those that have it for every event."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'transfers_data_written'"
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        tables = {}
        for table, name in cursor.fetchall():
            if name.startswith("transfers_data_written_"):
                tables.setdefault(table, set()).add(name)
        return {table for table, names in tables.items() if not complete or len(names) == len(SQLITE_EVENTS)}


def ensure_after_migrate(sender, using, apps=None, **kwargs):
    """post_migrate (and flush): every tracked table of the migrated state has its trigger."""
    from django.apps import apps as global_apps

    install(connections[using], tracked_tables(apps or global_apps))


def current():
    """The data version, read from the database this request reads its data from (the
    router's choice: the same replica as the page's queries), so a validator is never
    newer than the data it describes. 0 before the first write. In SQL: read on every
    request, it is not worth compiling a queryset for."""
    with connections[router.db_for_read(DataVersion)].cursor() as cursor:
        cursor.execute(CURRENT_SQL)
        row = cursor.fetchone()
    return (row[0] if row else 0) or 0


CURRENT_SQL = f"SELECT version FROM {COUNTER} WHERE id = 1"  # noqa: S608 (a constant)
