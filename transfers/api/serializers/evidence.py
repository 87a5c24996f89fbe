"""Evidence: sources, claims with their typed assertion (AssertionSerializer), and a deal's
evidence per field (/api/contracts/{id}/evidence/, the rule in transfers.evidence)."""

from rest_framework import serializers

from ...assertions import (
    ACCEPTED,
    EMPTY,
    NUMBER_FIELDS,
    QUANTITY_FIELDS,
    AssertedStatus,
    AssertionField,
    Qualifier,
)
from ...models import (
    Claim,
    Contract,
    Delivery,
    Person,
    Source,
    Transfer,
    WeaponSystem,
)
from ..fields import (
    AssertionBooleanField,
    AssertionChoiceField,
    AssertionDecimalField,
    AssertionIntegerField,
    AssertionPartMixin,
    AssertionTextField,
    NestedRelatedField,
    PartialDateField,
)
from .base import (
    ActorBriefSerializer,
    BaseModelSerializer,
    ContractBriefSerializer,
    DeliveryBriefSerializer,
    PersonBriefSerializer,
    SourceBriefSerializer,
    SystemBriefSerializer,
    TransferBriefSerializer,
    actor_field,
)

# --- Sources and claims ------------------------------------------------------------------------


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


# --- A deal's evidence per field --------------------------------------------------------------------------------


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
