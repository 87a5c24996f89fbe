"""Operations that migrations share: kept stable, as a migration's meaning must not change."""

from django.db import migrations


def vendor_sql(*, postgresql, postgresql_drop, sqlite=(), sqlite_drop=()):
    """A RunPython that runs each database's own SQL, forward and back: PostgreSQL's as one
    string without parameters (so that RAISE's % placeholders reach it as written),
    SQLite's a statement at a time (its driver runs one per call)."""

    def run(schema_editor, pg, lite):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(pg)
        elif vendor == "sqlite":
            for statement in lite:
                schema_editor.execute(statement)

    def forward(apps, schema_editor):
        run(schema_editor, postgresql, sqlite)

    def backward(apps, schema_editor):
        run(schema_editor, postgresql_drop, sqlite_drop)

    return migrations.RunPython(forward, backward)
