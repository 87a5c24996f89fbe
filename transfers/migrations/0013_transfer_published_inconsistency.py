"""A transfer a register published with more delivered than ordered keeps its figures.

SIPRI publishes some deals that way (often "Number ordered" 0 with weapons
delivered). The import stores them as published and sets
`published_inconsistency`; the rule "delivered never above ordered" is then
exempt for that transfer in the database: the check constraint on the reported
total, and the triggers of migration 0011 (the same triggers, with the flag
read from the transfer row they already lock). Hand entry cannot set the flag
(it is not editable), and the models' clean() still refuses such figures.

The flag is written in the transfer's own INSERT or UPDATE, before its
deliveries; clearing it re-runs the check (the trigger also fires on it).
"""

import importlib

from django.db import migrations, models

previous = importlib.import_module("transfers.migrations.0011_delivered_not_above_ordered_trigger")

DELIVERIES = previous.DELIVERIES
ORDERED = previous.ORDERED
FLAG = "delivered-above-ordered"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION transfers_check_delivered_total(transfer bigint, constraint_name text)
RETURNS void AS $$
DECLARE
    ordered bigint;
    flag text;
    delivered bigint;
BEGIN
    SELECT quantity_ordered, published_inconsistency INTO ordered, flag
        FROM transfers_transfer WHERE id = transfer FOR NO KEY UPDATE;
    -- A register published these figures: kept as published (the row is flagged).
    IF ordered IS NULL OR flag = '{FLAG}' THEN
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

DROP TRIGGER IF EXISTS {ORDERED} ON transfers_transfer;
CREATE TRIGGER {ORDERED} AFTER INSERT OR UPDATE OF quantity_ordered, published_inconsistency ON transfers_transfer
    FOR EACH ROW EXECUTE FUNCTION transfers_ordered_written();
"""

POSTGRESQL_BACKWARD = f"""
DROP TRIGGER IF EXISTS {DELIVERIES} ON transfers_delivery;
DROP TRIGGER IF EXISTS {ORDERED} ON transfers_transfer;
{previous.POSTGRESQL}
"""


def _sqlite_check(transfer):
    return f"""{previous._sqlite_check(transfer)}
        AND (SELECT published_inconsistency FROM transfers_transfer WHERE id = {transfer}) <> '{FLAG}'"""


def _sqlite_trigger(name, event, table, transfer):
    message = f"{name}: the deliveries would add up to more than the quantity ordered."
    return f"""CREATE TRIGGER {name}_{event.split()[0].lower()} AFTER {event} ON {table}
        WHEN {_sqlite_check(transfer)}
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


SQLITE = [
    _sqlite_trigger(DELIVERIES, "INSERT", "transfers_delivery", "NEW.transfer_id"),
    _sqlite_trigger(DELIVERIES, "UPDATE OF quantity, transfer_id", "transfers_delivery", "NEW.transfer_id"),
    _sqlite_trigger(ORDERED, "INSERT", "transfers_transfer", "NEW.id"),
    _sqlite_trigger(ORDERED, "UPDATE OF quantity_ordered, published_inconsistency", "transfers_transfer", "NEW.id"),
]


def sqlite_drop(apps, schema_editor):
    # SQLite rebuilds the table to add a column or a constraint, which would drop the
    # transfer's triggers anyway: all four are dropped here and created again below.
    if schema_editor.connection.vendor == "sqlite":
        for statement in previous.SQLITE_DROP:
            schema_editor.execute(statement)


def sqlite_restore_previous(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in previous.SQLITE:
            schema_editor.execute(statement)


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
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_BACKWARD)
    elif vendor == "sqlite":
        for statement in previous.SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0012_cache_table")]

    operations = [
        migrations.RunPython(sqlite_drop, sqlite_restore_previous),
        migrations.AddField(
            model_name="transfer",
            name="published_inconsistency",
            field=models.CharField(
                blank=True,
                choices=[("delivered-above-ordered", "more delivered than ordered, as published")],
                default="",
                editable=False,
                help_text="Figures kept as the register published them, although they break a rule of hand entry.",
                max_length=30,
            ),
        ),
        migrations.AddField(
            model_name="historicaltransfer",
            name="published_inconsistency",
            field=models.CharField(
                blank=True,
                choices=[("delivered-above-ordered", "more delivered than ordered, as published")],
                default="",
                editable=False,
                help_text="Figures kept as the register published them, although they break a rule of hand entry.",
                max_length=30,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="transfer",
            name="transfer_reported_delivered_not_above_ordered",
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reported_delivered__isnull", True),
                    ("quantity_ordered__isnull", True),
                    ("reported_delivered__lte", models.F("quantity_ordered")),
                    ("published_inconsistency", "delivered-above-ordered"),
                    _connector="OR",
                ),
                name="transfer_reported_delivered_not_above_ordered",
                violation_error_message="The total delivered cannot exceed the quantity ordered.",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
