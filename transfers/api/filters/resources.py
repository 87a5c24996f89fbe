"""One FilterSet per resource, all in this module: what each list's parameters filter on."""

import datetime

import django_filters as filters
from django.db.models import Exists, OuterRef

from ...assertions import AssertionField
from ...changes import FED
from ...models import (
    Actor,
    Category,
    Change,
    Claim,
    Contract,
    Delivery,
    Person,
    Release,
    ReleaseDeal,
    Source,
    Transfer,
    WeaponSystem,
)
from ...selectors import (
    transfer_has_claims_q,
)
from ...sipri.releases import DIFF_FIELDS
from .base import (
    AbsentFilter,
    AssertedFigureFilter,
    BaseFilterSet,
    ChoiceListFilter,
    ConfirmedFilter,
    CurrencyFilter,
    DeliveredBeforeOrderFilter,
    DisputedFilter,
    RecordListFilter,
    ReleaseIdFilter,
    YearFilter,
    actor_filter,
)


def _delivery_between(first, last):
    deliveries = Delivery.objects.filter(transfer=OuterRef("pk"))
    if first is not None:
        deliveries = deliveries.filter(date__gte=datetime.date(first, 1, 1))
    if last is not None:
        deliveries = deliveries.filter(date__lt=datetime.date(last + 1, 1, 1))
    return Exists(deliveries)


class ActorFilterSet(BaseFilterSet):
    kind = ChoiceListFilter(field_name="kind", choices=Actor.Kind.choices)
    role = filters.ChoiceFilter(
        choices=[("supplier", "supplier"), ("recipient", "recipient")],
        method="filter_role",
        help_text="Actors that appear in this role in an arms contract.",
    )
    parent = actor_filter("parent_id")
    supplied_to = actor_filter(
        "supplied_to",
        method="filter_supplied_to",
        help_text="Actor code(s) or ids, comma-separated (any of): actors that supplied arms to one of them "
        "(the supplier of an arms contract with that recipient; non-arms contracts do not count).",
    )
    received_from = actor_filter(
        "received_from",
        method="filter_received_from",
        help_text="Actor code(s) or ids, comma-separated (any of): actors that received arms from one of them "
        "(the recipient of an arms contract with that supplier; non-arms contracts do not count).",
    )

    class Meta:
        model = Actor
        fields = ["kind", "role", "parent", "supplied_to", "received_from"]

    def filter_role(self, qs, name, value):
        role_field = "supplier" if value == "supplier" else "recipient"
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, **{role_field: OuterRef("pk")})
        return qs.filter(Exists(contracts))

    # The contracts' (supplier, recipient, order date) index answers both.
    def filter_supplied_to(self, qs, name, value):
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, supplier=OuterRef("pk"), recipient_id__in=value)
        return qs.filter(Exists(contracts))

    def filter_received_from(self, qs, name, value):
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, recipient=OuterRef("pk"), supplier_id__in=value)
        return qs.filter(Exists(contracts))


class PersonFilterSet(BaseFilterSet):
    affiliation = actor_filter("affiliation_id")

    class Meta:
        model = Person
        fields = ["affiliation"]


class WeaponSystemFilterSet(BaseFilterSet):
    category = ChoiceListFilter(field_name="category", choices=Category.choices)
    producer = actor_filter("producer_id")
    origin = actor_filter("origin_id")

    class Meta:
        model = WeaponSystem
        fields = ["category", "producer", "origin"]


class ContractFilterSet(BaseFilterSet):
    supplier = actor_filter("supplier_id")
    recipient = actor_filter("recipient_id")
    status = ChoiceListFilter(field_name="status", choices=Contract.Status.choices)
    kind = ChoiceListFilter(field_name="kind", choices=Contract.Kind.choices)
    ordered_from = YearFilter(field_name="order_date", bound="from")
    ordered_to = YearFilter(field_name="order_date", bound="to")
    system = RecordListFilter(
        field_name="system", model=WeaponSystem, lookup="slug", method="filter_system", help_text="System slug(s)."
    )
    disputed = DisputedFilter()
    absent = AbsentFilter()

    class Meta:
        model = Contract
        fields = [
            "supplier",
            "recipient",
            "status",
            "kind",
            "ordered_from",
            "ordered_to",
            "system",
            "disputed",
            "absent",
        ]

    def filter_system(self, qs, name, value):
        return qs.filter(Exists(Transfer.objects.filter(contract=OuterRef("pk"), system_id__in=value)))

    def filter_absent(self, qs, name, value):
        return qs

    def filter_ranges(self, queryset):
        return AbsentFilter.apply(queryset, self.form.cleaned_data.get("absent") or "hide")


