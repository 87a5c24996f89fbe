"""An actor is never its own ancestor: enforced by the database.

Actor.clean() says so in forms, and a check constraint refuses an actor that is its own
parent; but A under B, then B under A, made a cycle that anything walking up the
hierarchy would loop on. These triggers walk up from every new parent. On PostgreSQL the
trigger first takes a transaction lock that every change of a parent takes (they are
rare), so that two changes at once, each closing half of a cycle, are checked one after
the other. SQLite serialises writers already.

The error names the rule (DATABASE_TRIGGERS) that the API maps to its field.
"""

from django.db import migrations

from transfers.migration_ops import vendor_sql

NAME = "actor_parent_no_cycle"

# SQL: the ancestors of the new row's parent, up the chain (a cycle already there stops at 100).
ANCESTORS = """WITH RECURSIVE up(id, depth) AS (
            SELECT NEW.parent_id, 1
            UNION ALL SELECT a.parent_id, up.depth + 1 FROM transfers_actor a JOIN up ON a.id = up.id
            WHERE a.parent_id IS NOT NULL AND up.depth < 100)
        SELECT 1 FROM up WHERE id = NEW.id"""

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION transfers_actor_parent_written() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('{NAME}', 0));
    IF EXISTS ({ANCESTORS}) THEN
        RAISE EXCEPTION '%: The parent of % would be one of its own descendants: an actor cannot be its own ancestor.',
            '{NAME}', NEW.code
            USING ERRCODE = 'check_violation', CONSTRAINT = '{NAME}';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {NAME} AFTER INSERT OR UPDATE OF parent_id ON transfers_actor
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION transfers_actor_parent_written();
"""

POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS {NAME} ON transfers_actor;
DROP FUNCTION IF EXISTS transfers_actor_parent_written();
"""


def _sqlite_ancestors(depth=8):
    """SQL: the new row's parent and its ancestors up to `depth` (SQLite takes no WITH in a
    trigger, and its parser overflows past about 10 levels; hierarchies here are a state, its
    ministries and their companies)."""
    chain, found = "NEW.parent_id", []
    for _ in range(depth):
        found.append(chain)
        chain = f"(SELECT parent_id FROM transfers_actor WHERE id = {chain})"
    return ", ".join(found)


def _sqlite_trigger(event):
    message = f"{NAME}: an actor cannot be its own ancestor."
    return f"""CREATE TRIGGER {NAME}_{event.split()[0].lower()} AFTER {event} ON transfers_actor
        WHEN NEW.parent_id IS NOT NULL AND NEW.id IN ({_sqlite_ancestors()})
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


SQLITE = [_sqlite_trigger("INSERT"), _sqlite_trigger("UPDATE OF parent_id")]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "update")]


class Migration(migrations.Migration):
    dependencies = [("transfers", "0090_keys_not_digits_alone")]
    operations = [
        vendor_sql(postgresql=POSTGRESQL, postgresql_drop=POSTGRESQL_DROP, sqlite=SQLITE, sqlite_drop=SQLITE_DROP)
    ]
