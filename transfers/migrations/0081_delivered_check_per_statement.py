"""The delivered-not-above-ordered check of inserts, once per statement (PostgreSQL).

The triggers of migrations 0011/0013 ran a function per inserted row: an import COPYs
thirty thousand lines and sixty thousand deliveries, and the function calls (each locks
its line, then sums its deliveries) took a tenth of its database time. Inserts now run
one trigger per statement over its new rows (a transition table): the lines they touch
are locked in id order, then summed in one query, with the same rule and the same words.
Updates keep the row triggers: PostgreSQL gives no transition table to a trigger on
named columns (UPDATE OF quantity), and updates come a few at a time.

SQLite: unchanged (row triggers, writers serialised).
"""

import importlib

from django.db import migrations

previous = importlib.import_module("transfers.migrations.0013_transfer_published_inconsistency")

DELIVERIES = previous.DELIVERIES
ORDERED = previous.ORDERED
FLAG = previous.FLAG

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION transfers_check_delivered_totals(transfers bigint[], constraint_name text)
RETURNS void AS $$
DECLARE
    offending record;
BEGIN
    -- As transfers_check_delivered_total, for many lines: locked first (in id order), then
    -- summed with a snapshot taken after the locks, so that a concurrent writer's deliveries
    -- are either counted here or wait for this transaction.
    PERFORM 1 FROM transfers_transfer WHERE id = ANY(transfers) ORDER BY id FOR NO KEY UPDATE;
    SELECT t.id, t.quantity_ordered AS ordered, d.delivered INTO offending
        FROM transfers_transfer t
        CROSS JOIN LATERAL (
            SELECT COALESCE(SUM(quantity), 0) AS delivered FROM transfers_delivery WHERE transfer_id = t.id
        ) d
        WHERE t.id = ANY(transfers) AND t.quantity_ordered IS NOT NULL
            AND t.published_inconsistency IS DISTINCT FROM '{FLAG}' AND d.delivered > t.quantity_ordered
        ORDER BY t.id LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- The same words as transfers_check_delivered_total.
    IF constraint_name = '{DELIVERIES}' THEN
        RAISE EXCEPTION '%: Delivered total % would exceed the % ordered.', constraint_name, offending.delivered,
            offending.ordered USING ERRCODE = 'check_violation', CONSTRAINT = constraint_name;
    ELSE
        RAISE EXCEPTION '%: % are already recorded as delivered; the quantity ordered cannot be %.',
            constraint_name, offending.delivered, offending.ordered
            USING ERRCODE = 'check_violation', CONSTRAINT = constraint_name;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_deliveries_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM transfers_check_delivered_totals(
        ARRAY(SELECT DISTINCT transfer_id FROM transfers_checked_new WHERE transfer_id IS NOT NULL), '{DELIVERIES}'
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION transfers_transfers_inserted() RETURNS trigger AS $$
BEGIN
    PERFORM transfers_check_delivered_totals(ARRAY(SELECT id FROM transfers_checked_new), '{ORDERED}');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS {DELIVERIES} ON transfers_delivery;
CREATE TRIGGER {DELIVERIES} AFTER UPDATE OF quantity, transfer_id ON transfers_delivery
    FOR EACH ROW EXECUTE FUNCTION transfers_delivery_written();
CREATE TRIGGER {DELIVERIES}_insert AFTER INSERT ON transfers_delivery
    REFERENCING NEW TABLE AS transfers_checked_new
    FOR EACH STATEMENT EXECUTE FUNCTION transfers_deliveries_inserted();

DROP TRIGGER IF EXISTS {ORDERED} ON transfers_transfer;
CREATE TRIGGER {ORDERED} AFTER UPDATE OF quantity_ordered, published_inconsistency ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_ordered_written();
CREATE TRIGGER {ORDERED}_insert AFTER INSERT ON transfers_transfer
    REFERENCING NEW TABLE AS transfers_checked_new
    FOR EACH STATEMENT EXECUTE FUNCTION transfers_transfers_inserted();
"""

POSTGRESQL_BACKWARD = f"""
DROP TRIGGER IF EXISTS {DELIVERIES}_insert ON transfers_delivery;
DROP TRIGGER IF EXISTS {ORDERED}_insert ON transfers_transfer;
DROP TRIGGER IF EXISTS {DELIVERIES} ON transfers_delivery;
DROP TRIGGER IF EXISTS {ORDERED} ON transfers_transfer;
DROP FUNCTION IF EXISTS transfers_deliveries_inserted();
DROP FUNCTION IF EXISTS transfers_transfers_inserted();
DROP FUNCTION IF EXISTS transfers_check_delivered_totals(bigint[], text);
CREATE TRIGGER {DELIVERIES} AFTER INSERT OR UPDATE OF quantity, transfer_id ON transfers_delivery
    FOR EACH ROW EXECUTE FUNCTION transfers_delivery_written();
CREATE TRIGGER {ORDERED} AFTER INSERT OR UPDATE OF quantity_ordered, published_inconsistency ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_ordered_written();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Without parameters, so that RAISE's % placeholders reach PostgreSQL as written.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRESQL)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0080_yearly_totals")]
    operations = [migrations.RunPython(forward, backward)]