class TransferFilterSet(BaseFilterSet):
    # Parties, category and order date are the transfer's cached copies (see transfers.cache).
    supplier = actor_filter("cached_supplier_id")
    recipient = actor_filter("cached_recipient_id")
    system = RecordListFilter(field_name="system_id", model=WeaponSystem, lookup="slug")
    category = ChoiceListFilter(field_name="cached_category", choices=Category.choices)
    status = ChoiceListFilter(field_name="contract__status", choices=Contract.Status.choices)
    condition = ChoiceListFilter(field_name="condition", choices=Transfer.Condition.choices)
    contract = RecordListFilter(field_name="contract_id", model=Contract, lookup="reference")
    ordered_from = YearFilter(field_name="cached_order_date", bound="from")
    ordered_to = YearFilter(field_name="cached_order_date", bound="to")
    # Applied together in filter_ranges: both bounds hold for the same delivery.
    delivered_from = YearFilter(
        bound="from", method="filter_noop", help_text="Year (inclusive): transfers with a delivery in or after it."
    )
    delivered_to = YearFilter(
        bound="to", method="filter_noop", help_text="Year (inclusive): transfers with a delivery in or before it."
    )
    confirmed = ConfirmedFilter(help_text="true: an on-record claim confirms it; false: none does.")
    source = RecordListFilter(
        field_name="source",
        model=Source,
        lookup="key",
        method="filter_source",
        help_text="Source key(s) or ids: transfers supported by a claim of that source.",
    )
    disputed = DisputedFilter(contract="contract_id")
    delivered_before_order = DeliveredBeforeOrderFilter()
    # On the transfer's copy of its contract's absent_from (Transfer.COPIES).
    absent = AbsentFilter()

    class Meta:
        model = Transfer
        fields = [
            "supplier",
            "recipient",
            "system",
            "category",
            "status",
            "condition",
            "contract",
            "ordered_from",
            "ordered_to",
            "delivered_from",
            "delivered_to",
            "confirmed",
            "source",
            "disputed",
            "delivered_before_order",
            "absent",
        ]

    def filter_noop(self, qs, name, value):
        return qs

    def filter_absent(self, qs, name, value):
        return qs

    def filter_source(self, qs, name, value):
        return qs.filter(transfer_has_claims_q(source_id__in=value))

    def filter_ranges(self, queryset):
        absent = self.form.cleaned_data.get("absent") or "hide"
        queryset = AbsentFilter.apply(queryset, absent, field_name="cached_absent_from")
        # Both bounds apply to the same delivery.
        first = self.form.cleaned_data.get("delivered_from")
        last = self.form.cleaned_data.get("delivered_to")
        if first is None and last is None:
            return queryset
        return queryset.filter(_delivery_between(first, last))


class DeliveryFilterSet(BaseFilterSet):
    transfer = RecordListFilter(field_name="transfer_id", model=Transfer, lookup="id")
    contract = RecordListFilter(field_name="transfer__contract_id", model=Contract, lookup="reference")
    # The transfer's copies of its contract's parties: one join fewer.
    supplier = actor_filter("transfer__cached_supplier_id")
    recipient = actor_filter("transfer__cached_recipient_id")
    system = RecordListFilter(field_name="transfer__system_id", model=WeaponSystem, lookup="slug")
    # The transfer's copy of its system's category, as on the register.
    category = ChoiceListFilter(field_name="transfer__cached_category", choices=Category.choices)
    delivered_from = YearFilter(field_name="date", bound="from")
    delivered_to = YearFilter(field_name="date", bound="to")

    class Meta:
        model = Delivery
        fields = [
            "transfer",
            "contract",
            "supplier",
            "recipient",
            "system",
            "category",
            "delivered_from",
            "delivered_to",
        ]


class SourceFilterSet(BaseFilterSet):
    kind = ChoiceListFilter(field_name="kind", choices=Source.Kind.choices)
    publisher = filters.CharFilter(
        field_name="publisher", lookup_expr="iexact", help_text="Publisher (exact, any case)."
    )
    outlet = filters.CharFilter(field_name="outlet", lookup_expr="iexact")
    published_from = YearFilter(field_name="published_date", bound="from")
    published_to = YearFilter(field_name="published_date", bound="to")

    class Meta:
        model = Source
        fields = ["kind", "publisher", "outlet", "published_from", "published_to"]


