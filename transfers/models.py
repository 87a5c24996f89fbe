"""The domain model: who supplies what to whom, under which deal, and who said so.

Every model keeps a full change history (django-simple-history) and has a
natural key, so fixtures are portable between databases.
"""

import secrets

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Max, Q, Sum
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

from .assertions import COLUMNS as ASSERTION_COLUMNS
from .assertions import (
    DATE_FIELDS,
    NUMBER_FIELDS,
    QUANTITY_FIELDS,
    AssertedStatus,
    AssertionField,
    Qualifier,
    assertion_cleaned,
    assertion_display,
    date_range_display,
)
from .dates import Precision, format_partial_date, sane_date_check, validate_sane_date

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "Use letters, digits, '-', '_' or '.', starting with a letter or digit.",
)


def new_key():
    """A short random key for records that have no natural name of their own."""
    return secrets.token_hex(6)


def validate_currency(value):
    if value and pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise ValidationError("%(value)s is not an ISO 4217 currency code.", params={"value": value})


def validate_language(value):
    if value and pycountry.languages.get(alpha_2=value.lower()) is None:
        raise ValidationError("%(value)s is not an ISO 639-1 language code.", params={"value": value})


# Rules the database enforces with triggers (migration 0011), not constraints: name: (field, message).
DATABASE_TRIGGERS = {
    "delivery_total_not_above_ordered": ("quantity", "The deliveries would add up to more than the quantity ordered."),
    "transfer_ordered_not_below_delivered": (
        "quantity_ordered",
        "The quantity ordered cannot be below the quantity already delivered.",
    ),
}


def save_with_next_line(instance, parent_field, save):
    """Save `instance` with the next free line number under its parent (a contract's
    transfers, a transfer's deliveries). The parent row is locked until the insert
    commits, so two requests adding lines at the same moment get 1 and 2, not a
    duplicate key (on SQLite, writes are serialised anyway)."""
    model = type(instance)
    parent = model._meta.get_field(parent_field).related_model
    parent_id = getattr(instance, f"{parent_field}_id")
    with transaction.atomic(using=router.db_for_write(model)):
        # FOR NO KEY UPDATE: conflicts with itself, not with the key-share locks of foreign keys.
        parent._base_manager.select_for_update(no_key=True).filter(pk=parent_id).exists()
        last = model._base_manager.filter(**{f"{parent_field}_id": parent_id}).aggregate(m=Max("line"))["m"]
        instance.line = (last or 0) + 1
        save()


class NaturalKeyManager(models.Manager):
    """Finds a record by its natural key: these lookups, in the order natural_key() gives them."""

    def __init__(self, *lookups):
        super().__init__()
        self.lookups = lookups

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.lookups, key, strict=True)))


# --- Actors and people ------------------------------------------------------


class Actor(models.Model):
    """Any party: a state, an organisation, a non-state armed group, a company, a body.

    States use their ISO 3166-1 alpha-3 code; everything else a stable slug.
    """

    class Kind(models.TextChoices):
        STATE = "state", "state"
        HISTORICAL_STATE = "historical-state", "historical state"
        ORGANISATION = "organisation", "international organisation"
        NON_STATE = "non-state", "non-state armed group"
        COMPANY = "company", "company"
        GOVERNMENT_BODY = "government-body", "government body"
        UNKNOWN = "unknown", "unknown party"
        OTHER = "other", "other"

    code = models.CharField(
        max_length=64,
        unique=True,
        validators=[CODE_VALIDATOR],
        help_text="ISO 3166-1 alpha-3 for states (RUS, IRN); a stable slug for everything else.",
    )
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATE, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The state a ministry or company belongs to.",
    )
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other names used by sources and registers, one per line."
    )
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("code")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="actor_code_unique_ci",
                violation_error_message="An actor with this code (ignoring case) already exists.",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("pk")),
                name="actor_not_own_parent",
                violation_error_message="An actor cannot be its own parent.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def natural_key(self):
        return (self.code,)


class Person(models.Model):
    """A named speaker, with the actor they speak for."""

    name = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=100, unique=True)
    affiliation = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="people")
    title = models.CharField(max_length=200, blank=True, help_text="Position, e.g. 'Defence Minister'.")
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("slug")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


