"""The yearly totals' tables (transfers.totals.maintain keeps them; selectors read them)."""

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce

# Digits of the amounts (TIV in thousandths, values in cents): the figures the API accepts
# pass 64 bits once multiplied and summed (a line's TIV, 2,147,483,647 units at
# 99,999,999,999.999, is 2.1e23 thousandths; twelve deals of 9,999,999,999,999,999.99 are
# 1.2e19 cents), so they are numbers of 38 digits, not 64-bit integers, which had made
# the refresh fail on such a line after every later write.
AMOUNT_DIGITS = 38


def _amount():
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=0, null=True)


class Measures(models.Model):
    """The summary's additive figures, as the totals keep them: whole numbers (TIV in
    thousandths, values in cents), so that sums are exact (on SQLite, below 2^53: it holds
    no exact number past 64 bits, and sums the amounts as REAL rather than fail)."""

    transfers = models.BigIntegerField(null=True)
    quantity_ordered = models.BigIntegerField(null=True)
    quantity_delivered = models.BigIntegerField(null=True)
    tiv_delivered_milli = _amount()
    tiv_ordered_milli = _amount()
    amount_cents = _amount()

    class Meta:
        abstract = True


# What a totals row is the total of: one row per key (no delivery year: -1). An import's new
# deals are added to the rows of their keys (maintain.delta_add); the key's leading columns
# are also how a refresh finds a cell's (or a system's) rows.
YEARLY_KEY = [
    "grain",
    "supplier_id",
    "recipient_id",
    "order_year",
    "category",
    "kind",
    "absent",
    "delivery_year",
    "currency",
]


