"""Trigram indexes for claims' `search` on PostgreSQL (pg_trgm); SQLite needs none."""

from django.db import migrations

INDEXES = {
    "claim_summary_trgm": "upper(summary)",
    "claim_quote_trgm": "upper(quote)",
    "claim_speaker_role_trgm": "upper(speaker_role)",
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON transfers_claim USING gin ({expression} gin_trgm_ops)"
            )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("transfers", "0009_claim_source_index")]
    operations = [migrations.RunPython(forward, backward)]