# --- Weapon systems ------------------------------------------------------------


class Category(models.TextChoices):
    """SIPRI's armament categories."""

    AIRCRAFT = "aircraft", "aircraft"
    AIR_DEFENCE = "air-defence", "air-defence systems"
    ANTI_SUBMARINE = "anti-submarine", "anti-submarine warfare weapons"
    ARMOURED_VEHICLES = "armoured-vehicles", "armoured vehicles"
    ARTILLERY = "artillery", "artillery"
    ENGINES = "engines", "engines"
    MISSILES = "missiles", "missiles"
    NAVAL_WEAPONS = "naval-weapons", "naval weapons"
    SATELLITES = "satellites", "satellites"
    SENSORS = "sensors", "sensors"
    SHIPS = "ships", "ships"
    OTHER = "other", "other"


class WeaponSystem(models.Model):
    """A weapon system or model, e.g. the Tor-M1 mobile surface-to-air missile system."""

    designation = models.CharField(max_length=200, db_index=True)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    producer = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="systems_produced"
    )
    origin = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.PROTECT, related_name="systems_originated"
    )
    other_names = models.JSONField(default=list, blank=True, help_text="Reporting names and variants, one per line.")
    capability_notes = models.TextField(blank=True)

    objects = NaturalKeyManager("slug")
    history = HistoricalRecords()

    class Meta:
        ordering = ["designation"]
        verbose_name = "weapon system"

    def __str__(self):
        return self.designation

    def natural_key(self):
        return (self.slug,)


# --- Deals -------------------------------------------------------------------------


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

    reference = models.SlugField(max_length=100, unique=True, help_text="A stable reference for the deal.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ARMS, db_index=True)
    supplier = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="contracts_supplied")
    recipient = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="contracts_received")
    title = models.CharField(max_length=300, blank=True, help_text="A short description of the deal.")
    order_date = models.DateField(null=True, blank=True, validators=[validate_sane_date])
    order_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.YEAR)
    order_date_is_estimate = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REPORTED, db_index=True)
    value_amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
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
    history = HistoricalRecords(excluded_fields=list(CACHED_FIELDS))

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


class CachedCopy:
    """A column of Transfer that copies a value of the record one of its foreign keys
    points to (`via`): that record's `source`, or whether it `equals` a value."""

    def __init__(self, field, *, via, source, equals=None):
        self.field, self.via, self.source, self.equals = field, via, source, equals


