"""Serializers: each lists exactly what it renders; views prefetch exactly that."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ..assertions import (
    ACCEPTED,
    EMPTY,
    NUMBER_FIELDS,
    QUANTITY_FIELDS,
    AssertedStatus,
    AssertionField,
    Qualifier,
)
from ..changes import FED
from ..history import CHANNEL_CHOICES
from ..models import (
    Actor,
    Claim,
    Contract,
    Delivery,
    Person,
    PublishedInconsistency,
    Release,
    ReleaseDeal,
    Source,
    Transfer,
    WeaponSystem,
)
from ..releases import DIFF_FIELDS
from .fields import (
    AssertionBooleanField,
    AssertionChoiceField,
    AssertionDecimalField,
    AssertionIntegerField,
    AssertionPartMixin,
    AssertionTextField,
    NestedRelatedField,
    PartialDateField,
    StrictCharField,
    StrictSlugField,
    StrictURLField,
    YearListField,
)

# --- Brief representations of related records ----------------------------------------


class ActorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ["id", "code", "name"]


class PersonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "slug", "name"]


class SystemBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = WeaponSystem
        fields = ["id", "slug", "designation", "category"]


class ContractBriefSerializer(serializers.ModelSerializer):
    order_date = PartialDateField(date_field="order_date", read_only=True, allow_null=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "status",
            "order_date",
            "order_date_precision",
            # SIPRI's "?" on the year of order: shown wherever the date is.
            "order_date_is_estimate",
            "value_amount",
            "value_currency",
            "value_is_estimate",
        ]


class TransferBriefSerializer(serializers.ModelSerializer):
    contract = serializers.CharField(source="contract.reference", read_only=True)
    system = serializers.CharField(source="system.slug", read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "contract", "line", "system"]


class DeliveryBriefSerializer(serializers.ModelSerializer):
    date = PartialDateField(date_field="date", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "transfer", "date", "quantity"]


class SourceBriefSerializer(serializers.ModelSerializer):
    published_date = PartialDateField(date_field="published_date", read_only=True, allow_null=True)

    class Meta:
        model = Source
        fields = ["id", "key", "title", "publisher", "outlet", "url", "published_date"]


def actor_field(**kwargs):
    return NestedRelatedField(
        brief=ActorBriefSerializer, lookup="code", case_insensitive=True, queryset=Actor.objects.all(), **kwargs
    )


# --- Validation shared with the admin ---------------------------------------------------------


class ModelValidationMixin:
    """Run the model's own validation (field validators, clean(), constraints), as the admin does."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = self.instance or model()
        original = {name: getattr(instance, name) for name in attrs if hasattr(instance, name)}
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
            # What clean() normalised (a currency in capitals) is what gets saved.
            attrs = {name: getattr(instance, name) if name in original else value for name, value in attrs.items()}
        except DjangoValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            raise serializers.ValidationError(
                {("non_field_errors" if field == "__all__" else field): messages for field, messages in errors.items()}
            ) from exc
        finally:
            if self.instance is not None:
                for name, value in original.items():
                    setattr(self.instance, name, value)
        return attrs


class BaseModelSerializer(ModelValidationMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
    }


# --- Resources -------------------------------------------------------------------------------


class ActorSerializer(BaseModelSerializer):
    parent = actor_field(required=False, allow_null=True)
    aliases = serializers.ListField(child=StrictCharField(max_length=200), required=False)

    class Meta:
        model = Actor
        fields = ["id", "code", "name", "kind", "parent", "aliases", "notes"]


class PersonSerializer(BaseModelSerializer):
    affiliation = actor_field(required=False, allow_null=True)

    class Meta:
        model = Person
        fields = ["id", "slug", "name", "title", "affiliation", "notes"]


class WeaponSystemSerializer(BaseModelSerializer):
    producer = actor_field(required=False, allow_null=True)
    origin = actor_field(required=False, allow_null=True)
    other_names = serializers.ListField(child=StrictCharField(max_length=200), required=False)

    class Meta:
        model = WeaponSystem
        fields = [
            "id",
            "slug",
            "designation",
            "category",
            "description",
            "producer",
            "origin",
            "other_names",
            "capability_notes",
        ]


