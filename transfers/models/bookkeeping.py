"""The app's bookkeeping tables: the change feed, the data version for HTTP caching."""

from django.db import models

# --- The change feed ------------------------------------------------------------------------


class Change(models.Model):
    """One history entry of any record, in the order the change feed serves them
    (/api/changes/). Written by database triggers on every history table (migration
    0033), so bulk writers that COPY their history are fed too. `txid` is the writing
    transaction's id on PostgreSQL (0 on SQLite, whose writes are serialised): the feed
    serves only changes of transactions older than any still in progress, in (txid, id)
    order, so a change whose transaction commits late is never skipped."""

    record_type = models.CharField(max_length=30, help_text="The model: actor, contract, transfer...")
    history_id = models.BigIntegerField(help_text="The entry in that model's history table.")
    txid = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["txid", "id"], name="change_feed_order")]

    def __str__(self):
        return f"{self.record_type} history {self.history_id}"


# --- HTTP caching ---------------------------------------------------------------------


class DataVersion(models.Model):
    """One row: a number that changes in the same transaction as every write to the
    tracked tables (every table of this app but the bookkeeping ones), bumped by
    database triggers (transfers.data_version), so that imports, fixtures, the admin and
    raw SQL bump it as the API does. GET validators (ETags) are made from it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"data version {self.version}"
