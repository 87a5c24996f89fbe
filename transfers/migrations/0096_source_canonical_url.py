"""Source URLs in their canonical form (scheme and host in lower case, no default port), so
that `HTTP://EXAMPLE.com/a` is the source already recorded at `http://example.com/a`."""

from django.db import migrations

import transfers.models.base


def canonical_urls(apps, schema_editor):
    """Each stored URL rewritten in its canonical form (the same URL, so no history entry),
    unless another source already has that form: then both are listed, for an editor to
    merge, and the later one is left as written (saving it again will say it is a duplicate)."""
    Source = apps.get_model("transfers", "Source")
    duplicates = []
    for pk, key, url in Source.objects.exclude(url="").order_by("pk").values_list("pk", "key", "url").iterator():
        canonical = transfers.models.base.canonical_url(url)
        if canonical == url:
            continue
        taken = Source.objects.filter(url=canonical).exclude(pk=pk).values_list("key", flat=True).first()
        if taken is None:
            Source.objects.filter(pk=pk).update(url=canonical)
        else:
            duplicates.append((key, pk, url, taken))
    if duplicates:
        print(f"\n  {len(duplicates)} source(s) with the URL of another, written differently (merge them):")
        for key, pk, url, taken in duplicates:
            print(f"    source {key} (id {pk}) at {url} is source {taken}")


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0095_source_accessed_after_published"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalsource",
            name="url",
            field=transfers.models.base.CanonicalURLField(blank=True, max_length=1000),
        ),
        migrations.AlterField(
            model_name="source",
            name="url",
            field=transfers.models.base.CanonicalURLField(blank=True, max_length=1000),
        ),
        migrations.RunPython(canonical_urls, migrations.RunPython.noop, elidable=True),
    ]
