"""Sort keys on the register's rows: the parties' codes and the system's designation
(Transfer.COPIES, kept by transfers/cache.py), filled here, then indexed (partial, on the
register's arms lines) so that ordering by supplier, recipient or system reads an index."""

from django.db import migrations, models

FILL = """
UPDATE transfers_transfer SET
    supplier_code = (SELECT code FROM transfers_actor WHERE id = transfers_transfer.supplier_id),
    recipient_code = (SELECT code FROM transfers_actor WHERE id = transfers_transfer.recipient_id),
    system_designation = (SELECT designation FROM transfers_weaponsystem WHERE id = transfers_transfer.system_id)
"""


class Migration(migrations.Migration):
    dependencies = [("transfers", "0050_data_version")]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="supplier_code",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="transfer",
            name="recipient_code",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="transfer",
            name="system_designation",
            field=models.CharField(editable=False, max_length=200, null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("is_arms", True)), fields=["supplier_code", "id"], name="register_by_supplier"
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("is_arms", True)), fields=["recipient_code", "id"], name="register_by_recipient"
            ),
        ),
        migrations.AddIndex(
            model_name="transfer",
            index=models.Index(
                condition=models.Q(("is_arms", True)), fields=["system_designation", "id"], name="register_by_system"
            ),
        ),
    ]