class ContractSerializer(BaseModelSerializer):
    supplier = actor_field()
    recipient = actor_field()
    order_date = PartialDateField(date_field="order_date", required=False, allow_null=True)
    order_date_precision = serializers.CharField(read_only=True)
    transfer_count = serializers.IntegerField(source="line_count", read_only=True)
    claim_count = serializers.IntegerField(read_only=True)
    disputed = serializers.BooleanField(
        read_only=True, help_text="Claims about the deal disagree on a figure: see /api/contracts/{id}/evidence/."
    )
    absent_from = serializers.IntegerField(
        source="absent_from_id",
        read_only=True,
        allow_null=True,
        help_text="The release of the SIPRI register that no longer contains the deal (/api/releases/{id}/); "
        "such deals are listed only with absent=include or absent=only.",
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "kind",
            "title",
            "supplier",
            "recipient",
            "status",
            "order_date",
            "order_date_precision",
            "order_date_is_estimate",
            "value_amount",
            "value_currency",
            "value_is_estimate",
            "sipri_deal_id",
            "notes",
            "transfer_count",
            "claim_count",
            "disputed",
            "absent_from",
        ]


class TransferSerializer(BaseModelSerializer):
    """One line of the trade register."""

    contract = NestedRelatedField(brief=ContractBriefSerializer, lookup="reference", queryset=Contract.objects.all())
    # The register's own columns (selectors.transfer_list): the parties as copied from the
    # contract (transfers.cache), and values computed in the row's query.
    supplier = ActorBriefSerializer(read_only=True)
    recipient = ActorBriefSerializer(read_only=True)
    system = NestedRelatedField(brief=SystemBriefSerializer, lookup="slug", queryset=WeaponSystem.objects.all())
    quantity_delivered = serializers.IntegerField(source="delivered_total", read_only=True, allow_null=True)
    quantity_remaining = serializers.IntegerField(source="remaining", read_only=True, allow_null=True)
    delivery_years = YearListField(source="delivery_year_list")
    claim_count = serializers.IntegerField(read_only=True)
    # Empty when the figures keep the rules; the schema must say so (found by schemathesis).
    published_inconsistency = serializers.ChoiceField(
        choices=PublishedInconsistency.choices, allow_blank=True, read_only=True
    )
    disputed = serializers.BooleanField(
        source="contract.disputed",
        read_only=True,
        help_text="Claims about the deal disagree on a figure: see /api/transfers/{id}/evidence/.",
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "contract",
            "line",
            "supplier",
            "recipient",
            "system",
            "quantity_ordered",
            "quantity_ordered_is_estimate",
            "reported_delivered",
            "reported_delivered_is_estimate",
            "quantity_delivered",
            "quantity_remaining",
            "delivery_years",
            "condition",
            "licensed_production",
            "tiv_per_unit",
            "tiv_order",
            "tiv_delivered",
            "comments",
            "published_inconsistency",
            "claim_count",
            "disputed",
        ]


class DeliverySerializer(BaseModelSerializer):
    transfer = NestedRelatedField(brief=TransferBriefSerializer, lookup="id", queryset=Transfer.objects.all())
    # What the register shows of the delivery's transfer, so that a delivery row (and the
    # CSV) answers "what did Russia deliver in 2006": the parties are the transfer's
    # copies of its contract's (see transfers.cache), one join fewer.
    supplier = ActorBriefSerializer(source="transfer.supplier", read_only=True)
    recipient = ActorBriefSerializer(source="transfer.recipient", read_only=True)
    system = SystemBriefSerializer(source="transfer.system", read_only=True)
    date = PartialDateField(date_field="date")
    date_precision = serializers.CharField(read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "transfer",
            "line",
            "supplier",
            "recipient",
            "system",
            "date",
            "date_precision",
            "date_is_estimate",
            "quantity",
            "quantity_is_estimate",
            "tiv",
            "notes",
        ]


class SourceSerializer(BaseModelSerializer):
    published_date = PartialDateField(date_field="published_date", required=False, allow_null=True)
    published_date_precision = serializers.CharField(read_only=True)
    claim_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "key",
            "kind",
            "title",
            "publisher",
            "outlet",
            "url",
            "published_date",
            "published_date_precision",
            "accessed_date",
            "language",
            "notes",
            "claim_count",
        ]
        extra_kwargs = {"key": {"required": False}}


