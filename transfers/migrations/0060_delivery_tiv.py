"""A delivery's own SIPRI TIV (#13 item 5): the by-delivery-year export publishes the TIV
delivered each year ("TIV delivery values"), which is not the year's number times the
rounded "TIV deal unit"; the summary by delivery year places it as published.

SQLite rebuilds the delivery table to add the check constraint, which would drop the
triggers of migrations 0011/0013: they are dropped first and created again after, as
0013 does.
"""

import importlib

import django.core.validators
from django.db import migrations, models

published = importlib.import_module("transfers.migrations.0013_transfer_published_inconsistency")
triggers = importlib.import_module("transfers.migrations.0011_delivered_not_above_ordered_trigger")


def sqlite_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in triggers.SQLITE_DROP:
            schema_editor.execute(statement)


def sqlite_create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in published.SQLITE:
            schema_editor.execute(statement)


FIELD = dict(
    blank=True,
    decimal_places=3,
    help_text="SIPRI trend-indicator value (millions, not money) of what was delivered, as a register publishes "
    "it per delivery year; empty: the quantity times the line's TIV per unit.",
    max_digits=14,
    null=True,
    validators=[django.core.validators.MinValueValidator(0)],
    verbose_name="SIPRI TIV of this delivery",
)


class Migration(migrations.Migration):
    dependencies = [("transfers", "0030_rate_count")]

    operations = [
        migrations.RunPython(sqlite_drop, sqlite_create),
        migrations.AddField(model_name="delivery", name="tiv", field=models.DecimalField(**FIELD)),
        migrations.AddField(model_name="historicaldelivery", name="tiv", field=models.DecimalField(**FIELD)),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("tiv__isnull", True), ("tiv__gte", 0), _connector="OR"),
                name="delivery_tiv_not_negative",
                violation_error_message="TIV values cannot be negative.",
            ),
        ),
        migrations.RunPython(sqlite_create, sqlite_drop),
    ]
