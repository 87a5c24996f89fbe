"""Change-history helpers shared by fixtures, imports, the admin and the API."""

import hashlib

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


_TYPES = {"+": "created", "~": "changed", "-": "deleted"}

# Through which channel a change came, read from the reason every writer records: the
# admin and the API by the request (history_reason_from_request), fixture loads and
# imports by their own reasons. Older entries without a reason: "other".
REQUEST_REASONS = {"/admin/": "admin", "/api/": "API"}
CHANNELS = {
    "admin": "admin",
    "API": "api",
    "fixture load": "fixture",
    "SIPRI import": "import",
    "ISO 3166-1 countries": "import",
    "demo data": "import",
    # A news article's source, its drafts, and what accepting a draft writes.
    "article ingested": "article",
    "drafted by the engine": "article",
    "accepted from article": "article",
}
CHANNEL_CHOICES = ["admin", "api", "fixture", "import", "article", "other"]


def history_channel(reason):
    for prefix, channel in CHANNELS.items():
        if reason and reason.startswith(prefix):
            return channel
    return "other"


def history_reason_from_request(request):
    """The default reason of a change made by this request: its channel."""
    path = getattr(request, "path", "") or ""
    for prefix, reason in REQUEST_REASONS.items():
        if path.startswith(prefix):
            return reason
    return None


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _related_names(records, fields):
    """(field, id) -> the related record's key (code, slug, reference), for readable diffs."""
    names = {}
    for field in fields:
        if not field.is_relation:
            continue
        ids = {getattr(record, field.attname) for record in records} - {None}
        if not ids:
            continue
        for related in field.related_model.objects.filter(pk__in=ids):
            key = related.natural_key()
            names[(field.name, related.pk)] = key[0] if len(key) == 1 else "/".join(str(k) for k in key)
    return names


def history_entries(*, instance, with_users=True):
    """The record's history, newest first, each entry with its field changes and channel.
    Without with_users, who made each change is left out (anonymous readers)."""
    records = list(instance.history.select_related("history_user").order_by("history_date", "history_id"))
    entries = []
    previous = None
    fields = list(type(instance).history.model.tracked_fields)
    related_names = _related_names(records, fields)
    for record in records:
        changes = []
        for field in fields:
            new = getattr(record, field.attname)
            old = getattr(previous, field.attname) if previous is not None else None
            if previous is None and record.history_type != "+":
                old = None
            if previous is None or old != new:
                if previous is None and new in (None, "", [], False) and record.history_type == "+":
                    continue
                if field.is_relation:
                    old = related_names.get((field.name, old), old)
                    new = related_names.get((field.name, new), new)
                changes.append({"field": field.name, "old": _plain(old), "new": _plain(new)})
        entries.append(
            {
                "history_id": record.history_id,
                "date": record.history_date,
                "type": _TYPES.get(record.history_type, record.history_type),
                "user": record.history_user.get_username() if with_users and record.history_user else None,
                "channel": history_channel(record.history_change_reason),
                "reason": record.history_change_reason,
                "changes": changes,
            }
        )
        previous = record
    entries.reverse()
    return entries


def record_version(*, model, pk, lock=False):
    """A short hash of a record's current values: what optimistic locking compares, in
    the admin (a hidden form field) and the API (the ETag). None: no such record."""
    manager = model._default_manager.select_for_update() if lock else model._default_manager
    instance = manager.filter(pk=pk).first()
    return None if instance is None else record_version_of(instance=instance)


def record_version_of(*, instance):
    """record_version of a record already read."""
    values = history_tracked_values(instance=instance)
    text = "|".join(f"{name}={values[name]!r}" for name in sorted(values))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