def _accepted(kind):
    return f"Accepted: {ACCEPTED[kind]}."


class AssertionSerializer(serializers.Serializer):
    """A claim's structured assertion: the field of the deal it is about and its typed value.

    Each field takes its own keys, the others are null: a quantity (`quantity_ordered`,
    `quantity_delivered`) takes `quantity` (and `quantity_max` for a range), a `value`
    takes `amount` (and `amount_max`) and `currency` (ISO 4217); both take `qualifier`
    (exact, about, at-least, more-than, up-to, less-than) and `is_estimate`. A date
    (`order_date`, `delivery_date`) takes `date` (YYYY, YYYY-MM or YYYY-MM-DD) and
    `date_end` for a range. A `status` takes `status` and `negated` ("not completed").
    `text` is the value as the source words it ("$1 billion"); given alone, it is read
    into the typed keys. For `other`, the text is the assertion. Written as a whole:
    keys left out are cleared; null clears the assertion.
    """

    field = AssertionChoiceField(
        source="assertion_field", choices=AssertionField.choices, allow_null=False, required=True
    )
    qualifier = AssertionChoiceField(
        source="assertion_qualifier", choices=Qualifier.choices, allow_blank=True, applies_to=NUMBER_FIELDS
    )
    quantity = AssertionIntegerField(
        source="assertion_quantity",
        min_value=0,
        max_value=2**31 - 1,
        applies_to=QUANTITY_FIELDS,
        help_text="A quantity, or the low end of a range.",
        error_messages={"invalid": "A quantity is a whole number. " + _accepted("quantity")},
    )
    quantity_max = AssertionIntegerField(
        source="assertion_quantity_max",
        min_value=0,
        max_value=2**31 - 1,
        applies_to=QUANTITY_FIELDS,
        help_text="The high end of a range of quantities (29-30).",
        error_messages={"invalid": "A quantity is a whole number. " + _accepted("quantity")},
    )
    amount = AssertionDecimalField(
        source="assertion_amount",
        max_digits=18,
        decimal_places=2,
        min_value=0,
        applies_to=[AssertionField.VALUE],
        help_text="An amount, or the low end of a range, in `currency`.",
        error_messages={"invalid": 'An amount is a number, e.g. "1000000000". ' + _accepted("value")},
    )
    amount_max = AssertionDecimalField(
        source="assertion_amount_max",
        max_digits=18,
        decimal_places=2,
        min_value=0,
        applies_to=[AssertionField.VALUE],
        help_text="The high end of a range of amounts.",
        error_messages={"invalid": 'An amount is a number, e.g. "1000000000". ' + _accepted("value")},
    )
    currency = AssertionTextField(
        source="assertion_currency",
        max_length=3,
        allow_blank=True,
        applies_to=[AssertionField.VALUE],
        help_text="ISO 4217, e.g. USD.",
    )
    is_estimate = AssertionBooleanField(source="assertion_is_estimate", applies_to=NUMBER_FIELDS)
    date = PartialDateField(date_field="assertion_date", required=False, allow_null=True)
    date_end = PartialDateField(date_field="assertion_date_end", required=False, allow_null=True)
    status = AssertionChoiceField(
        source="assertion_status",
        choices=AssertedStatus.choices,
        allow_blank=True,
        applies_to=[AssertionField.STATUS],
        help_text="The contract's statuses, and `delivered` (some or all delivered).",
    )
    negated = AssertionBooleanField(
        source="assertion_negated",
        applies_to=[AssertionField.STATUS],
        help_text="The source says the status does not hold (not completed).",
    )
    text = AssertionTextField(
        source="assertion_value",
        max_length=200,
        allow_blank=True,
        help_text="The value as the source words it ('$1 billion'); read into the typed keys when given alone.",
    )

    FORM = (
        'Give the assertion as an object, e.g. {"field": "value", "amount": "1000000000", "currency": "USD"}, '
        '{"field": "quantity_ordered", "quantity": 30, "qualifier": "about"}, {"field": "status", "status": '
        '"completed", "negated": true}, or with only the text to read: {"field": "value", "text": "$1 billion"}.'
    )

    @classmethod
    def column_keys(cls):
        """{model column: key of this object}, for naming the model's errors."""
        keys = {}
        for name, field in cls().fields.items():
            if isinstance(field, PartialDateField):
                keys[field.date_field] = keys[field.precision_field] = name
            else:
                keys[field.source] = name
        return keys

    def to_representation(self, instance):
        field = instance.assertion_field
        if not field:
            return None
        return {
            name: part.from_values(part.get_attribute(instance), field)
            if isinstance(part, AssertionPartMixin)
            else part.to_representation(instance)
            for name, part in self.fields.items()
        }

    def to_internal_value(self, data):
        # The assertion is written as a whole: what is not given is cleared.
        values = dict(EMPTY)
        if data is None:
            return values
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [self.FORM]})
        errors = {
            key[:60]: [f"Unknown key; an assertion takes: {', '.join(self.fields)}."]
            for key in data
            if key not in self.fields
        }
        if "field" not in data:
            errors["field"] = [
                "Say which field of the deal the assertion is about: " + ", ".join(AssertionField.values)
            ]
        for name, part in self.fields.items():
            if name not in data or name in errors:
                continue
            try:
                value = part.run_validation(data[name])
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
                continue
            if isinstance(part, PartialDateField):
                values.update(value)
            elif value is not None:
                values[part.source] = value
        if errors:
            raise serializers.ValidationError(errors)
        return values

    def validate_empty_values(self, data):
        # source="*" objects never see None otherwise; null clears the assertion.
        if data is None and self.allow_null:
            return (False, None)
        return super().validate_empty_values(data)


