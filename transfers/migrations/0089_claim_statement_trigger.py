"""The claims of one statement share its source, speaker, attribution, date and quote:
enforced by the database.

Claim.clean() says so to editors, but two requests creating the first claims of one new
statement at the same moment each saw no other claim, and both passed: a statement
then spanned two sources and neither claim could be edited again. These triggers check
after every write of a claim with a statement key. On PostgreSQL the trigger first takes
a transaction lock on the key (an advisory lock: there is no row to lock before the first
claim exists), so a concurrent writer waits, then reads with a fresh snapshot that holds
what the first one committed. SQLite serialises writers already.

The error names the rule (DATABASE_TRIGGERS) that the API maps to its field.
"""

from django.db import migrations

from transfers.migration_ops import vendor_sql

NAME = "claim_statement_shared"
COLUMNS = "statement, source_id, speaker_id, speaker_actor_id, attribution, stated_date, quote"


def _differs(other, new):
    """SQL: claim `other` of the same statement says it otherwise than `new`."""
    return (
        f"({other}.source_id <> {new}.source_id"
        f" OR {other}.speaker_id IS NOT {new}.speaker_id"
        f" OR {other}.speaker_actor_id IS NOT {new}.speaker_actor_id"
        f" OR {other}.attribution <> {new}.attribution"
        f" OR {other}.stated_date IS NOT {new}.stated_date"
        f" OR ({other}.quote <> '' AND {new}.quote <> '' AND {other}.quote <> {new}.quote))"
    )


POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION transfers_claim_statement_written() RETURNS trigger AS $$
DECLARE
    other_source text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('{NAME}:' || NEW.statement, 0));
    SELECT s.key INTO other_source FROM transfers_claim c JOIN transfers_source s ON s.id = c.source_id
        WHERE c.statement = NEW.statement AND c.id <> NEW.id
        AND {_differs("c", "NEW").replace(" IS NOT ", " IS DISTINCT FROM ")}
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: Statement ''%'' (in source ''%'') is said otherwise by another claim: the claims of one statement share its source, speaker, attribution, date and quote. Use another key for another statement.',
            '{NAME}', NEW.statement, other_source
            USING ERRCODE = 'check_violation', CONSTRAINT = '{NAME}';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {NAME} AFTER INSERT OR UPDATE OF {COLUMNS} ON transfers_claim
    FOR EACH ROW WHEN (NEW.statement <> '') EXECUTE FUNCTION transfers_claim_statement_written();
"""

POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS {NAME} ON transfers_claim;
DROP FUNCTION IF EXISTS transfers_claim_statement_written();
"""


def _sqlite_trigger(event):
    message = (
        f"{NAME}: the claims of one statement share its source, speaker, attribution, date and quote; "
        "use another key for another statement."
    )
    return f"""CREATE TRIGGER {NAME}_{event.split()[0].lower()} AFTER {event} ON transfers_claim
        WHEN NEW.statement <> '' AND EXISTS (
            SELECT 1 FROM transfers_claim c WHERE c.statement = NEW.statement AND c.id <> NEW.id
            AND {_differs("c", "NEW")})
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


SQLITE = [_sqlite_trigger("INSERT"), _sqlite_trigger(f"UPDATE OF {COLUMNS}")]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "update")]


class Migration(migrations.Migration):
    dependencies = [("transfers", "0088_release_partial")]
    operations = [
        vendor_sql(postgresql=POSTGRESQL, postgresql_drop=POSTGRESQL_DROP, sqlite=SQLITE, sqlite_drop=SQLITE_DROP)
    ]