class ClaimFilterSet(BaseFilterSet):
    source = RecordListFilter(field_name="source_id", model=Source, lookup="key")
    contract = RecordListFilter(
        any_of=("contract_id", "transfer__contract_id", "delivery__transfer__contract_id"),
        model=Contract,
        lookup="reference",
        help_text="Contract reference(s) or ids: claims about it, its transfers or its deliveries.",
    )
    transfer = RecordListFilter(
        any_of=("transfer_id", "delivery__transfer_id"),
        model=Transfer,
        lookup="id",
        help_text="Transfer id(s): claims about it or its deliveries.",
    )
    delivery = RecordListFilter(field_name="delivery_id", model=Delivery, lookup="id")
    system = RecordListFilter(field_name="system_id", model=WeaponSystem, lookup="slug")
    actor = RecordListFilter(
        any_of=("actor_id", "speaker_actor_id"),
        model=Actor,
        lookup="code",
        case_insensitive=True,
        help_text="Actor code(s): claims about the actor or made on its behalf.",
    )
    speaker = RecordListFilter(field_name="speaker_id", model=Person, lookup="slug")
    stance = ChoiceListFilter(field_name="stance", choices=Claim.Stance.choices)
    attribution = ChoiceListFilter(field_name="attribution", choices=Claim.Attribution.choices)
    rank = ChoiceListFilter(field_name="rank", choices=Claim.Rank.choices)
    stated_from = YearFilter(field_name="stated_date", bound="from")
    stated_to = YearFilter(field_name="stated_date", bound="to")
    assertion_field = ChoiceListFilter(field_name="assertion_field", choices=AssertionField.choices)
    value_min = AssertedFigureFilter(kind="value", bound="min")
    value_max = AssertedFigureFilter(kind="value", bound="max")
    currency = CurrencyFilter(
        field_name="assertion_currency", help_text="ISO 4217 code(s), comma-separated: claims asserting a value in it."
    )
    quantity_min = AssertedFigureFilter(kind="quantity", bound="min")
    quantity_max = AssertedFigureFilter(kind="quantity", bound="max")
    statement = filters.CharFilter(field_name="statement", help_text="A statement key: the claims of one statement.")
    cites = RecordListFilter(
        field_name="cites_id", model=Source, lookup="key", help_text="Claims citing these sources."
    )

    class Meta:
        model = Claim
        fields = [
            "source",
            "contract",
            "transfer",
            "delivery",
            "system",
            "actor",
            "speaker",
            "stance",
            "attribution",
            "rank",
            "stated_from",
            "stated_to",
            "assertion_field",
            "value_min",
            "value_max",
            "currency",
            "quantity_min",
            "quantity_max",
            "statement",
            "cites",
        ]


class ReleaseFilterSet(BaseFilterSet):
    # Not `format`, which names the response's format (?format=json).
    file_format = ChoiceListFilter(
        field_name="format", choices=[("legacy", "legacy"), ("by-delivery-year", "by-delivery-year")]
    )
    generated_from = YearFilter(field_name="generated", bound="from", help_text="Data generated in or after this year.")
    generated_to = YearFilter(field_name="generated", bound="to", help_text="Data generated in or before this year.")

    class Meta:
        model = Release
        fields = ["file_format", "generated_from", "generated_to"]


CHANGE_KINDS = [("added", "added"), ("dropped", "dropped"), ("revised", "revised")]


class ReleaseDealFilterSet(BaseFilterSet):
    """The deals of a release's changes (/api/releases/{id}/changes/): `since` names the
    release compared with; the others narrow the deals."""

    since = ReleaseIdFilter(
        method="filter_noop", required=True, help_text="Required: the id of the release to compare with."
    )
    supplier = actor_filter("supplier_id")
    recipient = actor_filter("recipient_id")
    category = ChoiceListFilter(field_name="category", choices=Category.choices)
    field = ChoiceListFilter(
        field_name="field",
        choices=[(name, name) for name in DIFF_FIELDS],
        method="filter_noop",
        help_text="Only revised deals with a change in one of these fields (comma-separated: any of): "
        + ", ".join(DIFF_FIELDS)
        + ".",
    )
    change = ChoiceListFilter(
        field_name="change",
        choices=CHANGE_KINDS,
        method="filter_noop",
        help_text="Only these kinds of change: added, dropped, revised (comma-separated: any of).",
    )

    class Meta:
        model = ReleaseDeal
        fields = ["since", "supplier", "recipient", "category", "field", "change"]

    def filter_noop(self, qs, name, value):
        return qs


class ChangeFilterSet(BaseFilterSet):
    """The change feed (/api/changes/): `since` is the cursor to continue after."""

    since = filters.CharFilter(
        method="filter_noop",
        help_text="The cursor of the last change read (`cursor` of the previous answer), or a date and time "
        "(ISO 8601, UTC unless it says otherwise) to start at the first change made then or later; none: "
        "from the start.",
    )
    record_type = ChoiceListFilter(field_name="record_type", choices=[(name, name) for name in FED])

    class Meta:
        model = Change
        fields = ["since", "record_type"]

    def filter_noop(self, qs, name, value):
        return qs