class ClaimSerializer(BaseModelSerializer):
    source = NestedRelatedField(brief=SourceBriefSerializer, lookup="key", queryset=Source.objects.all())
    subject_type = serializers.CharField(read_only=True)
    contract = NestedRelatedField(
        brief=ContractBriefSerializer,
        lookup="reference",
        queryset=Contract.objects.all(),
        required=False,
        allow_null=True,
    )
    transfer = NestedRelatedField(
        brief=TransferBriefSerializer, lookup="id", queryset=Transfer.objects.all(), required=False, allow_null=True
    )
    delivery = NestedRelatedField(
        brief=DeliveryBriefSerializer, lookup="id", queryset=Delivery.objects.all(), required=False, allow_null=True
    )
    system = NestedRelatedField(
        brief=SystemBriefSerializer,
        lookup="slug",
        queryset=WeaponSystem.objects.all(),
        required=False,
        allow_null=True,
    )
    actor = actor_field(required=False, allow_null=True)
    speaker = NestedRelatedField(
        brief=PersonBriefSerializer, lookup="slug", queryset=Person.objects.all(), required=False, allow_null=True
    )
    speaker_actor = actor_field(required=False, allow_null=True)
    stated_date = PartialDateField(date_field="stated_date", required=False, allow_null=True)
    stated_date_precision = serializers.CharField(read_only=True)
    stated_date_end = PartialDateField(date_field="stated_date_end", required=False, allow_null=True)
    stated_date_end_precision = serializers.CharField(read_only=True)
    assertion = AssertionSerializer(source="*", required=False, allow_null=True)
    cites = NestedRelatedField(
        brief=SourceBriefSerializer,
        lookup="key",
        queryset=Source.objects.all(),
        required=False,
        allow_null=True,
        help_text="The source this one relies on (the outlet a media report cites).",
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "key",
            "source",
            "subject_type",
            "contract",
            "transfer",
            "delivery",
            "system",
            "actor",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "attribution",
            "stance",
            "assertion",
            "statement",
            "cites",
            "quote",
            "summary",
            "stated_date",
            "stated_date_precision",
            "stated_date_end",
            "stated_date_end_precision",
            "rank",
            "deprecation_reason",
        ]
        extra_kwargs = {"key": {"required": False}}

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            # The model names the assertion's columns; the API, the keys of `assertion`.
            raise serializers.ValidationError(assertion_errors_nested(exc.detail)) from exc


def assertion_errors_nested(detail):
    """Errors keyed by the assertion's model columns, moved under `assertion` by its keys."""
    if not isinstance(detail, dict):
        return detail
    keys = AssertionSerializer.column_keys()
    nested, out = {}, {}
    for name, messages in detail.items():
        if name in keys:
            nested.setdefault(keys[name], []).extend(messages)
        else:
            out[name] = messages
    if nested:
        out["assertion"] = nested
    return out


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(
        allow_null=True, help_text="Who made the change; only for signed-in users who may view the record."
    )
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, help_text="Through which channel the change came.")
    reason = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)


class TimelineSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    outlet = serializers.CharField()
    url = serializers.CharField()
    published_date = serializers.CharField(allow_null=True)


class TimelineClaimSerializer(serializers.ModelSerializer):
    """A claim in a timeline: who said what, with its typed assertion."""

    subject_type = serializers.CharField(read_only=True)
    speaker = serializers.CharField(source="speaker.name", allow_null=True, read_only=True)
    speaker_actor = serializers.CharField(source="speaker_actor.code", allow_null=True, read_only=True)
    assertion = AssertionSerializer(source="*", read_only=True, allow_null=True)
    cites = serializers.CharField(source="cites.key", allow_null=True, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "key",
            "subject_type",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "attribution",
            "stance",
            "assertion",
            "statement",
            "cites",
            "quote",
            "rank",
        ]


class TimelineEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["order", "delivery", "claim", "statement"],
        help_text="A statement is several claims of one quote, speaker and source (their shared statement key).",
    )
    date = serializers.CharField(
        allow_null=True, help_text="At its precision (2005-12); a range as start/end (2007-01-16/2007-01-17)."
    )
    date_precision = serializers.CharField(allow_null=True, help_text="The precision of the date (or range start).")
    date_end = serializers.CharField(allow_null=True, help_text="The end of a range of dates, else null.")
    date_basis = serializers.CharField(help_text="What the date is: ordered, delivered, stated or published.")
    description = serializers.CharField()
    claim = TimelineClaimSerializer(allow_null=True, help_text="The claim of a claim event, else null.")
    claims = TimelineClaimSerializer(many=True, help_text="The claims of a claim or statement event.")
    sources = TimelineSourceSerializer(many=True)


# --- Evidence --------------------------------------------------------------------------------


class EvidenceSubjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["contract", "transfer", "delivery"])
    id = serializers.IntegerField()
    label = serializers.CharField()


class EvidenceClaimSerializer(serializers.ModelSerializer):
    """A claim as evidence for one field: its typed value, who says it, where and when, and
    how it compares."""

    about = EvidenceSubjectSerializer(source="evidence.about", help_text="The record the claim is about.")
    assertion = AssertionSerializer(source="*", read_only=True)
    display = serializers.CharField(source="evidence.display", help_text="The typed value as read: about 30.")
    normalised = serializers.JSONField(
        source="evidence.normalised",
        help_text=(
            "What the value allows, as compared: {low, high, low_open, high_open} for a figure "
            "(null: unbounded) or for days, {states} for a status."
        ),
    )
    agrees_with_record = serializers.BooleanField(
        source="evidence.agrees_with_record",
        allow_null=True,
        help_text="Whether it allows the record's current value (null: nothing to compare).",
    )
    speaker = PersonBriefSerializer(allow_null=True)
    speaker_actor = ActorBriefSerializer(allow_null=True)
    source = SourceBriefSerializer()
    cites = SourceBriefSerializer(allow_null=True)
    date = serializers.CharField(source="evidence.date", allow_null=True)
    date_basis = serializers.ChoiceField(choices=["stated", "published"], source="evidence.date_basis", allow_null=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "key",
            "statement",
            "about",
            "assertion",
            "display",
            "normalised",
            "agrees_with_record",
            "stance",
            "attribution",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "source",
            "cites",
            "date",
            "date_basis",
            "rank",
            "deprecation_reason",
            "summary",
            "quote",
        ]


class EvidenceRecordSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["contract", "transfer"])
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="The deal's reference.")
    line = serializers.IntegerField(allow_null=True, help_text="The line number of a transfer.")
    label = serializers.CharField()


class EvidenceValueSerializer(serializers.Serializer):
    """A record's current value, typed as an assertion is (only the keys of its field)."""

    display = serializers.CharField()
    amount = serializers.CharField(required=False)
    currency = serializers.CharField(required=False)
    quantity = serializers.IntegerField(required=False)
    date = serializers.CharField(required=False)
    dates = serializers.ListField(child=serializers.CharField(), required=False)
    status = serializers.CharField(required=False)
    is_estimate = serializers.BooleanField(required=False)


class EvidenceFieldSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=AssertionField.choices)
    label = serializers.CharField()
    record = EvidenceRecordSerializer()
    current = EvidenceValueSerializer(allow_null=True, help_text="The record's current value; null when unknown.")
    disputed = serializers.BooleanField(help_text="Two claims about it disagree (after normalising).")
    conflicts = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The pairs of claims (ids) that disagree.",
    )
    follows = serializers.IntegerField(
        allow_null=True,
        help_text="The claim the current value follows: one that states it (else allows it), preferred rank first.",
    )
    claims = EvidenceClaimSerializer(many=True)


class EvidenceSerializer(serializers.Serializer):
    """A deal's evidence (or a line's): for each field claims can be about, the current
    value, every claim about it, and whether they disagree (rule: transfers.evidence)."""

    contract = ContractBriefSerializer()
    transfer = TransferBriefSerializer(allow_null=True)
    disputed = serializers.BooleanField()
    disputed_fields = serializers.ListField(child=serializers.ChoiceField(choices=AssertionField.choices))

    def get_fields(self):
        # `fields` is the serializer's own attribute: the key is declared here.
        return {**super().get_fields(), "fields": EvidenceFieldSerializer(many=True)}


class SummaryValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


def _tiv_field(help_text):
    return serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True, help_text=help_text)


def _share_field(of):
    return serializers.FloatField(
        allow_null=True,
        help_text=f"This group's share of the total {of} of every row of the answer (all the transfers the "
        "filters select), as a fraction from 0 to 1 (0.25 = 25%); null when the group or the total has none. "
        "Below 0 only on an `unplaced` row whose amount is negative.",
    )


class SummaryRowSerializer(serializers.Serializer):
    group = serializers.DictField(
        help_text="The group keys, e.g. supplier and order_year. By delivery year, `delivery_year` is null "
        "only on a row with `unplaced` true."
    )
    transfers = serializers.IntegerField(
        help_text="Transfers (deal lines) in the group; on an `unplaced` row, the lines whose TIV delivered "
        "is not (wholly) placed in a year."
    )
    quantity_ordered = serializers.IntegerField(allow_null=True)
    quantity_delivered = serializers.IntegerField(allow_null=True)
    values = SummaryValueSerializer(many=True)
    tiv_delivered = _tiv_field(
        "SIPRI TIV (trend-indicator value) of the weapons delivered, in millions of TIV: a volume, not money "
        "(no currency). A line's published TIV delivered, else its quantity delivered x its TIV per unit. By "
        "delivery year: the TIV placed in that year (a delivery's own TIV as the by-delivery-year export gives "
        "it; a line delivered in one year: all of it; else quantity x TIV per unit); the rest is in the "
        "`unplaced` rows, never spread over years."
    )
    tiv_ordered = _tiv_field(
        "SIPRI TIV of the whole order, in millions of TIV (not money): a line's published TIV for the total "
        "order, else its quantity ordered x its TIV per unit. Null by delivery year (an order is not split "
        "by year)."
    )
    tiv_delivered_share = _share_field("tiv_delivered")
    tiv_ordered_share = _share_field("tiv_ordered")
    unplaced = serializers.BooleanField(
        required=False,
        help_text="Only when grouped by delivery_year. True on the row (one per group of the other key) that "
        "holds the TIV delivered that cannot be placed in a year (a legacy register row delivered over several "
        "years, deliveries of unknown size): its delivery_year is null, its `tiv_delivered` that amount, its "
        "`transfers` the lines concerned; it adds up with the year rows to the group's total. The amount is "
        "negative where a deal's published per-year TIV (by-delivery-year export) adds up to more than its "
        "total in the legacy register (the two exports round differently). False on the year rows.",
    )

    def to_representation(self, instance):
        # Rows come from the summary selector already in shape; only amounts need formatting.
        # Skipping the per-field machinery matters with thousands of groups.
        amount = self.fields["values"].child.fields["amount"]
        tiv = self.fields["tiv_delivered"]
        row = {
            "group": instance["group"],
            "transfers": instance["transfers"],
            "quantity_ordered": instance["quantity_ordered"],
            "quantity_delivered": instance["quantity_delivered"],
            "values": [
                {"currency": value["currency"], "amount": amount.to_representation(value["amount"])}
                for value in instance["values"]
            ],
        }
        for name in ("tiv_delivered", "tiv_ordered"):
            row[name] = None if instance[name] is None else tiv.to_representation(instance[name])
        row["tiv_delivered_share"] = instance["tiv_delivered_share"]
        row["tiv_ordered_share"] = instance["tiv_ordered_share"]
        if "unplaced" in instance:
            row["unplaced"] = instance["unplaced"]
        return row


