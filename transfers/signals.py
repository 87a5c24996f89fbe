"""History for raw saves (fixture loads).

django-simple-history skips raw saves, but the design keeps the history of every
change, fixtures included. Our loaddata records them itself once the whole
fixture is in (so that history rows carried by the fixture count); this hook
covers raw saves made any other way.
"""

import contextvars

from django.db.models.signals import post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .history import history_reason_from_request, history_record_raw_save

raw_history_suspended = contextvars.ContextVar("raw_history_suspended", default=False)


@receiver(post_save)
def record_raw_save(sender, instance, created, raw=False, using=None, **kwargs):
    if raw and not raw_history_suspended.get() and sender._meta.app_label == "transfers" and hasattr(sender, "history"):
        history_record_raw_save(instance=instance, created=created, using=using)


@receiver(pre_create_historical_record)
def record_channel(sender, history_instance, **kwargs):
    # A change made through the admin or the API says so (imports and fixtures give
    # their own reasons), so the history can name its channel without naming the editor.
    if not history_instance.history_change_reason:
        request = getattr(HistoricalRecords.context, "request", None)
        history_instance.history_change_reason = history_reason_from_request(request)