class Transfer(models.Model):
    """One line of a contract: a quantity of one weapon system."""

    class Condition(models.TextChoices):
        NEW = "new", "new"
        SECOND_HAND = "second-hand", "second-hand"
        SECOND_HAND_MODERNISED = "second-hand-modernised", "second-hand, modernised"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="transfers")
    line = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(32767)],
        help_text="Line number within the contract; assigned when left empty.",
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

    # Copies of the contract's parties, date and kind, the system's category and the
    # deliveries' total, kept current by transfers.cache (signals, and the bulk writers
    # call it): the register filters, orders, counts and sums on this one table instead
    # of joining three, which is what keeps it fast at a million transfers.
    is_arms = models.BooleanField(default=True, editable=False)
    supplier = cached_actor()
    recipient = cached_actor()
    order_date = models.DateField(null=True, editable=False)
    category = models.CharField(max_length=20, blank=True, editable=False)
    delivered_sum = models.PositiveIntegerField(
        null=True, editable=False, help_text="Sum of the deliveries' known quantities."
    )
    # The contract's value, for summaries by line (system, category): summed once per
    # contract and group from this table alone, without joining a million contracts.
    contract_value_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, editable=False)
    contract_value_currency = models.CharField(max_length=3, blank=True, editable=False)
    # The contract's absent_from: the register hides the lines of deals a newer release
    # of the register no longer contains, unless asked (api.filters, `absent`).
    absent_from = models.ForeignKey(
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
    supplier_code = models.CharField(max_length=64, null=True, editable=False)
    recipient_code = models.CharField(max_length=64, null=True, editable=False)
    system_designation = models.CharField(max_length=200, null=True, editable=False)

    # The one declaration of what each copy copies: transfers.cache generates from it the
    # updates after a save of the contract or system, the bulk refresh that imports and
    # generated data use, and the consistency check.
    COPIES = (
        CachedCopy("is_arms", via="contract", source="kind", equals=Contract.Kind.ARMS),
        CachedCopy("supplier", via="contract", source="supplier"),
        CachedCopy("recipient", via="contract", source="recipient"),
        CachedCopy("order_date", via="contract", source="order_date"),
        CachedCopy("contract_value_amount", via="contract", source="value_amount"),
        CachedCopy("contract_value_currency", via="contract", source="value_currency"),
        CachedCopy("absent_from", via="contract", source="absent_from"),
        CachedCopy("category", via="system", source="category"),
        # Through a copied foreign key (the contract's party): kept when the actor is renamed
        # as when the contract changes party.
        CachedCopy("supplier_code", via="supplier", source="code"),
        CachedCopy("recipient_code", via="recipient", source="code"),
        CachedCopy("system_designation", via="system", source="designation"),
    )
    # ... and the deliveries' total (delivered_sum), kept by the deliveries' saves.
    CACHED_FIELDS = (*(copy.field for copy in COPIES), "delivered_sum")

    objects = NaturalKeyManager("contract__reference", "line")
    history = HistoricalRecords(excluded_fields=list(CACHED_FIELDS))

    class Meta:
        ordering = ["contract", "line"]
        # Partial indexes on the register (arms transfers), matching its filters; each
        # ends in the order date so year ranges and date ordering use it too.
        indexes = [
            models.Index(
                fields=["supplier", "recipient", "order_date"], name="register_parties", condition=Q(is_arms=True)
            ),
            models.Index(
                fields=["supplier", "category", "order_date"], name="register_supplier_cat", condition=Q(is_arms=True)
            ),
            models.Index(fields=["recipient", "order_date"], name="register_recipient", condition=Q(is_arms=True)),
            models.Index(fields=["category", "order_date"], name="register_category", condition=Q(is_arms=True)),
            models.Index(fields=["order_date", "id"], name="register_order_date", condition=Q(is_arms=True)),
            models.Index(fields=["system", "order_date"], name="register_system", condition=Q(is_arms=True)),
            # ordering=supplier, recipient, system (and descending: read backwards).
            models.Index(fields=["supplier_code", "id"], name="register_by_supplier", condition=Q(is_arms=True)),
            models.Index(fields=["recipient_code", "id"], name="register_by_recipient", condition=Q(is_arms=True)),
            models.Index(fields=["system_designation", "id"], name="register_by_system", condition=Q(is_arms=True)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "line"],
                name="transfer_line_unique",
                violation_error_message="This contract already has a line with this number.",
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

    def _stored_if_published_inconsistent(self):
        """The stored figures of a transfer a register published with more delivered than
        ordered: hand edits may keep them, or narrow the gap, never widen it. None otherwise."""
        if self.published_inconsistency != PublishedInconsistency.DELIVERED_ABOVE_ORDERED or not self.pk:
            return None
        return Transfer._base_manager.filter(pk=self.pk).values("quantity_ordered", "reported_delivered").first()

    @property
    def quantity_delivered(self):
        """Sum of known delivery quantities; else the register's reported total; else None."""
        annotated = getattr(self, "delivered_total", "missing")
        if annotated == "missing":
            annotated = self.deliveries.aggregate(total=Sum("quantity"))["total"]
        return self.reported_delivered if annotated is None else annotated

    @property
    def quantity_remaining(self):
        if self.quantity_ordered is None:
            return None
        return self.quantity_ordered - (self.quantity_delivered or 0)

    @property
    def delivery_years(self):
        return sorted({d.date.year for d in self.deliveries.all()})


class Delivery(models.Model):
    """Some or all of a transfer's quantity, delivered at a date (at least a year)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="deliveries")
    line = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(32767)], help_text="Assigned when left empty."
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
    history = HistoricalRecords()

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


# --- Sources and claims ----------------------------------------------------------


class Source(models.Model):
    """A document: a news report, an official statement, a register or dataset."""

    class Kind(models.TextChoices):
        NEWS_REPORT = "news-report", "news report"
        OFFICIAL_STATEMENT = "official-statement", "official statement"
        GOVERNMENT_REPORT = "government-report", "government report"
        REGISTER = "register", "register or dataset"
        OTHER = "other", "other"

    key = models.SlugField(max_length=100, unique=True, default=new_key)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS_REPORT, db_index=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True, help_text="e.g. The Associated Press")
    outlet = models.CharField(max_length=200, blank=True, help_text="Where it appeared, e.g. NBC News")
    url = models.URLField(max_length=1000, blank=True)
    published_date = models.DateField(null=True, blank=True, validators=[validate_sane_date])
    published_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    accessed_date = models.DateField(null=True, blank=True, validators=[validate_sane_date])
    language = models.CharField(max_length=8, blank=True, default="en", validators=[validate_language])
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("key")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_date", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="source_url_unique",
                violation_error_message="A source with this URL already exists.",
            ),
            models.CheckConstraint(
                condition=sane_date_check("published_date") & sane_date_check("accessed_date"),
                name="source_dates_sane",
                violation_error_message="Source dates must lie between 1900 and 2100.",
            ),
        ]

    def __str__(self):
        when = self.published_date_display or "undated"
        return f"{self.title} ({self.outlet or self.publisher or self.get_kind_display()}, {when})"

    def natural_key(self):
        return (self.key,)

    @property
    def published_date_display(self):
        return format_partial_date(self.published_date, self.published_date_precision)


CLAIM_SUBJECTS = ("contract", "transfer", "delivery", "system", "actor")


def claim_subject_type(*subject_ids):
    """The kind of record a claim is about, from its subject ids in CLAIM_SUBJECTS order."""
    return next((field for field, pk in zip(CLAIM_SUBJECTS, subject_ids, strict=True) if pk is not None), None)


def _exactly_one_subject():
    options = Q()
    for chosen in CLAIM_SUBJECTS:
        term = Q()
        for field in CLAIM_SUBJECTS:
            term &= Q(**{f"{field}__isnull": field != chosen})
        options |= term
    return options


class Claim(models.Model):
    """One thing one source says about exactly one record.

    Its assertion, when it has one, is typed (transfers.assertions): the field of the deal
    it speaks of and a value that can be compared with other claims' (transfers.evidence).
    Claims sharing a statement key are one statement; `cites` is the source it relies on.
    """

    class Attribution(models.TextChoices):
        ON_RECORD = "on-record", "on the record"
        ANONYMOUS = "anonymous", "anonymous"
        SPOKESPERSON = "spokesperson", "spokesperson"
        MEDIA_REPORT = "media-report", "citing other media"
        SOURCE = "source", "stated by the source itself"

    class Stance(models.TextChoices):
        ASSERTS = "asserts", "asserts"
        CONFIRMS = "confirms", "confirms"
        DENIES = "denies", "denies"
        CRITICISES = "criticises", "criticises"
        DEFENDS = "defends", "defends"
        COMMENTS = "comments", "comments"

    class Rank(models.TextChoices):
        PREFERRED = "preferred", "preferred"
        NORMAL = "normal", "normal"
        DEPRECATED = "deprecated", "deprecated"

    # The vocabularies of typed assertions (transfers.assertions).
    AssertionField = AssertionField
    Qualifier = Qualifier
    AssertedStatus = AssertedStatus

    key = models.SlugField(max_length=100, unique=True, default=new_key)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    # What the claim is about: exactly one of these (enforced by a constraint).
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    system = models.ForeignKey(WeaponSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    actor = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_about",
        help_text="The actor the claim is about (not the speaker).",
    )
    # Who says it.
    speaker = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="Empty when the speaker is unnamed.",
    )
    speaker_actor = models.ForeignKey(
        Actor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims_made",
        help_text="The actor the speaker speaks for.",
    )
    speaker_role = models.CharField(max_length=200, blank=True, help_text="Role as stated, e.g. 'ministry official'.")
    attribution = models.CharField(max_length=14, choices=Attribution.choices, default=Attribution.SOURCE)
    stance = models.CharField(max_length=12, choices=Stance.choices, default=Stance.ASSERTS, db_index=True)
    # A structured assertion: the field of the deal it is about and its typed value (the
    # columns of the field's kind; transfers.assertions says which and checks them).
    assertion_field = models.CharField(max_length=20, choices=AssertionField.choices, blank=True)
    assertion_quantity = models.PositiveIntegerField(
        "quantity", null=True, blank=True, help_text="A quantity, or the low end of a range of quantities."
    )
    assertion_quantity_max = models.PositiveIntegerField(
        "up to quantity", null=True, blank=True, help_text="The high end of a range (29-30)."
    )
    assertion_amount = models.DecimalField(
        "amount",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="An amount, or the low end of a range of amounts.",
    )
    assertion_amount_max = models.DecimalField(
        "up to amount",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="The high end of a range of amounts.",
    )
    assertion_currency = models.CharField(
        "currency", max_length=3, blank=True, validators=[validate_currency], help_text="ISO 4217, e.g. USD."
    )
    assertion_qualifier = models.CharField(
        "qualifier", max_length=10, choices=Qualifier.choices, blank=True, help_text="Of a quantity or an amount."
    )
    assertion_is_estimate = models.BooleanField("estimate", default=False, help_text="The figure is an estimate.")
    assertion_date = models.DateField("date", null=True, blank=True, validators=[validate_sane_date])
    assertion_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    assertion_date_end = models.DateField(
        "to date", null=True, blank=True, validators=[validate_sane_date], help_text="The end of a range of dates."
    )
    assertion_date_end_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    assertion_status = models.CharField("status", max_length=12, choices=AssertedStatus.choices, blank=True)
    assertion_negated = models.BooleanField(
        "not", default=False, help_text="The source says the status does not hold ('not completed')."
    )
    assertion_value = models.CharField(
        "as written",
        max_length=200,
        blank=True,
        help_text=(
            "The value as the source words it ('$1 billion', 'about 30'); read into the typed value when that "
            "is left empty. For 'other', the assertion itself."
        ),
    )
    statement = models.SlugField(
        max_length=100,
        blank=True,
        help_text=(
            "Claims with the same statement key are one statement (one quote, one speaker, one source) "
            "with several facts, e.g. '$1bn, and not completed'."
        ),
    )
    cites = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cited_by",
        help_text="The source this one relies on, e.g. the outlet a media report cites.",
    )
    quote = models.TextField(blank=True, help_text="A short verbatim quote, only where the claim is a quotation.")
    summary = models.TextField(help_text="What the source says, in our own words.")
    stated_date = models.DateField(null=True, blank=True, validators=[validate_sane_date])
    stated_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    stated_date_end = models.DateField(
        null=True,
        blank=True,
        validators=[validate_sane_date],
        help_text="When the date stated is a range ('16 or 17 January'): its end.",
    )
    stated_date_end_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    rank = models.CharField(max_length=10, choices=Rank.choices, default=Rank.NORMAL)
    deprecation_reason = models.CharField(max_length=300, blank=True)

    objects = NaturalKeyManager("key")
    history = HistoricalRecords()

    class Meta:
        ordering = ["stated_date", "pk"]
        indexes = [
            # A source's claims in id order (a list page): the SIPRI import's claims come
            # after a million others, and walking the primary key to them took 130 ms.
            models.Index(fields=["source", "id"], name="claim_source_id"),
            models.Index(fields=["statement"], name="claim_statement", condition=~Q(statement="")),
            # Claims with an assertion, by field (`assertion_field=value`, the value and quantity
            # bounds): a few among a million, found without reading the others.
            models.Index(fields=["assertion_field", "id"], name="claim_assertion", condition=~Q(assertion_field="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_subject(),
                name="claim_exactly_one_subject",
                violation_error_message=(
                    "A claim is about exactly one record: a contract, a transfer, a delivery, a system or an actor."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(rank="deprecated") | ~Q(deprecation_reason=""),
                name="claim_deprecated_has_reason",
                violation_error_message="A deprecated claim needs a reason.",
            ),
            # A typed assertion: the columns of its field's kind, and no others (transfers.assertions).
            models.CheckConstraint(
                condition=~Q(assertion_field="")
                | Q(
                    assertion_quantity__isnull=True,
                    assertion_amount__isnull=True,
                    assertion_date__isnull=True,
                    assertion_status="",
                    assertion_value="",
                ),
                name="claim_assertion_has_field",
                violation_error_message="An assertion's value needs the field it is about.",
            ),
            models.CheckConstraint(
                condition=Q(assertion_field__in=QUANTITY_FIELDS, assertion_quantity__isnull=False)
                | (
                    ~Q(assertion_field__in=QUANTITY_FIELDS)
                    & Q(assertion_quantity__isnull=True, assertion_quantity_max__isnull=True)
                ),
                name="claim_assertion_quantity",
                violation_error_message="A quantity assertion needs a quantity; only a quantity assertion takes one.",
            ),
            models.CheckConstraint(
                condition=(Q(assertion_field="value", assertion_amount__isnull=False) & ~Q(assertion_currency=""))
                | (
                    ~Q(assertion_field="value")
                    & Q(assertion_amount__isnull=True, assertion_amount_max__isnull=True, assertion_currency="")
                ),
                name="claim_assertion_value",
                violation_error_message=(
                    "A value assertion needs an amount and its currency (ISO 4217), and only a value assertion "
                    "takes them."
                ),
            ),
            models.CheckConstraint(
                condition=Q(assertion_field__in=DATE_FIELDS, assertion_date__isnull=False)
                | (
                    ~Q(assertion_field__in=DATE_FIELDS)
                    & Q(assertion_date__isnull=True, assertion_date_end__isnull=True)
                ),
                name="claim_assertion_date",
                violation_error_message="A date assertion needs a date, and only a date assertion takes one.",
            ),
            models.CheckConstraint(
                condition=(Q(assertion_field="status") & ~Q(assertion_status=""))
                | (~Q(assertion_field="status") & Q(assertion_status="", assertion_negated=False)),
                name="claim_assertion_status",
                violation_error_message="A status assertion needs a status, and only a status can be negated.",
            ),
            models.CheckConstraint(
                condition=(Q(assertion_field__in=NUMBER_FIELDS) & ~Q(assertion_qualifier=""))
                | (~Q(assertion_field__in=NUMBER_FIELDS) & Q(assertion_qualifier="", assertion_is_estimate=False)),
                name="claim_assertion_qualifier",
                violation_error_message="Quantities and amounts take a qualifier and an estimate flag; nothing else.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(assertion_quantity_max__isnull=True) | Q(assertion_quantity_max__gt=F("assertion_quantity"))
                )
                & (Q(assertion_amount_max__isnull=True) | Q(assertion_amount_max__gt=F("assertion_amount")))
                & (Q(assertion_date_end__isnull=True) | Q(assertion_date_end__gt=F("assertion_date")))
                & (Q(assertion_amount__isnull=True) | Q(assertion_amount__gte=0)),
                name="claim_assertion_range",
                violation_error_message="A range ends above where it starts, and amounts are not negative.",
            ),
            models.CheckConstraint(
                condition=~Q(assertion_field="other") | ~Q(assertion_value=""),
                name="claim_assertion_other_has_text",
                violation_error_message="An 'other' assertion is its text: write it.",
            ),
            models.CheckConstraint(
                condition=sane_date_check("assertion_date") & sane_date_check("assertion_date_end"),
                name="claim_assertion_dates_sane",
                violation_error_message="Asserted dates must lie between 1900 and 2100.",
            ),
            models.CheckConstraint(
                condition=Q(stated_date_end__isnull=True)
                | Q(stated_date__isnull=False, stated_date_end__gt=F("stated_date")),
                name="claim_stated_range",
                violation_error_message="The end of the date stated comes after its start.",
            ),
            models.CheckConstraint(
                condition=Q(cites__isnull=True) | ~Q(cites=F("source")),
                name="claim_cites_another_source",
                violation_error_message="A claim cites another source than its own.",
            ),
            models.CheckConstraint(
                condition=sane_date_check("stated_date"),
                name="claim_stated_date_sane",
                violation_error_message="The date stated must lie between 1900 and 2100.",
            ),
        ]

    def __str__(self):
        who = self.speaker or self.speaker_role or self.speaker_actor or "source"
        return f"{who} {self.stance}: {self.summary[:60]}"

    def natural_key(self):
        return (self.key,)

    natural_key.dependencies = [
        "transfers.source",
        "transfers.contract",
        "transfers.transfer",
        "transfers.delivery",
        "transfers.person",
    ]

    def clean(self):
        errors = self._assertion_made_whole()
        if self.cites_id is not None and self.cites_id == self.source_id:
            errors["cites"] = "A claim cites another source than its own (leave it empty)."
        if self.stated_date_end is not None:
            if self.stated_date is None:
                errors["stated_date_end"] = "Give the start of the range first (date stated)."
            elif self.stated_date_end <= self.stated_date:
                errors["stated_date_end"] = "The end of the range comes after its start."
        errors.update(self._statement_errors())
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # A claim created in code (a script, a test) may give its value as text only, as
        # fixtures and forms may: it is read here, as clean() reads it.
        if self.assertion_field and self.assertion_value and not kwargs.get("update_fields"):
            errors = self._assertion_made_whole()
            if errors:
                raise ValidationError(errors)
        super().save(*args, **kwargs)

    def _assertion_made_whole(self):
        """Read the assertion's text into its typed value if none is given, normalise it;
        {column: message} for what is wrong with it."""
        values, errors = assertion_cleaned(values={column: getattr(self, column) for column in ASSERTION_COLUMNS})
        for column, value in values.items():
            setattr(self, column, value)
        return errors

    # What the claims of one statement share (a quote, if given, is the same too).
    STATEMENT_SHARED = ("source_id", "speaker_id", "speaker_actor_id", "attribution", "stated_date")

    def _statement_errors(self):
        if not self.statement:
            return {}
        shared = [*self.STATEMENT_SHARED, "quote"]
        other = (
            Claim._default_manager.filter(statement=self.statement)
            .exclude(pk=self.pk)
            .values(*shared, "source__key")
            .first()
        )
        if other is None:
            return {}
        differs = [name for name in self.STATEMENT_SHARED if other[name] != getattr(self, name)]
        if self.quote and other["quote"] and self.quote != other["quote"]:
            differs.append("quote")
        if not differs:
            return {}
        names = ", ".join(name.removesuffix("_id").replace("_", " ") for name in differs)
        return {
            "statement": (
                f"Statement '{self.statement}' (in source '{other['source__key']}') has another {names}: the claims "
                "of one statement share its source, speaker, attribution, date and quote. Use another key for "
                "another statement."
            )
        }

    @property
    def subject(self):
        for field in CLAIM_SUBJECTS:
            value = getattr(self, field)
            if value is not None:
                return value
        return None

    @property
    def subject_type(self):
        return claim_subject_type(*(getattr(self, f"{field}_id") for field in CLAIM_SUBJECTS))

    @property
    def stated_date_display(self):
        """`2007-01-16`, or a range: `2007-01-16/2007-01-17`."""
        if self.stated_date is None:
            return None
        return date_range_display(
            self.stated_date, self.stated_date_precision, self.stated_date_end, self.stated_date_end_precision
        )

    @property
    def assertion_display(self):
        """The typed value as read: `about 30`, `USD 1,000,000,000`, `not completed`."""
        return assertion_display(self)


# --- Abuse limits ------------------------------------------------------------------


class RateCount(models.Model):
    """Requests of one client under one limit in its current window (api.throttling):
    one row per client and limit, counted by one atomic statement that every worker
    and host shares."""

    key = models.CharField(max_length=200, primary_key=True)
    window_end = models.BigIntegerField(help_text="When the window closes, in seconds since the epoch.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.hits}"


# --- Releases of a register ------------------------------------------------------------------


class Release(models.Model):
    """One import of one SIPRI export: which file (its sha256), what it held and what
    the import did with it. A file whose sha256 is recorded is not imported again."""

    format = models.CharField(max_length=20, help_text="The export's format: legacy or by-delivery-year.")
    generated = models.DateField(null=True, blank=True, help_text="The export's 'Data generated' date.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as read.")
    file_name = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(
        "Source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
        help_text="The source its claims cite.",
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The release of the same format its deals were matched against.",
    )
    rows = models.PositiveIntegerField(default=0, help_text="Rows read.")
    deals = models.PositiveIntegerField(default=0, help_text="Deals in the export.")
    rejected = models.PositiveIntegerField(default=0, help_text="Rows rejected.")
    created = models.PositiveIntegerField(default=0, help_text="Deals created in the register.")
    updated = models.PositiveIntegerField(default=0, help_text="Deals updated in the register.")
    unchanged = models.PositiveIntegerField(default=0, help_text="Deals the import left as they were.")
    kept = models.PositiveIntegerField(default=0, help_text="Deals edited by hand since, kept as edited.")
    dropped = models.PositiveIntegerField(default=0, help_text="Deals of the previous release absent from this one.")
    matched_exact = models.PositiveIntegerField(default=0, help_text="Deals matched to the previous release exactly.")
    matched_weaker = models.PositiveIntegerField(
        default=0, help_text="Deals matched to the previous release by a weaker rule."
    )
    ambiguous = models.PositiveIntegerField(
        default=0, help_text="Deals with several equally good candidates in the previous release: left unmatched."
    )
    added = models.PositiveIntegerField(default=0, help_text="Deals not in the previous release.")
    imported_by = models.CharField(max_length=150, blank=True, help_text="Who ran the import.")
    imported_at = models.DateTimeField(help_text="When the import ran.")
    seconds = models.FloatField(default=0)

    objects = NaturalKeyManager("sha256")

    class Meta:
        ordering = ["imported_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                name="release_sha256_unique",
                violation_error_message="This file (same SHA-256) is already recorded as a release.",
            ),
        ]

    def __str__(self):
        return f"{self.format} {self.generated or 'undated'} ({self.sha256[:8]})"

    def natural_key(self):
        return (self.sha256,)


class ReleaseDeal(models.Model):
    """A deal as one release published it: the figures of the file, not of the register
    (which editors may have changed since). `key` names the deal across releases (SIPRI's
    deal id, or the key of the deal it was matched to in the previous release), so what
    changed between two releases is a join on it."""

    class Match(models.TextChoices):
        EXACT = "exact", "matched exactly"
        WEAKER = "weaker", "matched by a weaker rule"
        AMBIGUOUS = "ambiguous", "ambiguous: several candidates, left unmatched"
        NEW = "new", "not in the previous release"

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="snapshot")
    key = models.CharField(max_length=100, help_text="The deal's key across releases.")
    reference = models.CharField(max_length=100, help_text="The row's reference in this export.")
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="release_deals"
    )
    match = models.CharField(max_length=10, choices=Match.choices)
    match_rule = models.CharField(max_length=100, blank=True)
    supplier = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="+")
    designation = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    category = models.CharField(max_length=20, blank=True)
    order_year = models.PositiveSmallIntegerField()
    order_year_is_estimate = models.BooleanField(default=False)
    quantity_ordered = models.PositiveIntegerField(null=True, blank=True)
    quantity_ordered_is_estimate = models.BooleanField(default=False)
    delivered = models.PositiveIntegerField(null=True, blank=True)
    delivered_is_estimate = models.BooleanField(default=False)
    delivery_years = models.CharField(max_length=400, blank=True, help_text="As published: '2006; 2007'.")
    status = models.CharField(max_length=24, blank=True, help_text="New, second-hand...: the transfer's condition.")
    tiv_per_unit = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    tiv_order = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    tiv_delivered = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    comments = models.TextField(blank=True)

    class Meta:
        ordering = ["release", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "key"],
                name="release_deal_key_unique",
                violation_error_message="A release holds each deal once.",
            ),
        ]
        indexes = [models.Index(fields=["contract", "release"], name="release_deal_contract")]

    def __str__(self):
        return f"{self.release_id}: {self.key}"


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


# Articles and their draft claims (transfers.articles): a table of their own, so drafts are never claims.
from .articles.models import Article, Draft  # noqa: E402, F401

# The yearly totals (transfers.totals): tables of their own, kept by triggers and a refresh.
from .totals.models import TotalsDirty, YearlyTotal  # noqa: E402, F401
