"""The trade register and its reference records: actors, people, weapon systems, contracts,
transfers (the register's lines and columns: TransferSerializer) and deliveries."""

from rest_framework import serializers

from ...models import (
    Actor,
    Contract,
    Delivery,
    Person,
    PublishedInconsistency,
    Transfer,
    WeaponSystem,
)
from ..fields import (
    NestedRelatedField,
    PartialDateField,
    StrictCharField,
    YearListField,
)
from .base import (
    ActorBriefSerializer,
    BaseModelSerializer,
    ContractBriefSerializer,
    SystemBriefSerializer,
    TransferBriefSerializer,
    actor_field,
)


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
    supplier = ActorBriefSerializer(source="cached_supplier", read_only=True)
    recipient = ActorBriefSerializer(source="cached_recipient", read_only=True)
    system = NestedRelatedField(brief=SystemBriefSerializer, lookup="slug", queryset=WeaponSystem.objects.all())
    quantity_delivered = serializers.IntegerField(read_only=True, allow_null=True)
    quantity_remaining = serializers.IntegerField(read_only=True, allow_null=True)
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

    def validate_contract(self, contract):
        # The register holds arms deals' lines only: a line written to another deal was saved
        # and then answered 404, as out of this endpoint's reach (a client that tried again
        # made a second one).
        if contract.kind != Contract.Kind.ARMS:
            raise serializers.ValidationError(
                f"Deal {contract.reference} is not an arms transfer (kind {contract.kind}): the register holds "
                "only arms deals' lines. Make it an arms deal first (PATCH /api/contracts/), or record its "
                "lines in the admin."
            )
        return contract


class DeliverySerializer(BaseModelSerializer):
    transfer = NestedRelatedField(brief=TransferBriefSerializer, lookup="id", queryset=Transfer.objects.all())
    # What the register shows of the delivery's transfer, so that a delivery row (and the
    # CSV) answers "what did Russia deliver in 2006": the parties are the transfer's
    # copies of its contract's (see transfers.cache), one join fewer.
    supplier = ActorBriefSerializer(source="transfer.cached_supplier", read_only=True)
    recipient = ActorBriefSerializer(source="transfer.cached_recipient", read_only=True)
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
