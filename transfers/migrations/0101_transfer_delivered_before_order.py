"""Each line keeps whether a delivery is dated before its deal's order (transfers.cache), so
that the register's `delivered_before_order` filter reads an index of the few that are."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

from transfers.selectors import delivery_before_order_q


def mark(apps, schema_editor):
    # Only the lines that have one: the others keep null (none), as a new line does.
    Transfer = apps.get_model("transfers", "Transfer")
    Delivery = apps.get_model("transfers", "Delivery")
    early = Delivery._base_manager.filter(delivery_before_order_q(), transfer=OuterRef("pk"))
    Transfer._base_manager.filter(Exists(early)).update(cached_delivered_before_order=True)


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0100_value_digits_kept_on_sqlite"),
    ]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="cached_delivered_before_order",
            field=models.BooleanField(editable=False, null=True),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("cached_delivered_before_order", True)),
                fields=["cached_order_date", "id"],
                name="register_before_order",
            ),
        ),
    ]
