from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("transfers", "0023_claim_assertion_index")]

    operations = [
        migrations.CreateModel(
            name="RateCount",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                (
                    "window_end",
                    models.BigIntegerField(help_text="When the window closes, in seconds since the epoch."),
                ),
                ("hits", models.PositiveIntegerField()),
            ],
        ),
    ]
