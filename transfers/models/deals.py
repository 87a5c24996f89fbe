"""Deals: a contract, its transfers (the trade register's lines, with the columns they copy from
their contract and system, named `cached_...`: `Transfer.COPIES`) and their deliveries."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Sum

from ..dates import Precision, format_partial_date, sane_date_check, validate_sane_date
from .base import (
    LINE_MAX,
    History,
    NaturalKeyManager,
    save_with_next_line,
    validate_currency,
    validate_digits_kept,
    validate_not_an_id,
)
from .reference import Actor, WeaponSystem

# The largest value of an integer column on PostgreSQL.
INTEGER_MAX = 2_147_483_647


class Contract(models.Model):
    """A deal between a supplier and a recipient; its lines are Transfers.

    `disputed` says whether the claims about it disagree on one of its figures (kept by
    transfers.evidence); its values are the editors' choice, never overwritten by claims.
    """

    class Status(models.TextChoices):
        REPORTED = "reported", "reported"
        NEGOTIATING = "negotiating", "negotiating"
        SIGNED = "signed", "signed"
        DELIVERING = "delivering", "delivering"
        COMPLETED = "completed", "completed"
        CANCELLED = "cancelled", "cancelled"

    class Kind(models.TextChoices):
        ARMS = "arms", "arms transfer"
        NON_ARMS = "non-arms", "not an arms transfer (kept out of arms listings and totals)"

    reference = models.SlugField(
        max_length=100, unique=True, validators=[validate_not_an_id], help_text="A stable reference for the deal."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ARMS, db_index=True)
    # No indexes of their own: contract_parties_date and contract_recipient_date lead with them.
    supplier = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="contracts_supplied", db_index=False)
    recipient = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="contracts_received", db_index=False)
    title = models.CharField(max_length=300, blank=True, help_text="A short description of the deal.")
    order_date = models.DateField(null=True, blank=True, validators=[validate_sane_date])
    order_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.YEAR)
    order_date_is_estimate = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True)
    value_amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0), validate_digits_kept]
    )
    value_currency = models.CharField(
        max_length=3, blank=True, validators=[validate_currency], help_text="ISO 4217, e.g. USD."
    )
    value_is_estimate = models.BooleanField(default=False)
    sipri_deal_id = models.CharField(max_length=40, null=True, blank=True, unique=True)
    notes = models.TextField(blank=True)
    # Set by imports: a hash of the values last imported, to notice later hand edits.
    import_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # The number of its lines, kept by transfers.cache: lets totals read contracts
    # without checking each one against a million transfers.
    line_count = models.PositiveIntegerField(default=0, editable=False)
    # Whether claims about the deal, its lines or its deliveries disagree on one of their
    # fields (transfers.evidence keeps it, on every save of a claim): lists filter on it
    # without comparing claims row by row.
    disputed = models.BooleanField(
        default=False, editable=False, help_text="Claims about the deal disagree on one of its figures."
    )

    # Set by imports: the release of the register that no longer contains this deal (it
    # is kept, with its history and claims; the register hides it unless asked).
    absent_from = models.ForeignKey(
        "Release",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="absent_deals",
        help_text="The release of the register that no longer contains this deal.",
    )

    CACHED_FIELDS = ("line_count", "disputed")

    objects = NaturalKeyManager("reference")
    history = History(excluded_fields=list(CACHED_FIELDS))

    class Meta:
        ordering = ["-order_date", "reference"]
        indexes = [
            models.Index(fields=["supplier", "recipient", "order_date"], name="contract_parties_date"),
            models.Index(fields=["recipient", "order_date"], name="contract_recipient_date"),
            models.Index(fields=["order_date", "id"], name="contract_order_date"),
            # The disputed deals are few: `disputed=true` reads them from this index.
            models.Index(fields=["id"], name="contract_disputed", condition=Q(disputed=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supplier=F("recipient")),
                name="contract_supplier_not_recipient",
                violation_error_message="The supplier and the recipient must be different actors.",
            ),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | Q(value_amount__gte=0),
                name="contract_value_not_negative",
                violation_error_message="The value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | ~Q(value_currency=""),
                name="contract_value_has_currency",
                violation_error_message="A value needs a currency (ISO 4217, e.g. USD).",
            ),
            models.CheckConstraint(
                condition=sane_date_check("order_date"),
                name="contract_order_date_sane",
                violation_error_message="The order date must lie between 1900 and 2100.",
            ),
        ]

    def __str__(self):
        return self.reference

    def natural_key(self):
        return (self.reference,)

    def clean(self):
        if self.value_currency:
            self.value_currency = self.value_currency.upper()

    @property
    def order_date_display(self):
        return format_partial_date(self.order_date, self.order_date_precision)


def cached_actor():
    """A copy of a contract's party: no constraint or index of its own (the contract has both)."""
    return models.ForeignKey(
        Actor,
        null=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class PublishedInconsistency(models.TextChoices):
    """Figures a register published that hand entry would refuse: kept as published, flagged."""

    DELIVERED_ABOVE_ORDERED = "delivered-above-ordered", "more delivered than ordered, as published"


def _excess(total, ordered):
    if total is None or ordered is None:
        return 0
    return max(total - ordered, 0)


class unless_annotated:  # noqa: N801 (used as a decorator, like property)
    """A read-only value computed from a record's columns, which a queryset may also
    annotate under the same name (the same definition in SQL, to order or filter by it, or
    to read it in a list of values): the annotation, set on the instance, is then read
    instead (a non-data descriptor: the instance's own attribute wins)."""

    def __init__(self, function):
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner=None):
        return self if instance is None else self.function(instance)


