"""The cached columns of Transfer are named as such: `cached_supplier`, `cached_order_date`,
`cached_delivered_sum`... (issue #18). They looked like the line's own fields; they are
copies kept by transfers.cache from Transfer.COPIES (and the deliveries' sum).

Column renames leave the text of PostgreSQL's plpgsql functions as it was: the yearly
totals' marking triggers (transfers.totals.maintain, which read the copied parties, order
date and kind) are dropped before the renames and installed again after them, with the
new names (0080 installs them with the names of its time; backwards, they are installed
with those again). SQLite would rewrite them itself, but checks every trigger against the
table first: dropping them first keeps a trigger written for other names from failing the
rename. The partial indexes keep their names and follow the renamed columns in both
databases (an index refers to a column, not to its name): only their state changes.
"""

import importlib

from django.db import migrations, models

# The columns' names before this migration, as 0080 installed the totals' triggers with them.
BEFORE = importlib.import_module("transfers.migrations.0080_yearly_totals").TRANSFER_COLUMNS

RENAMED = (
    "is_arms",
    "supplier",
    "recipient",
    "order_date",
    "category",
    "delivered_sum",
    "contract_value_amount",
    "contract_value_currency",
    "absent_from",
    "supplier_code",
    "recipient_code",
    "system_designation",
)

# The register's partial indexes (Transfer.Meta.indexes), on the renamed columns.
INDEXES = {
    "register_parties": ["cached_supplier", "cached_recipient", "cached_order_date"],
    "register_supplier_cat": ["cached_supplier", "cached_category", "cached_order_date"],
    "register_recipient": ["cached_recipient", "cached_order_date"],
    "register_category": ["cached_category", "cached_order_date"],
    "register_order_date": ["cached_order_date", "id"],
    "register_system": ["system", "cached_order_date"],
    "register_by_supplier": ["cached_supplier_code", "id"],
    "register_by_recipient": ["cached_recipient_code", "id"],
    "register_by_system": ["cached_system_designation", "id"],
}


def drop_totals_triggers(apps, schema_editor):
    from transfers.totals import maintain

    maintain.uninstall(schema_editor.connection)


def install_totals_triggers(apps, schema_editor):
    from transfers.totals import maintain

    maintain.install(schema_editor.connection)


def install_totals_triggers_before(apps, schema_editor):
    from transfers.totals import maintain

    maintain.install(schema_editor.connection, columns=BEFORE)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0082_contract_search_trigram")]

    operations = [
        migrations.RunPython(drop_totals_triggers, install_totals_triggers_before),
        *(migrations.RenameField("transfer", name, f"cached_{name}") for name in RENAMED),
        # The indexes followed their columns in the database; the state learns their new fields.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(migrations.RemoveIndex("transfer", name) for name in INDEXES),
                *(
                    migrations.AddIndex(
                        "transfer",
                        models.Index(fields=fields, name=name, condition=models.Q(cached_is_arms=True)),
                    )
                    for name, fields in INDEXES.items()
                ),
            ]
        ),
        migrations.RunPython(install_totals_triggers, drop_totals_triggers),
    ]