# --- Releases (transfers.releases) ------------------------------------------------------------


class ReleaseSerializer(serializers.ModelSerializer):
    """One import of a SIPRI export, with what it held and what the import did."""

    source = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "format",
            "generated",
            "sha256",
            "file_name",
            "source",
            "previous",
            "rows",
            "deals",
            "rejected",
            "created",
            "updated",
            "unchanged",
            "kept",
            "added",
            "dropped",
            "matched_exact",
            "matched_weaker",
            "ambiguous",
            "imported_by",
            "imported_at",
            "seconds",
        ]
        read_only_fields = fields


class ReleaseFieldChangeSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=DIFF_FIELDS)
    old = serializers.JSONField(allow_null=True, help_text="As the earlier release published it (TIVs as text).")
    new = serializers.JSONField(allow_null=True)


class ReleaseDealChangeSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["added", "dropped", "revised"])
    key = serializers.CharField(help_text="The deal's key across releases.")
    reference = serializers.CharField(help_text="The deal's reference in the release that holds it.")
    contract = serializers.IntegerField(allow_null=True, help_text="The id of the contract that holds the deal.")
    supplier = serializers.CharField(help_text="Actor code.")
    recipient = serializers.CharField(help_text="Actor code.")
    designation = serializers.CharField()
    category = serializers.CharField()
    order_year = serializers.IntegerField()
    match = serializers.ChoiceField(
        choices=ReleaseDeal.Match.values, help_text="How the deal was matched in the later release (or why not)."
    )
    match_rule = serializers.CharField()
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="The deal's figures in the later release (in the earlier one for a dropped deal).",
    )
    fields = ReleaseFieldChangeSerializer(many=True, help_text="Revised deals: each changed field, old and new.")


class ReleaseSupplierTotalSerializer(serializers.Serializer):
    supplier = serializers.CharField(help_text="Actor code.")
    added = serializers.IntegerField()
    dropped = serializers.IntegerField()
    revised = serializers.IntegerField()
    tiv_added = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="SIPRI TIV for total order of the deals added (millions)."
    )
    tiv_removed = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="SIPRI TIV for total order of the deals dropped."
    )
    tiv_revised = serializers.DecimalField(
        max_digits=20, decimal_places=3, help_text="Sum of new minus old TIV for total order of the revised deals."
    )


class ReleaseChangeCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    dropped = serializers.IntegerField()
    revised = serializers.IntegerField()


class ReleaseChangesSerializer(serializers.Serializer):
    release = serializers.IntegerField()
    since = serializers.IntegerField()
    counts = ReleaseChangeCountsSerializer(help_text="Under the filters given.")
    totals = ReleaseSupplierTotalSerializer(many=True, help_text="Per supplier, under the filters given.")
    count = serializers.IntegerField(help_text="Deals changed (added, dropped, revised) under the filters.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReleaseDealChangeSerializer(many=True)


# --- The change feed (transfers.changes) ---------------------------------------------------------


class ChangeEntrySerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text="This change's cursor: `since` to continue after it.")
    record_type = serializers.ChoiceField(choices=list(FED))
    id = serializers.IntegerField(help_text="The record's id.")
    key = serializers.CharField(allow_null=True, help_text="The record's natural key (code, slug, reference...).")
    kind = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES, help_text="Through which channel the change came.")
    release = serializers.IntegerField(allow_null=True, help_text="For an import: the release (/api/releases/).")
    date = serializers.DateTimeField()
    values = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="The record's values after the change (before, if deleted).",
    )


@extend_schema_serializer(many=False)  # one answer holding a page, though the view is a list
class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeEntrySerializer(many=True)
    cursor = serializers.CharField(help_text="Pass as `since` for the changes after these (the same if none).")
    more = serializers.BooleanField(help_text="Whether more changes follow now.")
    next = serializers.URLField(help_text="The URL of the changes after these.")
