"""Lines and deliveries are numbered from 1 (a 0 was accepted by the API, the admin and the
database)."""

import django.core.validators
from django.db import migrations, models
from django.db.models import Max


def renumber_zero_lines(apps, schema_editor):
    """A line or delivery numbered 0 (accepted before) takes its parent's next number."""
    db = schema_editor.connection.alias
    for model, parent in (("Transfer", "contract_id"), ("Delivery", "transfer_id")):
        rows = apps.get_model("transfers", model)._base_manager.using(db)
        for row in rows.filter(line=0).order_by("pk"):
            last = rows.filter(**{parent: getattr(row, parent)}).aggregate(m=Max("line"))["m"]
            rows.filter(pk=row.pk).update(line=last + 1)


# SQLite cannot add a check to a table; Django would rebuild the transfer and delivery
# tables, which drops their triggers (the change feed's, the totals', the delivered
# checks'). There a trigger refuses 0 instead, named as the check is (the API's 400 reads
# the name: transfers.api.exceptions.database_refusal); a later rebuild of either table
# writes the check itself.
def _sqlite_triggers(table, name, message):
    return [
        f"""CREATE TRIGGER {name}_{event.split()[0].lower()} BEFORE {event} ON {table}
        WHEN NEW.line IS NOT NULL AND NEW.line < 1
        BEGIN SELECT RAISE(ABORT, '{name}: {message}'); END"""
        for event in ("INSERT", "UPDATE OF line")
    ]


CHECKS = [
    ("transfer", "transfers_transfer", "transfer_line_from_one", "Line numbers start at 1."),
    ("delivery", "transfers_delivery", "delivery_line_from_one", "Delivery numbers start at 1."),
]


def _check(name, message):
    return models.CheckConstraint(
        condition=models.Q(("line__isnull", True), ("line__gte", 1), _connector="OR"),
        name=name,
        violation_error_message=message,
    )


def add_checks(apps, schema_editor):
    for model, table, name, message in CHECKS:
        if schema_editor.connection.vendor == "sqlite":
            for statement in _sqlite_triggers(table, name, message):
                schema_editor.execute(statement)
        else:
            schema_editor.add_constraint(apps.get_model("transfers", model), _check(name, message))


def remove_checks(apps, schema_editor):
    for model, _table, name, message in CHECKS:
        if schema_editor.connection.vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER {name}_{event}")
        else:
            schema_editor.remove_constraint(apps.get_model("transfers", model), _check(name, message))


def _line(help_text):
    return models.PositiveSmallIntegerField(
        blank=True,
        help_text=help_text,
        null=True,
        validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(32767)],
    )


LINES = {
    "transfer": "Line number within the contract, from 1; assigned when left empty.",
    "delivery": "From 1; assigned when left empty.",
}


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0093_names_lists"),
    ]

    operations = [
        migrations.RunPython(renumber_zero_lines, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(model_name=model, constraint=_check(name, message))
                for model, _table, name, message in CHECKS
            ],
            database_operations=[migrations.RunPython(add_checks, remove_checks)],
        ),
        *(
            migrations.AlterField(model_name=prefix + model, name="line", field=_line(help_text))
            for model, help_text in LINES.items()
            for prefix in ("", "historical")
        ),
    ]
