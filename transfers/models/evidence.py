"""Sources and what they say: a claim about exactly one record, with its typed assertion."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import TruncMonth, TruncYear

from ..assertions import COLUMNS as ASSERTION_COLUMNS
from ..assertions import (
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
from ..dates import Precision, format_partial_date, sane_date_check, validate_not_future, validate_sane_date
from .base import (
    CanonicalURLField,
    History,
    NaturalKeyManager,
    new_key,
    validate_currency,
    validate_language,
    validate_not_an_id,
)
from .deals import Contract, Delivery, Transfer
from .reference import Actor, Person, WeaponSystem


def _published_from():
    """The first day the published date allows at its precision: "May 2007" may be any day of it."""
    return Case(
        When(published_date_precision=Precision.YEAR, then=TruncYear("published_date")),
        When(published_date_precision=Precision.MONTH, then=TruncMonth("published_date")),
        default=F("published_date"),
        output_field=models.DateField(),
    )


class Source(models.Model):
    """A document: a news report, an official statement, a register or dataset."""

    class Kind(models.TextChoices):
        NEWS_REPORT = "news-report", "news report"
        OFFICIAL_STATEMENT = "official-statement", "official statement"
        GOVERNMENT_REPORT = "government-report", "government report"
        REGISTER = "register", "register or dataset"
        OTHER = "other", "other"

    key = models.SlugField(max_length=100, unique=True, default=new_key, validators=[validate_not_an_id])
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS_REPORT, db_index=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True, help_text="e.g. The Associated Press")
    outlet = models.CharField(max_length=200, blank=True, help_text="Where it appeared, e.g. NBC News")
    url = CanonicalURLField(max_length=1000, blank=True)
    published_date = models.DateField(null=True, blank=True, validators=[validate_sane_date, validate_not_future])
    published_date_precision = models.CharField(max_length=5, choices=Precision.choices, default=Precision.DAY)
    accessed_date = models.DateField(null=True, blank=True, validators=[validate_sane_date, validate_not_future])
    language = models.CharField(max_length=8, blank=True, default="en", validators=[validate_language])
    notes = models.TextField(blank=True)

    objects = NaturalKeyManager("key")
    history = History()

    class Meta:
        ordering = ["-published_date", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"],
                condition=~Q(url=""),
                name="source_url_unique",
                violation_error_message="A source with this URL already exists.",
                # Django gives a one-field constraint's "unique" refusal to its field (the URL
                # field's error in the admin and the API), not to the whole form.
                violation_error_code="unique",
            ),
            models.CheckConstraint(
                condition=sane_date_check("published_date") & sane_date_check("accessed_date"),
                name="source_dates_sane",
                violation_error_message="Source dates must lie between 1900 and 2100.",
            ),
            # Nobody reads a document before it exists: one of the two dates is mistyped.
            models.CheckConstraint(
                condition=Q(accessed_date__isnull=True)
                | Q(published_date__isnull=True)
                | Q(accessed_date__gte=_published_from()),
                name="source_accessed_after_published",
                violation_error_message="The accessed date is before the published date: a source cannot be "
                "read before it appears.",
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

    key = models.SlugField(max_length=100, unique=True, default=new_key, validators=[validate_not_an_id])
    # No index of its own: claim_source_id leads with it.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims", db_index=False)
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
    # Indexed by claim_statement, the non-empty keys only.
    statement = models.SlugField(
        max_length=100,
        db_index=False,
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
    history = History()

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