class YearlyTotal(Measures):
    """One pre-aggregated part of the summary, at one grain. The finest grain (FULL) is the
    arms transfers of one (supplier, recipient, category, order year, absent or not) and,
    for the `*_YEAR` kinds, one delivery year; each coarser grain (a rollup) is the sum of
    the finest rows over the dimensions it drops (GRAINS in transfers.totals.maintain), so
    that a summary reads a few thousand rows of the grain its keys and filters need.
    Kinds (what a row holds):

    - LINES: transfers, quantities ordered and delivered, TIV delivered and ordered;
    - YEAR: transfers with a delivery in that year, the quantity delivered in it, the TIV
      placed in it (selectors._tiv_by_delivery_year);
    - UNPLACED: what the lines' TIV delivered leaves unplaced, and the lines concerned;
    - VALUE, VALUE_CATEGORY, VALUE_YEAR, VALUE_CATEGORY_YEAR: the values (per currency) of
      the distinct deals of the cell (with a line in the category; with a delivery in the
      year). A deal is in one (supplier, recipient, order year, absent) cell only, so these
      add up over those; not over categories, hence the kinds with and without one.

    Dimensions are never null, so that rollups can be matched on them: 0 stands for no
    supplier, recipient or order year, and for a dimension the grain drops. Amounts are
    whole numbers (TIV in thousandths, values in cents: Measures). Ids
    without foreign keys: a total is rebuilt, never cascaded.
    """

    KEY = YEARLY_KEY

    class Kind(models.IntegerChoices):
        LINES = 0
        YEAR = 1
        UNPLACED = 2
        VALUE = 3
        VALUE_CATEGORY = 4
        VALUE_YEAR = 5
        VALUE_CATEGORY_YEAR = 6

    # Which dimensions a row keeps (bits: maintain.DIMENSIONS); 15 is the finest grain.
    grain = models.SmallIntegerField(default=15)
    kind = models.SmallIntegerField(choices=Kind.choices)
    supplier_id = models.BigIntegerField(default=0)
    recipient_id = models.BigIntegerField(default=0)
    category = models.CharField(max_length=20, blank=True)
    order_year = models.IntegerField(default=0)
    absent = models.BooleanField(default=False)
    delivery_year = models.IntegerField(null=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        # Reads take one grain and kind; a refresh finds a rollup's rows, and the rows it is
        # summed from, by the grain and its leading dimensions.
        indexes = [
            models.Index(fields=["grain", "kind"], name="yearlytotal_grain_kind"),
            models.Index(fields=["grain", "supplier_id", "category", "order_year"], name="yearlytotal_supplier"),
            models.Index(fields=["grain", "recipient_id", "category", "order_year"], name="yearlytotal_recipient"),
            models.Index(fields=["grain", "category", "order_year"], name="yearlytotal_category"),
            models.Index(fields=["grain", "order_year"], name="yearlytotal_order_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                *[Coalesce(name, Value(-1)) if name == "delivery_year" else F(name) for name in YEARLY_KEY],
                name="yearlytotal_key",
                violation_error_message="The totals hold one row per grain, cell, kind, delivery year and currency.",
            )
        ]

    def __str__(self):
        return (
            f"{self.get_kind_display()} grain {self.grain} {self.supplier_id}>{self.recipient_id} "
            f"{self.category} {self.order_year}"
        )


class TotalsAffected(models.Model):
    """Scratch rows of a refresh (cleared at its start, under its lock): the finest cells
    whose totals it rewrites, before and after, from which the rollups to redo follow."""

    supplier_id = models.BigIntegerField()
    recipient_id = models.BigIntegerField()
    category = models.CharField(max_length=20, blank=True)
    order_year = models.IntegerField()

    def __str__(self):
        return f"affected {self.supplier_id}>{self.recipient_id} {self.category} {self.order_year}"


class TotalsRefreshing(models.Model):
    """Scratch rows of a refresh of many cells (cleared at its start, under its lock): the
    marked cells it took, joined to the register rather than named one by one."""

    supplier_id = models.BigIntegerField()
    recipient_id = models.BigIntegerField()
    order_year = models.IntegerField()

    def __str__(self):
        return f"refreshing {self.supplier_id}>{self.recipient_id} {self.order_year}"


class TotalsDirty(models.Model):
    """A (supplier, recipient, order year) cell whose totals are out of date (0: none), marked
    by database triggers in the writing transaction; the refresh consumes the marks. On
    PostgreSQL a mark also holds the transaction that wrote it (column `xact`, a default that
    migration 0087 added and no model field names): an import's batch that adds its own
    deals' totals (maintain.delta_add) takes back its own marks, and only those."""

    supplier_id = models.BigIntegerField()
    recipient_id = models.BigIntegerField()
    order_year = models.IntegerField(default=0)

    def __str__(self):
        return f"stale {self.supplier_id}>{self.recipient_id} {self.order_year}"


# A SystemTotal row's key (leading with the system: a refresh finds a system's rows by it).
SYSTEM_KEY = ["system_id", "grain", "kind", "supplier_id", "category", "absent", "currency"]


class SystemTotal(Measures):
    """The summary by weapon system, pre-aggregated: the arms transfers of one system (and
    its category) from one supplier (grain 1), or from every supplier (grain 0, summed from
    grain 1), absent from a release or not. Kinds LINES, VALUE and VALUE_CATEGORY
    (YearlyTotal.Kind): a deal's value counts once in each system it has a line of, as the
    live summary counts it, and once per category of those lines for a category's figures.
    The yearly totals cannot keep a system: their finest grain would be as large as the
    register; these rows are recomputed per system from the register instead (about 160
    lines each at a million transfers). Dimensions are never null (0: no supplier)."""

    grain = models.SmallIntegerField(default=1)
    kind = models.SmallIntegerField(choices=YearlyTotal.Kind.choices)
    system_id = models.BigIntegerField()
    supplier_id = models.BigIntegerField(default=0)
    category = models.CharField(max_length=20, blank=True)
    absent = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, blank=True)

    KEY = SYSTEM_KEY

    class Meta:
        indexes = [
            models.Index(fields=["grain", "kind"], name="systemtotal_grain_kind"),
            models.Index(fields=["grain", "supplier_id"], name="systemtotal_supplier"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=SYSTEM_KEY,
                name="systemtotal_key",
                violation_error_message="The systems' totals hold one row per system, grain, kind, supplier, "
                "category, absence and currency.",
            )
        ]

    def __str__(self):
        return f"{YearlyTotal.Kind(self.kind).label} grain {self.grain} system {self.system_id} from {self.supplier_id}"


class SystemTotalDirty(models.Model):
    """A weapon system whose SystemTotal rows are out of date, marked by database triggers
    in the writing transaction (beside TotalsDirty's cells); the refresh consumes them. On
    PostgreSQL it holds the transaction that wrote it too, as TotalsDirty does."""

    system_id = models.BigIntegerField()

    def __str__(self):
        return f"stale system {self.system_id}"
