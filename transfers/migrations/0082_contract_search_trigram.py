"""Trigram indexes for deals' `search` on reference and title on PostgreSQL (pg_trgm), as
claims have (0010): the reading room's search and /api/contracts/?search= scanned every
contract (200 ms at 800,000 deals) for a word no deal has. SQLite needs none."""

from django.db import migrations

INDEXES = {
    "contract_reference_trgm": "upper(reference)",
    "contract_title_trgm": "upper(title)",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON transfers_contract USING gin ({expression} gin_trgm_ops)"
            )
        # Statistics on the indexed expressions: without them the planner takes a search
        # with a LIMIT for a quick find and scans every deal instead.
        schema_editor.execute("ANALYZE transfers_contract")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("transfers", "0081_delivered_check_per_statement")]
    operations = [migrations.RunPython(forward, backward)]