class CachedCopy:
    """A column of Transfer that copies a value of the record one of its foreign keys
    points to (`via`): that record's `source`, or whether it `equals` a value."""

    def __init__(self, field, *, via, source, equals=None):
        self.field, self.via, self.source, self.equals = field, via, source, equals


class Transfer(models.Model):
    """One line of a contract: a quantity of one weapon system.

    Its columns named `cached_...` are copies (of its contract's parties, date, kind, value
    and release, of its system's category, the sort keys, its deliveries' sum) that
    transfers.cache keeps from Transfer.COPIES: read them, never write them by hand."""

    class Condition(models.TextChoices):
        NEW = "new", "new"
        SECOND_HAND = "second-hand", "second-hand"
        SECOND_HAND_MODERNISED = "second-hand-modernised", "second-hand, modernised"

    # No index of its own: transfer_line_unique leads with it.
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="transfers", db_index=False)
    line = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(LINE_MAX)],
        help_text="Line number within the contract, from 1; assigned when left empty.",
    )
    system = models.ForeignKey(WeaponSystem, on_delete=models.PROTECT, related_name="transfers")
    quantity_ordered = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty when unknown.", validators=[MinValueValidator(0)]
    )
    quantity_ordered_is_estimate = models.BooleanField(default=False)
    reported_delivered = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Total delivered as a register reports it, when the deliveries' own quantities are not known.",
    )
    reported_delivered_is_estimate = models.BooleanField(default=False)
    condition = models.CharField(max_length=24, choices=Condition.choices, default=Condition.NEW, db_index=True)
    licensed_production = models.BooleanField(default=False)
    tiv_per_unit = models.DecimalField(
        "SIPRI TIV per unit", max_digits=14, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    tiv_order = models.DecimalField(
        "SIPRI TIV of the order",
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    tiv_delivered = models.DecimalField(
        "SIPRI TIV delivered",
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    comments = models.TextField(blank=True)
    # Set by imports only: the register published these figures although they break a
    # rule editors are held to; the database exempts the flagged rule (migration 0013).
    published_inconsistency = models.CharField(
        max_length=30,
        choices=PublishedInconsistency.choices,
        blank=True,
        default="",
        editable=False,
        help_text="Figures kept as the register published them, although they break a rule of hand entry.",
    )

    # The cached columns, each named `cached_...`: copies of the contract's parties, date,
    # kind, value and release, of the system's category and of the sort keys (declared in
    # COPIES below), and the deliveries' total. transfers.cache keeps them (signals, and the
    # bulk writers call it); never write them by hand. The register filters, orders,
    # counts and sums on this one table instead of joining three, which is what keeps it
    # fast at a million transfers. The API shows them under their plain names (`supplier`).
    cached_is_arms = models.BooleanField(default=True, editable=False)
    cached_supplier = cached_actor()
    cached_recipient = cached_actor()
    cached_order_date = models.DateField(null=True, editable=False)
    cached_category = models.CharField(max_length=20, blank=True, editable=False)
    cached_delivered_sum = models.PositiveIntegerField(
        null=True, editable=False, help_text="Sum of the deliveries' known quantities."
    )
    # The contract's value, for summaries by line (system, category): summed once per
    # contract and group from this table alone, without joining a million contracts.
    cached_contract_value_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, editable=False)
    cached_contract_value_currency = models.CharField(max_length=3, blank=True, editable=False)
    # The contract's absent_from: the register hides the lines of deals a newer release
    # of the register no longer contains, unless asked (api.filters, `absent`).
    cached_absent_from = models.ForeignKey(
        "Release",
        null=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # Sort keys: the parties' codes and the system's designation, so that ordering the
    # register by them reads an index in order (partial indexes below) instead of sorting
    # a million rows by a value in another table. Nullable: SQLite then adds the columns
    # without rebuilding the table (which would drop its triggers, migrations 0011/0013).
    cached_supplier_code = models.CharField(max_length=64, null=True, editable=False)
    cached_recipient_code = models.CharField(max_length=64, null=True, editable=False)
    cached_system_designation = models.CharField(max_length=200, null=True, editable=False)
    # Whether a delivery is dated before the deal's order (selectors.delivery_before_order_q),
    # so that the `delivered_before_order` filter reads an index of the few lines that are
    # (it scanned every delivery: 2.2 s at a million lines). True, or null when none is: a
    # new line has none, and the migration that added it wrote only the lines that have.
    cached_delivered_before_order = models.BooleanField(null=True, editable=False)

    # The one declaration of what each copy copies: transfers.cache generates from it the
    # updates after a save of the contract or system, the bulk refresh that imports and
    # generated data use, and the consistency check.
    COPIES = (
        CachedCopy("cached_is_arms", via="contract", source="kind", equals=Contract.Kind.ARMS),
        CachedCopy("cached_supplier", via="contract", source="supplier"),
        CachedCopy("cached_recipient", via="contract", source="recipient"),
        CachedCopy("cached_order_date", via="contract", source="order_date"),
        CachedCopy("cached_contract_value_amount", via="contract", source="value_amount"),
        CachedCopy("cached_contract_value_currency", via="contract", source="value_currency"),
        CachedCopy("cached_absent_from", via="contract", source="absent_from"),
        CachedCopy("cached_category", via="system", source="category"),
        # Through a copied foreign key (the contract's party): kept when the actor is renamed
        # as when the contract changes party.
        CachedCopy("cached_supplier_code", via="cached_supplier", source="code"),
        CachedCopy("cached_recipient_code", via="cached_recipient", source="code"),
        CachedCopy("cached_system_designation", via="system", source="designation"),
    )
    # ... and what the deliveries give: their total, and whether one is before the order,
    # kept by the deliveries' saves (and the contract's, for its order date).
    CACHED_FIELDS = (*(copy.field for copy in COPIES), "cached_delivered_sum", "cached_delivered_before_order")

    objects = NaturalKeyManager("contract__reference", "line")
    history = History(excluded_fields=list(CACHED_FIELDS))

    class Meta:
        ordering = ["contract", "line"]
        # Partial indexes on the register (arms transfers), matching its filters; each
        # ends in the order date so year ranges and date ordering use it too.
        indexes = [
            models.Index(
                fields=["cached_supplier", "cached_recipient", "cached_order_date"],
                name="register_parties",
                condition=Q(cached_is_arms=True),
            ),
            models.Index(
                fields=["cached_supplier", "cached_category", "cached_order_date"],
                name="register_supplier_cat",
                condition=Q(cached_is_arms=True),
            ),
            models.Index(
                fields=["cached_recipient", "cached_order_date"],
                name="register_recipient",
                condition=Q(cached_is_arms=True),
            ),
            models.Index(
                fields=["cached_category", "cached_order_date"],
                name="register_category",
                condition=Q(cached_is_arms=True),
            ),
            models.Index(
                fields=["cached_order_date", "id"], name="register_order_date", condition=Q(cached_is_arms=True)
            ),
            models.Index(
                fields=["system", "cached_order_date"], name="register_system", condition=Q(cached_is_arms=True)
            ),
            # ordering=supplier, recipient, system (and descending: read backwards).
            models.Index(
                fields=["cached_supplier_code", "id"], name="register_by_supplier", condition=Q(cached_is_arms=True)
            ),
            models.Index(
                fields=["cached_recipient_code", "id"], name="register_by_recipient", condition=Q(cached_is_arms=True)
            ),
            models.Index(
                fields=["cached_system_designation", "id"], name="register_by_system", condition=Q(cached_is_arms=True)
            ),
            # delivered_before_order=true: the few lines that are.
            models.Index(
                fields=["cached_order_date", "id"],
                name="register_before_order",
                condition=Q(cached_delivered_before_order=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "line"],
                name="transfer_line_unique",
                violation_error_message="This contract already has a line with this number.",
            ),
            models.CheckConstraint(
                condition=Q(line__isnull=True) | Q(line__gte=1),
                name="transfer_line_from_one",
                violation_error_message="Line numbers start at 1.",
            ),
            models.CheckConstraint(
                condition=Q(quantity_ordered__isnull=True) | Q(quantity_ordered__gte=0),
                name="transfer_quantity_not_negative",
                violation_error_message="The quantity ordered cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(reported_delivered__isnull=True)
                | Q(quantity_ordered__isnull=True)
                | Q(reported_delivered__lte=F("quantity_ordered"))
                | Q(published_inconsistency=PublishedInconsistency.DELIVERED_ABOVE_ORDERED),
                name="transfer_reported_delivered_not_above_ordered",
                violation_error_message="The total delivered cannot exceed the quantity ordered.",
            ),
            models.CheckConstraint(
                condition=(Q(tiv_per_unit__isnull=True) | Q(tiv_per_unit__gte=0))
                & (Q(tiv_order__isnull=True) | Q(tiv_order__gte=0))
                & (Q(tiv_delivered__isnull=True) | Q(tiv_delivered__gte=0)),
                name="transfer_tiv_not_negative",
                violation_error_message="TIV values cannot be negative.",
            ),
        ]

    def __str__(self):
        quantity = "?" if self.quantity_ordered is None else self.quantity_ordered
        return f"{self.contract_id and self.contract.reference} #{self.line}: {quantity} x {self.system}"

    def natural_key(self):
        return self.contract.natural_key() + (self.line,)

    natural_key.dependencies = ["transfers.contract", "transfers.weaponsystem"]

    def save(self, *args, **kwargs):
        # Line numbers make the natural key; editors should not have to type them.
        if self.line is None and self.contract_id:
            save_with_next_line(self, "contract", lambda: super(Transfer, self).save(*args, **kwargs))
        else:
            super().save(*args, **kwargs)

    def clean(self):
        for name in ("quantity_ordered", "reported_delivered"):
            # Past the column (a forged form value): said here, before a query takes it (OverflowError).
            value = getattr(self, name)
            if isinstance(value, int) and value > INTEGER_MAX:
                raise ValidationError({name: f"At most {INTEGER_MAX:,}."})
        if self.quantity_ordered is None:
            return
        delivered = self.deliveries.aggregate(total=Sum("quantity"))["total"] if self.pk else None
        stored = self._stored_if_published_inconsistent()
        allowed = _excess(delivered, stored["quantity_ordered"]) if stored else 0
        if _excess(delivered, self.quantity_ordered) > allowed:
            raise ValidationError(
                {
                    "quantity_ordered": (
                        f"{delivered} are already recorded as delivered; "
                        f"the quantity ordered cannot be {self.quantity_ordered}."
                    )
                }
            )
        if stored and _excess(self.reported_delivered, self.quantity_ordered) > _excess(
            stored["reported_delivered"], stored["quantity_ordered"]
        ):
            # The database's constraint lets a flagged row through; an edit may not widen the gap.
            raise ValidationError({"reported_delivered": "The total delivered cannot exceed the quantity ordered."})
        # The constraint itself, on the field: a form without the flag's field skips it, and the
        # database's refusal lost the editor's input.
        name = "transfer_reported_delivered_not_above_ordered"
        constraint = next(c for c in self._meta.constraints if c.name == name)
        try:
            constraint.validate(type(self), self)
        except ValidationError as exc:
            raise ValidationError({"reported_delivered": exc.messages}) from None

    def _stored_if_published_inconsistent(self):
        """The stored figures of a transfer a register published with more delivered than
        ordered: hand edits may keep them, or narrow the gap, never widen it. None otherwise."""
        if self.published_inconsistency != PublishedInconsistency.DELIVERED_ABOVE_ORDERED or not self.pk:
            return None
        return Transfer._base_manager.filter(pk=self.pk).values("quantity_ordered", "reported_delivered").first()

    @unless_annotated
    def quantity_delivered(self):
        """The sum of the deliveries' known quantities (cached_delivered_sum); else the
        register's reported total; else None. selectors.delivered_quantity() in SQL, which
        querysets annotate under this name."""
        return self.reported_delivered if self.cached_delivered_sum is None else self.cached_delivered_sum

    @unless_annotated
    def quantity_remaining(self):
        """The quantity ordered less the quantity delivered (none: 0); None when the order is unknown."""
        if self.quantity_ordered is None:
            return None
        return self.quantity_ordered - (self.quantity_delivered or 0)

    @property
    def delivery_years(self):
        return sorted({d.date.year for d in self.deliveries.all()})


class Delivery(models.Model):
    """Some or all of a transfer's quantity, delivered at a date (at least a year)."""

    # No index of its own: delivery_line_unique and delivery_transfer_date lead with it.
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    line = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(LINE_MAX)],
        help_text="From 1; assigned when left empty.",
    )
    date = models.DateField(validators=[validate_sane_date])
    date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.YEAR)
    date_is_estimate = models.BooleanField(default=False)
    quantity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty when unknown.", validators=[MinValueValidator(0)]
    )
    quantity_is_estimate = models.BooleanField(default=False)
    tiv = models.DecimalField(
        "SIPRI TIV of this delivery",
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="SIPRI trend-indicator value (millions, not money) of what was delivered, as a register "
        "publishes it per delivery year; empty: the quantity times the line's TIV per unit.",
    )
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("transfer__contract__reference", "transfer__line", "line")
    history = History()

    class Meta:
        ordering = ["transfer", "date", "line"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["date"], name="delivery_date"),
            models.Index(fields=["transfer", "date"], name="delivery_transfer_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "line"],
                name="delivery_line_unique",
                violation_error_message="This transfer already has a delivery with this number.",
            ),
            models.CheckConstraint(
                condition=Q(line__isnull=True) | Q(line__gte=1),
                name="delivery_line_from_one",
                violation_error_message="Delivery numbers start at 1.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                name="delivery_quantity_not_negative",
                violation_error_message="The quantity delivered cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(tiv__isnull=True) | Q(tiv__gte=0),
                name="delivery_tiv_not_negative",
                violation_error_message="TIV values cannot be negative.",
            ),
            models.CheckConstraint(
                condition=sane_date_check("date"),
                name="delivery_date_sane",
                violation_error_message="The delivery date must lie between 1900 and 2100.",
            ),
        ]

    def __str__(self):
        quantity = "?" if self.quantity is None else self.quantity
        return f"{quantity} delivered {self.date_display}"

    def natural_key(self):
        return self.transfer.natural_key() + (self.line,)

    natural_key.dependencies = ["transfers.transfer"]

    def save(self, *args, **kwargs):
        if self.line is None and self.transfer_id:
            save_with_next_line(self, "transfer", lambda: super(Delivery, self).save(*args, **kwargs))
        else:
            super().save(*args, **kwargs)

    def clean(self):
        # The ordered quantity caps the sum of all deliveries of the transfer.
        if self.quantity is None or not self.transfer_id:
            return
        ordered = self.transfer.quantity_ordered
        if ordered is None:
            return
        others = (
            Delivery.objects.filter(transfer_id=self.transfer_id).exclude(pk=self.pk).aggregate(t=Sum("quantity"))["t"]
            or 0
        )
        if others + self.quantity > ordered and not self._keeps_published_figures():
            raise ValidationError(
                {"quantity": (f"Delivered total {others + self.quantity} would exceed the {ordered} ordered.")}
            )

    def _keeps_published_figures(self):
        """An edit of a delivery of a transfer a register published with more delivered
        than ordered, that does not raise its quantity (hand entry adds nothing above the order)."""
        if self.transfer.published_inconsistency != PublishedInconsistency.DELIVERED_ABOVE_ORDERED or not self.pk:
            return False
        stored = Delivery._base_manager.filter(pk=self.pk, transfer_id=self.transfer_id).values_list(
            "quantity", flat=True
        )
        return any(old is not None and self.quantity <= old for old in stored)

    @property
    def date_display(self):
        return format_partial_date(self.date, self.date_precision)
