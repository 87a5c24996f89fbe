"""One FilterSet per resource, all in this module.

Actor parameters take codes (`supplier=rus,irn`: case-insensitive, comma = any
of); records are named by code, slug, key or reference (or numeric id); years are
inclusive. An unknown code, slug or choice, or a malformed year, is a 400 that
names the parameter.
"""

import datetime
import string
from collections import defaultdict

import django_filters as filters
from django import forms
from django.db import NotSupportedError
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.functions import Upper
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from ..assertions import QUANTITY_FIELDS, AssertionField, currency_is_known
from ..changes import FED
from ..models import (
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
from ..releases import DIFF_FIELDS
from ..selectors import (
    CONTRACT_LEVEL_FILTERS,
    transfer_confirmed_q,
    transfer_has_claims_q,
    transfer_register_base,
)
from .fields import is_id

MAX_QUERY_YEAR = 9998


def _split(value):
    return [part.strip() for part in value.split(",") if part.strip()]


def _document(filter_, schema_type, **bounds):
    """The filter's help text as its description in the OpenAPI schema (a type given to
    the class by extend_schema_field would otherwise leave it out), and its bounds."""
    help_text = filter_.extra.get("help_text")
    if help_text or bounds:
        extend_schema_field({"type": schema_type, "description": str(help_text or ""), **bounds})(filter_)


class RecordListField(forms.CharField):
    """Comma-separated codes/slugs/references (or ids) that must all exist."""

    def __init__(self, *, model, lookup, case_insensitive=False, **kwargs):
        self.model = model
        self.lookup = lookup
        self.case_insensitive = case_insensitive
        super().__init__(**kwargs)

    # Names already looked up with those of the form's other fields (see BaseFilterSet).
    resolved = None

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        wanted = _split(value)
        if not wanted:
            raise forms.ValidationError("Give at least one value.")
        ids = {int(v) for v in wanted if is_id(v)}
        names = [v for v in wanted if not is_id(v)]
        found_ids = set(self.model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        if names and self.lookup == "id":
            matched, missing = {}, names
        else:
            matched = self.resolved if self.resolved is not None else self.match(names) if names else {}
            missing = [n for n in names if self.key(n) not in matched]
            matched = {self.key(n): matched[self.key(n)] for n in names if self.key(n) in matched}
        missing += [str(i) for i in ids - found_ids]
        if missing:
            # Values go in params, never into the message itself: django-filter applies
            # `message % params`, and a '%' typed by a client would break it.
            raise forms.ValidationError(
                "Unknown %(model)s %(lookup)s: %(values)s.",
                code="unknown",
                params={"model": self.model._meta.verbose_name, "lookup": self.lookup, "values": ", ".join(missing)},
            )
        return sorted(found_ids | set(matched.values()))

    def key(self, name):
        return name.upper() if self.case_insensitive else name

    def match(self, names):
        """{key: pk} of the records these names (codes, slugs...) name; missing ones left out."""
        if self.case_insensitive:
            records = self.model.objects.annotate(_key=Upper(self.lookup)).filter(_key__in=[n.upper() for n in names])
            return dict(records.order_by().values_list("_key", "pk"))
        return dict(
            self.model.objects.filter(**{f"{self.lookup}__in": names}).order_by().values_list(self.lookup, "pk")
        )

    def names_in(self, value):
        """The names in a raw parameter, before validation (which refuses NUL characters)."""
        if not isinstance(value, str) or "\x00" in value:
            return []
        return [v for v in _split(value) if not is_id(v)]


@extend_schema_field(OpenApiTypes.STR)
class RecordListFilter(filters.Filter):
    """Filter on records named by code/slug/reference; `field_name` holds their ids."""

    field_class = RecordListField
    MAX_LISTED = 2000

    def __init__(self, *args, model, lookup, case_insensitive=False, any_of=None, **kwargs):
        kwargs.setdefault("help_text", f"{model._meta.verbose_name} {lookup}(s) or ids, comma-separated (any of).")
        self.any_of = any_of  # several paths: a record matches through any of them
        super().__init__(*args, model=model, lookup=lookup, case_insensitive=case_insensitive, **kwargs)
        _document(self, "string")

    def filter(self, qs, value):
        if not value:
            return qs
        if self.any_of:
            # A union of one index lookup per path, not one OR across joins (which
            # scans the whole table: at a million claims, seconds per request).
            base = qs.model._default_manager.order_by().values_list("pk", flat=True)
            first, *rest = [base.filter(**{f"{name}__in": value}) for name in self.any_of]
            union = first.union(*rest)
            # Read first when few, as they usually are (the claims about one deal): as a
            # subquery, PostgreSQL walked every claim in id order to find them (3 s).
            ids = list(union[: self.MAX_LISTED + 1])
            return qs.filter(pk__in=ids if len(ids) <= self.MAX_LISTED else union)
        return qs.filter(**{f"{self.field_name}__in": value})


def actor_filter(field_name, **kwargs):
    return RecordListFilter(field_name=field_name, model=Actor, lookup="code", case_insensitive=True, **kwargs)


class ChoiceListField(forms.CharField):
    def __init__(self, *, choices, **kwargs):
        self.valid = [value for value, _label in choices]
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        wanted = [v.lower() for v in _split(value)]
        unknown = [v for v in wanted if v not in self.valid]
        if unknown or not wanted:
            raise forms.ValidationError(
                "Unknown value %(values)s; choose from: %(choices)s.",
                code="invalid",
                params={"values": ", ".join(unknown) or repr(value), "choices": ", ".join(self.valid)},
            )
        return wanted


@extend_schema_field(OpenApiTypes.STR)
class ChoiceListFilter(filters.Filter):
    """A choice, or several comma-separated (any of); unknown choices are a 400."""

    field_class = ChoiceListField

    def __init__(self, *args, choices, **kwargs):
        kwargs.setdefault("help_text", "One of: " + ", ".join(v for v, _ in choices) + " (comma-separated: any of).")
        super().__init__(*args, choices=choices, **kwargs)
        _document(self, "string")

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(filters.NumberFilter):
    """An inclusive year bound on a date field: `from` includes 1 January, `to` 31 December."""

    field_class = forms.IntegerField

    def __init__(self, *args, bound, **kwargs):
        self.bound = bound
        kwargs.setdefault("help_text", f"Year (inclusive), {'from' if bound == 'from' else 'up to'}.")
        super().__init__(*args, min_value=1, max_value=MAX_QUERY_YEAR, **kwargs)
        _document(self, "integer", minimum=1, maximum=MAX_QUERY_YEAR)

    def filter(self, qs, value):
        if value is None:
            return qs
        if self.bound == "from":
            return qs.filter(**{f"{self.field_name}__gte": datetime.date(int(value), 1, 1)})
        return qs.filter(**{f"{self.field_name}__lt": datetime.date(int(value) + 1, 1, 1)})


class StrictBooleanFilter(filters.ChoiceFilter):
    """`true` or `false` (also 1/0, yes/no); anything else is a 400."""

    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=[(v, v) for v in sorted(self.TRUE | self.FALSE)], **kwargs)
        # Text: on contracts the model's boolean field would otherwise make the schema say
        # `boolean`, which `yes` and `1` are not. (The empty value: see api.schema.)
        _document(self, "string", enum=sorted(self.TRUE | self.FALSE))

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        return self.method_filter(qs, value.lower() in self.TRUE)

    def method_filter(self, qs, value):
        raise NotImplementedError


class ConfirmedFilter(StrictBooleanFilter):
    def method_filter(self, qs, value):
        return qs.filter(transfer_confirmed_q()) if value else qs.exclude(transfer_confirmed_q())


class DisputedFilter(StrictBooleanFilter):
    """true: claims about the deal disagree on one of its figures (Contract.disputed, kept
    by transfers.evidence); false: they do not. `contract`: the path to the deal's id."""

    def __init__(self, *args, contract=None, **kwargs):
        self.contract = contract
        kwargs.setdefault(
            "help_text",
            "true: claims about the deal disagree on one of its figures (see the evidence endpoint); false: not.",
        )
        super().__init__(*args, **kwargs)

    MAX_LISTED = 2000

    def method_filter(self, qs, value):
        if self.contract is None:
            return qs.filter(disputed=value)
        # The disputed deals are few (a partial index holds them): their ids are read
        # first, and the lines found by their contract's index, not by a join.
        disputed = Contract.objects.filter(disputed=True).order_by().values_list("pk", flat=True)
        ids = list(disputed[: self.MAX_LISTED + 1])
        condition = Q(**{f"{self.contract}__in": ids if len(ids) <= self.MAX_LISTED else disputed})
        return qs.filter(condition) if value else qs.exclude(condition)


class CurrencyListField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        codes = [code.upper() for code in _split(value)]
        unknown = [code for code in codes if not currency_is_known(code)]
        if unknown or not codes:
            raise forms.ValidationError(
                "Not an ISO 4217 currency code: %(codes)s.", code="invalid", params={"codes": ", ".join(unknown)}
            )
        return codes


@extend_schema_field(OpenApiTypes.STR)
class CurrencyFilter(filters.Filter):
    field_class = CurrencyListField

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


class AssertedFigureFilter(filters.NumberFilter):
    """A bound on the figure a claim asserts (a value or a quantity), as stated: a range
    overlaps the bounds; qualifiers do not widen it. Only claims with such a figure match."""

    def __init__(self, *args, kind, bound, **kwargs):
        self.kind, self.bound = kind, bound
        noun = "amount" if kind == "value" else "quantity"
        if kind == "value":
            kwargs.update(max_digits=18, decimal_places=2, min_value=0)
        else:
            kwargs.update(min_value=0, max_value=2**31 - 1)
        kwargs.setdefault(
            "help_text",
            f"Claims asserting a {noun} (or a range reaching) {'at least' if bound == 'min' else 'at most'} this.",
        )
        super().__init__(*args, **kwargs)
        _document(self, "number" if kind == "value" else "integer", minimum=0)

    @property
    def field_class(self):
        return forms.DecimalField if self.kind == "value" else forms.IntegerField

    def filter(self, qs, value):
        if value is None:
            return qs
        low, high = ("assertion_amount", "assertion_amount_max")
        fields = Q(assertion_field=AssertionField.VALUE)
        if self.kind == "quantity":
            low, high = ("assertion_quantity", "assertion_quantity_max")
            fields = Q(assertion_field__in=QUANTITY_FIELDS)
        if self.bound == "min":
            reaches = Q(**{f"{high}__gte": value}) | Q(**{f"{high}__isnull": True, f"{low}__gte": value})
        else:
            reaches = Q(**{f"{low}__lte": value})
        return qs.filter(fields & reaches)


class AbsentFilter(filters.ChoiceFilter):
    """Deals a newer release of the SIPRI register no longer contains (Contract.absent_from):
    kept, and hidden unless asked for. Applied by the FilterSet's filter_ranges, since
    hiding them is also what no parameter means."""

    CHOICES = [("hide", "hide"), ("include", "include"), ("only", "only")]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Deals a newer release of the SIPRI register no longer contains (marked absent, not deleted): "
            "hide (the default), include, or only them.",
        )
        super().__init__(*args, choices=self.CHOICES, method="filter_absent", **kwargs)

    @staticmethod
    def apply(queryset, value, field_name="absent_from"):
        if value == "include":
            return queryset
        return queryset.filter(**{f"{field_name}__isnull": value != "only"})


