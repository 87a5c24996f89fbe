"""The cache table (rate-limit counters, cached counts) of settings.CACHES, so that
`migrate` is all a new database needs. Nothing to do when the cache is Redis."""

from django.core.management import call_command
from django.db import migrations


def forward(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0011_delivered_not_above_ordered_trigger")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
