"""Indexes nobody reads, dropped: they cost every write and a tenth of a SIPRI import.

- The historical tables kept a copy of every index of their models (transfers.models.base.History).
- Seven foreign keys had an index of their own beside a composite index that leads with them.
- A claim's statement key had two beside claim_statement, the non-empty keys.

Django would drop and re-add each foreign key's constraint to drop its index, checking every
row again under a lock: the constraints stay, only the indexes go.
"""

import django.core.validators
import django.db.models.deletion
import transfers.models.base
from django.conf import settings
from django.db import migrations, models


# (model, foreign key) whose own index goes.
KEYS = [
    ("claim", "source"),
    ("contract", "recipient"),
    ("contract", "supplier"),
    ("delivery", "transfer"),
    ("releasedeal", "contract"),
    ("releasedeal", "release"),
    ("transfer", "contract"),
]


def _keys(apps, schema_editor):
    for model_name, field_name in KEYS:
        model = apps.get_model("transfers", model_name)
        yield model, model._meta.get_field(field_name)


def drop_indexes(apps, schema_editor):
    for model, field in _keys(apps, schema_editor):
        # The index on exactly this column, as Django's own AlterField finds it.
        for name in schema_editor._constraint_names(model, [field.column], index=True, type_=models.Index.suffix):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_indexes(apps, schema_editor):
    for model, field in _keys(apps, schema_editor):
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0085_system_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="claim",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="claims",
                        to="transfers.source",
                    ),
                ),
                migrations.AlterField(
                    model_name="contract",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts_received",
                        to="transfers.actor",
                    ),
                ),
                migrations.AlterField(
                    model_name="contract",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts_supplied",
                        to="transfers.actor",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="transfer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="transfers.transfer",
                    ),
                ),
                migrations.AlterField(
                    model_name="releasedeal",
                    name="contract",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="release_deals",
                        to="transfers.contract",
                    ),
                ),
                migrations.AlterField(
                    model_name="releasedeal",
                    name="release",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="snapshot",
                        to="transfers.release",
                    ),
                ),
                migrations.AlterField(
                    model_name="transfer",
                    name="contract",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transfers",
                        to="transfers.contract",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
        migrations.AlterField(
            model_name="claim",
            name="statement",
            field=models.SlugField(
                blank=True,
                db_index=False,
                help_text="Claims with the same statement key are one statement (one quote, one speaker, one source) with several facts, e.g. '$1bn, and not completed'.",
                max_length=100,
            ),
        ),
        migrations.AlterField(
            model_name="historicalactor",
            name="code",
            field=models.CharField(
                help_text="ISO 3166-1 alpha-3 for states (RUS, IRN); a stable slug for everything else.",
                max_length=64,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                        "Use letters, digits, '-', '_' or '.', starting with a letter or digit.",
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="historicalactor",
            name="kind",
            field=models.CharField(
                choices=[
                    ("state", "state"),
                    ("historical-state", "historical state"),
                    ("organisation", "international organisation"),
                    ("non-state", "non-state armed group"),
                    ("company", "company"),
                    ("government-body", "government body"),
                    ("unknown", "unknown party"),
                    ("other", "other"),
                ],
                default="state",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalactor",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="historicalactor",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The state a ministry or company belongs to.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalarticle",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicalarticle",
            name="source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.source",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The actor the claim is about (not the speaker).",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="cites",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The source this one relies on, e.g. the outlet a media report cites.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.source",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.contract",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="delivery",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.delivery",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="key",
            field=models.SlugField(db_index=False, default=transfers.models.base.new_key, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.source",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="speaker",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="Empty when the speaker is unnamed.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.person",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="speaker_actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text="The actor the speaker speaks for.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="stance",
            field=models.CharField(
                choices=[
                    ("asserts", "asserts"),
                    ("confirms", "confirms"),
                    ("denies", "denies"),
                    ("criticises", "criticises"),
                    ("defends", "defends"),
                    ("comments", "comments"),
                ],
                default="asserts",
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="statement",
            field=models.SlugField(
                blank=True,
                db_index=False,
                help_text="Claims with the same statement key are one statement (one quote, one speaker, one source) with several facts, e.g. '$1bn, and not completed'.",
                max_length=100,
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="system",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.weaponsystem",
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="transfer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="absent_from",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                help_text="The release of the register that no longer contains this deal.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.release",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="kind",
            field=models.CharField(
                choices=[
                    ("arms", "arms transfer"),
                    ("non-arms", "not an arms transfer (kept out of arms listings and totals)"),
                ],
                default="arms",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="recipient",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="reference",
            field=models.SlugField(db_index=False, help_text="A stable reference for the deal.", max_length=100),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="sipri_deal_id",
            field=models.CharField(blank=True, max_length=40, null=True),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="status",
            field=models.CharField(
                choices=[
                    ("reported", "reported"),
                    ("negotiating", "negotiating"),
                    ("signed", "signed"),
                    ("delivering", "delivering"),
                    ("completed", "completed"),
                    ("cancelled", "cancelled"),
                ],
                default="reported",
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="supplier",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldelivery",
            name="transfer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="article",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.article",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="claim",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.claim",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.contract",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="delivery",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.delivery",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="speaker",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.person",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="speaker_actor",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="status",
            field=models.CharField(
                choices=[("pending", "pending"), ("accepted", "accepted"), ("rejected", "rejected")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="system",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.weaponsystem",
            ),
        ),
        migrations.AlterField(
            model_name="historicaldraft",
            name="transfer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.transfer",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="affiliation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="slug",
            field=models.SlugField(db_index=False, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="key",
            field=models.SlugField(db_index=False, default=transfers.models.base.new_key, max_length=100),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="kind",
            field=models.CharField(
                choices=[
                    ("news-report", "news report"),
                    ("official-statement", "official statement"),
                    ("government-report", "government report"),
                    ("register", "register or dataset"),
                    ("other", "other"),
                ],
                default="news-report",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicaltransfer",
            name="condition",
            field=models.CharField(
                choices=[
                    ("new", "new"),
                    ("second-hand", "second-hand"),
                    ("second-hand-modernised", "second-hand, modernised"),
                ],
                default="new",
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="historicaltransfer",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.contract",
            ),
        ),
        migrations.AlterField(
            model_name="historicaltransfer",
            name="system",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.weaponsystem",
            ),
        ),
        migrations.AlterField(
            model_name="historicalweaponsystem",
            name="category",
            field=models.CharField(
                choices=[
                    ("aircraft", "aircraft"),
                    ("air-defence", "air-defence systems"),
                    ("anti-submarine", "anti-submarine warfare weapons"),
                    ("armoured-vehicles", "armoured vehicles"),
                    ("artillery", "artillery"),
                    ("engines", "engines"),
                    ("missiles", "missiles"),
                    ("naval-weapons", "naval weapons"),
                    ("satellites", "satellites"),
                    ("sensors", "sensors"),
                    ("ships", "ships"),
                    ("other", "other"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalweaponsystem",
            name="designation",
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="historicalweaponsystem",
            name="origin",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalweaponsystem",
            name="producer",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="transfers.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalweaponsystem",
            name="slug",
            field=models.SlugField(db_index=False, max_length=200),
        ),
    ]
