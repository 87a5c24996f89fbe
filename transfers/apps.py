from django.apps import AppConfig


class TransfersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "transfers"
    verbose_name = "Arms transfers"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import cache, data_version, evidence, signals  # noqa: F401

        post_migrate.connect(data_version.ensure_after_migrate, sender=self, dispatch_uid="transfers-data-version")
        post_migrate.connect(_change_feed_triggers, sender=self, dispatch_uid="transfers-change-feed")

        from .totals import maintain as totals

        totals.connect_signals()

        # Every admin module is imported by now (django.contrib.admin's ready() runs first).
        from django.contrib import admin

        from .admin.base import changelists_checked

        changelists_checked(admin.site)
        post_migrate.connect(totals.ensure_after_migrate, sender=self, dispatch_uid="transfers-totals")


def _change_feed_triggers(sender, using="default", **kwargs):
    # After every migrate: the change feed's triggers on the history tables (transfers.changes).
    from .changes import change_feed_triggers_ensure

    change_feed_triggers_ensure(using=using)