def _delivery_between(first, last):
    deliveries = Delivery.objects.filter(transfer=OuterRef("pk"))
    if first is not None:
        deliveries = deliveries.filter(date__gte=datetime.date(first, 1, 1))
    if last is not None:
        deliveries = deliveries.filter(date__lt=datetime.date(last + 1, 1, 1))
    return Exists(deliveries)


class BaseFilterSet(filters.FilterSet):
    def get_form_class(self):
        # Built once per FilterSet, not per request: no filter's form field depends on the
        # request, and each form instance deep-copies its fields anyway.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    @property
    def form(self):
        form = super().form
        if self.is_bound and not getattr(form, "_names_resolved", False):
            form._names_resolved = True
            self._resolve_names(form)
        return form

    @staticmethod
    def _resolve_names(form):
        """One query for the codes of all actor parameters (supplier=RUS&recipient=LBY),
        not one per parameter."""
        groups = defaultdict(list)
        for name, field in form.fields.items():
            if isinstance(field, RecordListField) and field.lookup != "id":
                names = field.names_in(form.data.get(form.add_prefix(name)))
                if names:
                    groups[(field.model, field.lookup, field.case_insensitive)].append((field, names))
        for members in groups.values():
            if len(members) > 1:
                matched = members[0][0].match(sorted({n for _, names in members for n in names}))
                for field, _ in members:
                    field.resolved = matched

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return self.filter_ranges(queryset)

    def filter_ranges(self, queryset):
        return queryset


