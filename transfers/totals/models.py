"""The yearly totals' tables (transfers.totals.maintain keeps them; selectors read them)."""

from django.db import models


class YearlyTotal(models.Model):
    """One pre-aggregated part of the summary for one cell: the arms transfers of one
    (supplier, recipient, category, order year, absent_from) and, for the `*_YEAR` kinds,
    one delivery year. Kinds (what a row holds):

    - LINES: transfers, quantities ordered and delivered, TIV delivered and ordered;
    - YEAR: transfers with a delivery in that year, the quantity delivered in it, the TIV
      placed in it (selectors._tiv_by_delivery_year);
    - UNPLACED: what the lines' TIV delivered leaves unplaced, and the lines concerned;
    - VALUE, VALUE_CATEGORY, VALUE_YEAR, VALUE_CATEGORY_YEAR: the values (per currency) of
      the distinct deals of the cell (with a line in the category; with a delivery in the
      year). A deal is in one (supplier, recipient, order year, absent) cell only, so these
      add up over those; not over categories, hence the kinds with and without one.

    Amounts are integers (TIV in thousandths, values in cents): sums are exact on SQLite too.
    Ids without foreign keys: a total is rebuilt, never cascaded.
    """

    class Kind(models.IntegerChoices):
        LINES = 0
        YEAR = 1
        UNPLACED = 2
        VALUE = 3
        VALUE_CATEGORY = 4
        VALUE_YEAR = 5
        VALUE_CATEGORY_YEAR = 6

    kind = models.SmallIntegerField(choices=Kind.choices)
    supplier_id = models.BigIntegerField(null=True)
    recipient_id = models.BigIntegerField(null=True)
    category = models.CharField(max_length=20, blank=True)
    order_year = models.IntegerField(null=True)
    absent_from_id = models.BigIntegerField(null=True)
    delivery_year = models.IntegerField(null=True)
    currency = models.CharField(max_length=3, blank=True)
    transfers = models.BigIntegerField(null=True)
    quantity_ordered = models.BigIntegerField(null=True)
    quantity_delivered = models.BigIntegerField(null=True)
    tiv_delivered_milli = models.BigIntegerField(null=True)
    tiv_ordered_milli = models.BigIntegerField(null=True)
    amount_cents = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "delivery_year"], name="yearlytotal_kind_year"),
            models.Index(fields=["supplier_id", "recipient_id"], name="yearlytotal_pair"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.supplier_id}>{self.recipient_id} {self.category} {self.order_year}"


class TotalsDirty(models.Model):
    """A (supplier, recipient) pair whose totals are out of date (0: none), marked by
    database triggers in the writing transaction; the refresh consumes the marks."""

    supplier_id = models.BigIntegerField()
    recipient_id = models.BigIntegerField()

    def __str__(self):
        return f"stale {self.supplier_id}>{self.recipient_id}"
