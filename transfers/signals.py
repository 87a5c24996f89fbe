"""History for fixture loads.

django-simple-history skips raw saves (loaddata), but the design keeps the
history of every change, fixtures included. A reload that changes nothing
adds no entry, so loading a fixture twice leaves the history as it was.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .history import history_record_raw_save


@receiver(post_save)
def record_raw_save(sender, instance, created, raw=False, using=None, **kwargs):
    if raw and sender._meta.app_label == "transfers" and hasattr(sender, "history"):
        history_record_raw_save(instance=instance, created=created, using=using)
