"""Change-history helpers shared by fixtures, imports, the admin and the API."""

from django.utils import timezone


def history_tracked_values(*, instance):
    history_model = type(instance).history.model
    return {field.attname: getattr(instance, field.attname) for field in history_model.tracked_fields}


def history_record_raw_save(*, instance, created, using=None, reason="fixture load"):
    """Record a save that django-simple-history skipped (a raw save from loaddata).

    Nothing is recorded when the values equal those of the latest entry, so an
    unchanged reload leaves the history as it was.
    """
    history_model = type(instance).history.model
    values = history_tracked_values(instance=instance)
    latest = (
        history_model.objects.using(using)
        .filter(**{instance._meta.pk.attname: instance.pk})
        .order_by("-history_date", "-history_id")
        .values(*values)
        .first()
    )
    if latest == values:
        return None
    entry = history_model(
        history_date=timezone.now(),
        history_type="+" if latest is None else "~",
        history_user=None,
        history_change_reason=reason,
        **values,
    )
    entry.save(using=using)
    return entry