# --- Per resource -----------------------------------------------------------------------------


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
    supplier = actor_filter("supplier_id")
    recipient = actor_filter("recipient_id")
    system = RecordListFilter(field_name="system_id", model=WeaponSystem, lookup="slug")
    category = ChoiceListFilter(field_name="category", choices=Category.choices)
    status = ChoiceListFilter(field_name="contract__status", choices=Contract.Status.choices)
    condition = ChoiceListFilter(field_name="condition", choices=Transfer.Condition.choices)
    contract = RecordListFilter(field_name="contract_id", model=Contract, lookup="reference")
    ordered_from = YearFilter(field_name="order_date", bound="from")
    ordered_to = YearFilter(field_name="order_date", bound="to")
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
            "absent",
        ]

    def filter_noop(self, qs, name, value):
        return qs

    def filter_absent(self, qs, name, value):
        return qs

    def filter_source(self, qs, name, value):
        return qs.filter(transfer_has_claims_q(source_id__in=value))

    def filter_ranges(self, queryset):
        queryset = AbsentFilter.apply(queryset, self.form.cleaned_data.get("absent") or "hide")
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
    supplier = actor_filter("transfer__supplier_id")
    recipient = actor_filter("transfer__recipient_id")
    system = RecordListFilter(field_name="transfer__system_id", model=WeaponSystem, lookup="slug")
    # The transfer's copy of its system's category, as on the register.
    category = ChoiceListFilter(field_name="transfer__category", choices=Category.choices)
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


