"""The cached columns of Transfer are named as such: `cached_supplier`, `cached_order_date`,
`cached_delivered_sum`... (issue #18). They looked like the line's own fields; they are
copies kept by transfers.cache from Transfer.COPIES (and the deliveries' sum).

Column renames leave the text of PostgreSQL's plpgsql functions as it was: the yearly
totals' marking triggers (transfers.totals.maintain, which name the copied parties, order
date and kind) are dropped before the renames and installed again after them, with the
new names. SQLite rewrites a trigger's text on a column rename but first checks every
trigger against the table: the totals' triggers a fresh database got from 0080 (written
with the new names by the code of today) would fail that check, so they are dropped
first there too. The partial indexes keep their names and follow the renamed columns in
both databases (an index refers to a column, not to its name): only their state changes.
"""

from django.db import migrations, models

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


class Migration(migrations.Migration):
    dependencies = [("transfers", "0082_contract_search_trigram")]

    operations = [
        migrations.RunPython(drop_totals_triggers, migrations.RunPython.noop),
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
