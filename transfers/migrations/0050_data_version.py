"""The data version (transfers.data_version): its one-row table and the triggers that bump
it on every write to the tracked tables. `migrate` installs the triggers again afterwards
(post_migrate), on the tables of the final state, so later migrations need not."""

from django.db import migrations, models


def install(apps, schema_editor):
    from transfers import data_version

    data_version.install(schema_editor.connection, data_version.tracked_tables(apps))


def uninstall(apps, schema_editor):
    from transfers import data_version

    data_version.uninstall(schema_editor.connection, data_version.tracked_tables(apps))


class Migration(migrations.Migration):
    dependencies = [("transfers", "0030_rate_count")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