# --- Search ----------------------------------------------------------------------------------------------


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


@extend_schema_field(OpenApiTypes.INT)
class ReleaseIdFilter(filters.Filter):
    """A release's id (whether it exists, the view says: a 400 naming the parameter)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**62, **kwargs)
        _document(self, "integer", minimum=1, maximum=2**62)


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


class SearchFilter(drf_filters.SearchFilter):
    """DRF's `search`, whose refusals name the parameter: DRF answers a NUL character with a
    bare list, where every other 400 of the API is an object of fields to messages."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc


class TransferSearchFilter(SearchFilter):
    """`search` on the trade register: system designation or description, comments, supplier or recipient name.

    Systems and actors are small tables: their matches are looked up first, so that the
    register is filtered on its own indexed columns (system, supplier, recipient, and a
    trigram index on comments on PostgreSQL), which PostgreSQL combines as a bitmap OR
    instead of scanning a million transfers. Every term must match.
    """

    MAX_LISTED = 2000

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            systems = list(
                WeaponSystem.objects.filter(
                    Q(designation__icontains=term) | Q(description__icontains=term)
                ).values_list("pk", flat=True)
            )
            actors = list(Actor.objects.filter(name__icontains=term).values_list("pk", flat=True))
            if len(systems) > self.MAX_LISTED:
                # A term this broad matches much of the register anyway: no need to list ids.
                systems = WeaponSystem.objects.filter(Q(designation__icontains=term) | Q(description__icontains=term))
            condition = Q(comments__icontains=term)
            if systems:
                condition |= Q(system_id__in=systems)
            if actors:
                condition |= Q(supplier_id__in=actors) | Q(recipient_id__in=actors)
            queryset = queryset.filter(condition)
        return queryset


# Escaped in search terms; `_` is not special in either dialect.
_REGEX_PUNCTUATION = frozenset(string.punctuation) - {"_"}


def word_prefix_regex(term):
    """A regular expression for `term` at the start of a word, written the same for
    PostgreSQL (`~*`) and Python's `re` (SQLite's REGEXP): ASCII punctuation is escaped
    (a backslash before a character that is not a letter or digit is that character in
    both dialects), everything else stands for itself. `\\W` is a character that is not
    a letter, digit or underscore in both."""
    literal = "".join(f"\\{char}" if char in _REGEX_PUNCTUATION else char for char in term)
    return rf"(^|\W){literal}"


