"""Serializers: each lists exactly what it renders; views prefetch exactly that."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers

from ..history import CHANNEL_CHOICES
from ..models import (
    Actor,
    Claim,
    Contract,
    Delivery,
    Person,
    PublishedInconsistency,
    Source,
    Transfer,
    WeaponSystem,
)
from .fields import (
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
            "assertion_field",
            "assertion_value",
            "quote",
            "summary",
            "stated_date",
            "stated_date_precision",
            "rank",
            "deprecation_reason",
        ]
        extra_kwargs = {"key": {"required": False}}


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


class TimelineEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["order", "delivery", "claim"])
    date = serializers.CharField(allow_null=True)
    date_precision = serializers.CharField(allow_null=True)
    date_basis = serializers.CharField(help_text="What the date is: ordered, delivered, stated or published.")
    description = serializers.CharField()
    claim = serializers.DictField(allow_null=True)
    sources = TimelineSourceSerializer(many=True)


class SummaryValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class SummaryRowSerializer(serializers.Serializer):
    group = serializers.DictField(help_text="The group keys, e.g. supplier and order_year.")
    transfers = serializers.IntegerField()
    quantity_ordered = serializers.IntegerField(allow_null=True)
    quantity_delivered = serializers.IntegerField(allow_null=True)
    values = SummaryValueSerializer(many=True)

    def to_representation(self, instance):
        # Rows come from the summary selector already in shape; only amounts need formatting.
        # Skipping the per-field machinery matters with thousands of groups.
        amount = self.fields["values"].child.fields["amount"]
        return {
            "group": instance["group"],
            "transfers": instance["transfers"],
            "quantity_ordered": instance["quantity_ordered"],
            "quantity_delivered": instance["quantity_delivered"],
            "values": [
                {"currency": value["currency"], "amount": amount.to_representation(value["amount"])}
                for value in instance["values"]
            ],
        }
