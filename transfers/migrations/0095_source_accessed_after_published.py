import django.db.models.functions.datetime
from django.db import migrations, models
from django.utils import timezone

ACCESSED_AFTER_PUBLISHED = models.CheckConstraint(
    condition=models.Q(
        ("accessed_date__isnull", True),
        ("published_date__isnull", True),
        (
            "accessed_date__gte",
            models.Case(
                models.When(
                    published_date_precision="year",
                    then=django.db.models.functions.datetime.TruncYear("published_date"),
                ),
                models.When(
                    published_date_precision="month",
                    then=django.db.models.functions.datetime.TruncMonth("published_date"),
                ),
                default=models.F("published_date"),
                output_field=models.DateField(),
            ),
        ),
        _connector="OR",
    ),
    name="source_accessed_after_published",
    violation_error_message=(
        "The accessed date is before the published date: a source cannot be read before it appears."
    ),
)


REASON = "migration 0095: accessed date before the published date moved to the notes"


def move_impossible_accessed_dates(apps, schema_editor):
    """A source recorded as accessed before it was published keeps that date in its notes
    (one of the two dates was mistyped; which one, an editor decides), so the rule can hold.
    Each is listed and has a history entry."""
    Source = apps.get_model("transfers", "Source")
    HistoricalSource = apps.get_model("transfers", "HistoricalSource")
    impossible = list(Source.objects.filter(~ACCESSED_AFTER_PUBLISHED.condition).order_by("pk"))
    if not impossible:
        return
    now = timezone.now()
    fields = [field.attname for field in Source._meta.concrete_fields]
    for source in impossible:
        note = f"Accessed date {source.accessed_date.isoformat()} removed: it was before the published date."
        source.notes = f"{source.notes}\n\n{note}" if source.notes else note
        source.accessed_date = None
    Source.objects.bulk_update(impossible, ["notes", "accessed_date"])
    HistoricalSource.objects.bulk_create(
        [
            HistoricalSource(
                **{name: getattr(source, name) for name in fields},
                history_date=now,
                history_type="~",
                history_change_reason=REASON,
            )
            for source in impossible
        ]
    )
    print(f"\n  {len(impossible)} source(s) accessed before their published date; the date is now in their notes:")
    for source in impossible:
        print(f"    source {source.key} (id {source.pk}), published {source.published_date.isoformat()}")


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0094_lines_from_one"),
    ]

    operations = [
        migrations.RunPython(move_impossible_accessed_dates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(model_name="source", constraint=ACCESSED_AFTER_PUBLISHED),
    ]
