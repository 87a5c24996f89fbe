"""Trigram indexes for `search` on PostgreSQL (pg_trgm); SQLite needs none."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS transfer_comments_trgm ON transfers_transfer USING gin (upper(comments) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS system_designation_trgm ON transfers_weaponsystem "
    "USING gin (upper(designation) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS actor_name_trgm ON transfers_actor USING gin (upper(name) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS transfer_comments_trgm",
    "DROP INDEX IF EXISTS system_designation_trgm",
    "DROP INDEX IF EXISTS actor_name_trgm",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0004_query_indexes")]
    operations = [migrations.RunPython(forward, backward)]
