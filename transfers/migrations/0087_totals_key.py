"""The totals get keys, and their marks the transaction that wrote them.

- yearlytotal_key, systemtotal_key: one row per key (as every refresh has kept them). An
  import adds its new deals' totals to the rows of their keys (ON CONFLICT needs a unique
  index); the keys lead with the columns of yearlytotal_pair_year and systemtotal_system,
  which go.
- xact on both tables of marks (PostgreSQL): the transaction a mark was written in, by
  default, so that an import's batch can take back the marks of the rows whose totals it
  added itself. The triggers name only the marks' own columns; no model field names it.
- Both totals tables leave 30% of each page free (PostgreSQL): adding to a row writes its new
  version beside the old one without touching the indexes (a heap-only update), 40% of the
  time of an import into a million. Pages written from now on (a rebuild rewrites them all).
"""

import django.db.models.functions.comparison
from django.db import migrations, models


MARKS = ["transfers_totalsdirty", "transfers_systemtotaldirty"]
TOTALS = ["transfers_yearlytotal", "transfers_systemtotal"]


def add_xact(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in MARKS:
            schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN xact bigint NOT NULL DEFAULT txid_current()")
        for table in TOTALS:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def drop_xact(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in MARKS:
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN xact")
        for table in TOTALS:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0086_lean_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='systemtotal',
            name='systemtotal_system',
        ),
        migrations.RemoveIndex(
            model_name='yearlytotal',
            name='yearlytotal_pair_year',
        ),
        migrations.AddConstraint(
            model_name='systemtotal',
            constraint=models.UniqueConstraint(fields=('system_id', 'grain', 'kind', 'supplier_id', 'category', 'absent', 'currency'), name='systemtotal_key', violation_error_message="The systems' totals hold one row per system, grain, kind, supplier, category, absence and currency."),
        ),
        migrations.AddConstraint(
            model_name='yearlytotal',
            constraint=models.UniqueConstraint(models.F('grain'), models.F('supplier_id'), models.F('recipient_id'), models.F('order_year'), models.F('category'), models.F('kind'), models.F('absent'), django.db.models.functions.comparison.Coalesce('delivery_year', models.Value(-1)), models.F('currency'), name='yearlytotal_key', violation_error_message='The totals hold one row per grain, cell, kind, delivery year and currency.'),
        ),
        migrations.RunPython(add_xact, drop_xact, elidable=False),
    ]
