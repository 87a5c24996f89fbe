"""Deliveries never add up to more than the quantity ordered: enforced by the database.

The model's clean() says so to editors with a friendly message, but two requests
adding deliveries at the same moment each saw the other's as not yet there, and
both passed. These triggers check the sum after every write of a delivery or of a
quantity ordered. On PostgreSQL the trigger first locks the transfer row (FOR NO KEY
UPDATE: it does not conflict with foreign keys' key-share locks), so a concurrent
writer waits, then sums with a fresh snapshot that includes what the first one
committed. SQLite serialises writers already.

The error names a constraint (CONSTRAINT_NAMES) that the API maps to its field.
"""

from django.db import migrations

DELIVERIES = "delivery_total_not_above_ordered"
ORDERED = "transfer_ordered_not_below_delivered"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION transfers_check_delivered_total(transfer bigint, constraint_name text)
RETURNS void AS $$
DECLARE
    ordered bigint;
    delivered bigint;
BEGIN
    SELECT quantity_ordered INTO ordered FROM transfers_transfer WHERE id = transfer FOR NO KEY UPDATE;
    IF ordered IS NULL THEN
        RETURN;
    END IF;
    SELECT COALESCE(SUM(quantity), 0) INTO delivered FROM transfers_delivery WHERE transfer_id = transfer;
    -- The same words as the model's clean(), which editors usually see first.
    IF delivered > ordered AND constraint_name = '{DELIVERIES}' THEN
        RAISE EXCEPTION '%: Delivered total % would exceed the % ordered.', constraint_name, delivered, ordered
            USING ERRCODE = 'check_violation', CONSTRAINT = constraint_name;
    ELSIF delivered > ordered THEN
        RAISE EXCEPTION '%: % are already recorded as delivered; the quantity ordered cannot be %.',
            constraint_name, delivered, ordered
            USING ERRCODE = 'check_violation', CONSTRAINT = constraint_name;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_delivery_written() RETURNS trigger AS $$
BEGIN
    PERFORM transfers_check_delivered_total(NEW.transfer_id, '{DELIVERIES}');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_ordered_written() RETURNS trigger AS $$
BEGIN
    PERFORM transfers_check_delivered_total(NEW.id, '{ORDERED}');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {DELIVERIES} AFTER INSERT OR UPDATE OF quantity, transfer_id ON transfers_delivery
    FOR EACH ROW EXECUTE FUNCTION transfers_delivery_written();
CREATE TRIGGER {ORDERED} AFTER INSERT OR UPDATE OF quantity_ordered ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_ordered_written();
"""

POSTGRESQL_DROP = f"""
DROP TRIGGER IF EXISTS {DELIVERIES} ON transfers_delivery;
DROP TRIGGER IF EXISTS {ORDERED} ON transfers_transfer;
DROP FUNCTION IF EXISTS transfers_delivery_written();
DROP FUNCTION IF EXISTS transfers_ordered_written();
DROP FUNCTION IF EXISTS transfers_check_delivered_total(bigint, text);
"""


def _sqlite_check(transfer):
    return f"""(SELECT quantity_ordered FROM transfers_transfer WHERE id = {transfer}) IS NOT NULL
        AND (SELECT COALESCE(SUM(quantity), 0) FROM transfers_delivery WHERE transfer_id = {transfer})
            > (SELECT quantity_ordered FROM transfers_transfer WHERE id = {transfer})"""


def _sqlite_trigger(name, event, table, transfer):
    message = f"{name}: the deliveries would add up to more than the quantity ordered."
    return f"""CREATE TRIGGER {name}_{event.split()[0].lower()} AFTER {event} ON {table}
        WHEN {_sqlite_check(transfer)}
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


SQLITE = [
    _sqlite_trigger(DELIVERIES, "INSERT", "transfers_delivery", "NEW.transfer_id"),
    _sqlite_trigger(DELIVERIES, "UPDATE OF quantity, transfer_id", "transfers_delivery", "NEW.transfer_id"),
    _sqlite_trigger(ORDERED, "INSERT", "transfers_transfer", "NEW.id"),
    _sqlite_trigger(ORDERED, "UPDATE OF quantity_ordered", "transfers_transfer", "NEW.id"),
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}_{event}" for name in (DELIVERIES, ORDERED) for event in ("insert", "update")
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Without parameters, so that RAISE's % placeholders reach PostgreSQL as written.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0010_claim_search_trigram")]
    operations = [migrations.RunPython(forward, backward)]