class AnyElementMatches(Func):
    """True when an element of a JSON list (a column) matches a regular expression,
    ignoring case: each element as text, not the list's JSON (in which SQLite keeps
    `Côte` as `C\\u00f4te`). Not a list: no element."""

    output_field = BooleanField()
    arity = 2

    # The column twice, then the pattern. A column that is not a list has no elements.
    POSTGRESQL = (
        "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof({column}) = 'array' "
        "THEN {column} ELSE '[]'::jsonb END) AS element(value) WHERE element.value ~* {pattern})"
    )
    SQLITE = (
        "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END) "
        "AS element WHERE element.value REGEXP '(?i)' || {pattern})"
    )

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("Matching JSON list elements is implemented for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._sql(compiler, self.POSTGRESQL)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._sql(compiler, self.SQLITE)

    def _sql(self, compiler, template):
        column, column_params = compiler.compile(self.source_expressions[0])
        pattern, pattern_params = compiler.compile(self.source_expressions[1])
        sql = template.format(column=column, pattern=pattern)
        return sql, (*column_params, *column_params, *pattern_params)


class ActorSearchFilter(SearchFilter):
    """`search` on actors: each word starts a word of the name or of an alias (`Russ`
    finds Russia and Russian Federation, `federation` the latter, `Tor` not Territory),
    or is the code itself (`irn`), ignoring case. Every word must match."""

    search_description = (
        "Words, each the start of a word of the actor's name or of an alias, or its code (any case). "
        "Every word must match."
    )

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            if not term:
                continue
            pattern = word_prefix_regex(term)
            queryset = queryset.filter(
                Q(code__iexact=term) | Q(name__iregex=pattern) | AnyElementMatches(F("aliases"), Value(pattern))
            )
        return queryset


class ClaimSearchFilter(SearchFilter):
    """`search` on claims: summary, quote, the speaker's role or name.

    Speakers are a small table: their matches are looked up first, so that claims are
    filtered on their own columns (trigram indexes on PostgreSQL, combined as a bitmap
    OR) instead of an OR across a join, which scanned every claim. Every term must match.
    """

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            speakers = list(Person.objects.filter(name__icontains=term).values_list("pk", flat=True))
            condition = Q(summary__icontains=term) | Q(quote__icontains=term) | Q(speaker_role__icontains=term)
            if speakers:
                condition |= Q(speaker_id__in=speakers)
            queryset = queryset.filter(condition)
        return queryset


# --- Ordering ---------------------------------------------------------------------------------


class StrictOrderingFilter(drf_filters.OrderingFilter):
    """`ordering=-order_date,id`; public names map to ORM paths; unknown names are a 400."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param) or ""
        mapping = view.ordering_map
        terms = [t.strip() for t in params.split(",") if t.strip()]
        # Empty terms ("ordering=," or "ordering= , ") say nothing: the default order.
        if not terms:
            return list(view.default_ordering)
        ordering = []
        for term in terms:
            descending = term.startswith("-")
            name = term.removeprefix("-")
            if name not in mapping:
                raise ValidationError(
                    {self.ordering_param: [f"Unknown ordering '{name}'; choose from: {', '.join(mapping)}."]}
                )
            ordering.append(("-" if descending else "") + mapping[name])
        # A stable order for pagination; in the direction of the first key, so that an index
        # on (key, id) read backwards serves a descending order without a sort.
        ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated; prefix with - for descending. One of: " + ", ".join(view.ordering_map),
                "schema": {"type": "string"},
            }
        ]


class RegisterFilters:
    """The register's filters as /api/transfers/ takes them (its FilterSet and search),
    from query parameters, validated once: what the summary selector filters with
    (selectors.transfer_summary(filters=...)). Raises ValidationError (a 400 naming the
    parameter) for an invalid one; parameters that are not filters are ignored."""

    NAMES = frozenset([*TransferFilterSet.base_filters, TransferSearchFilter.search_param])

    def __init__(self, params, *, request=None, filterset=None):
        self.params = params
        self.request = request
        # Given: a non-empty value (empty means not given, as everywhere in the API).
        self.given = {name for name in self.NAMES if params.get(name, "") != ""}
        # `filterset`: one already made of these params (the reading room's), not made again.
        self.filterset = filterset or TransferFilterSet(data=params, queryset=transfer_register_base(), request=request)
        if not self.filterset.is_valid():
            raise translate_validation(self.filterset.errors)  # as DjangoFilterBackend answers
        self.search = TransferSearchFilter()
        self._query = _Query(params)
        self.search.get_search_terms(self._query)  # a malformed search is a 400 now

    @property
    def cleaned(self):
        return self.filterset.form.cleaned_data

    def transfers(self):
        """The filtered arms transfers, nothing annotated, in no order."""
        return self.search.filter_queryset(self._query, self.filterset.qs, None).order_by()

    def contracts(self):
        """The contracts of exactly the filtered transfers when every filter given is the
        contract's own (then no line of a contract is in while another is out); else None."""
        if self.given - CONTRACT_LEVEL_FILTERS:
            return None
        contracts = Contract.objects.filter(kind=Contract.Kind.ARMS, line_count__gt=0)
        params = {name: self.params[name] for name in self.given}
        return ContractFilterSet(params, queryset=contracts).qs


class _Query:
    """What DRF's search backend reads of a request: its query parameters."""

    def __init__(self, params):
        self.query_params = params
