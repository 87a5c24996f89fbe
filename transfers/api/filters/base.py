"""What every FilterSet is made of: the kinds of parameter (records named by code, slug,
key or reference; choices; inclusive years; true/false; currencies; bounds on an asserted
figure; absent deals) and BaseFilterSet, which resolves the actor codes of several
parameters in one query."""

import copy
import datetime
import re
from collections import defaultdict

import django_filters as filters
from django import forms
from django.db import connections
from django.db.models import Q
from django.db.models.functions import Upper
from django.http import QueryDict
from django_filters.filters import FilterMethod
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ... import data_version
from ...assertions import QUANTITY_FIELDS, AssertionField, currency_is_known
from ...models import (
    Actor,
    Contract,
)
from ...selectors import (
    transfer_confirmed_q,
    transfer_delivered_before_order_q,
)
from ..fields import ASCII_NUMBER, is_id

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


class WholeNumberField(forms.IntegerField):
    """ASCII digits only: Django's IntegerField also reads "1.0" and full-width "１" as 1,
    which the API documents as integers and other clients would refuse."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]{1,19}", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class AsciiDecimalField(forms.DecimalField):
    """A number in ASCII digits, as the API's own number fields read one (fields.ASCII_NUMBER):
    Django's DecimalField also reads "1_000" and full-width digits."""

    def to_python(self, value):
        if value not in self.empty_values and not ASCII_NUMBER.fullmatch(str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(filters.NumberFilter):
    """An inclusive year bound on a date field: `from` includes 1 January, `to` 31 December."""

    field_class = WholeNumberField

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


class DeliveredBeforeOrderFilter(StrictBooleanFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "help_text",
            "true: a delivery is dated before the deal's order, at the coarser of the two dates' precisions "
            "(kept as entered: aid and leases can come before a contract; worth checking against the source); "
            "false: none is.",
        )
        super().__init__(*args, **kwargs)

    def method_filter(self, qs, value):
        condition = transfer_delivered_before_order_q()
        return qs.filter(condition) if value else qs.exclude(condition)


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
        return AsciiDecimalField if self.kind == "value" else WholeNumberField

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


@extend_schema_field(OpenApiTypes.INT)
class ReleaseIdFilter(filters.Filter):
    """A release's id (whether it exists, the view says: a 400 naming the parameter)."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**62, **kwargs)
        _document(self, "integer", minimum=1, maximum=2**62)


class KnownNames:
    """The records' ids this process has looked up by name (actor codes, slugs, keys), per
    data version (transfers.data_version): a name named the same record at that version
    on every worker, so a request that read it finds them without a query. A write to
    any tracked table changes the version, and with it the entries read. Bounded: the
    latest version only, at most MAX names per kind of name."""

    MAX = 5000

    def __init__(self):
        self._version = None
        self._names = {}

    def get(self, version, kind, keys):
        """{key: pk} of these keys when all were looked up at `version` (names that name no
        record left out, as match() leaves them); None otherwise."""
        if version is None or version != self._version:
            return None
        names = self._names.get(kind)
        if names is None or any(key not in names for key in keys):
            return None
        return {key: names[key] for key in keys if names[key] is not None}

    def put(self, version, kind, matched, keys):
        """Remember what a lookup of `keys` at `version` found (`matched`: {key: pk})."""
        if version is None:
            return
        if version != self._version:
            self._version, self._names = version, {}
        names = self._names.setdefault(kind, {})
        if len(names) + len(keys) > self.MAX:
            names.clear()
        names.update({key: matched.get(key) for key in keys})


_KNOWN_NAMES = KnownNames()


def _tracked(model):
    """Whether writes to the model's table change the data version."""
    return model._meta.app_label == "transfers" and model._meta.db_table not in data_version.UNTRACKED


def names_version(request):
    """The data version under which names may be remembered for this request: the one
    it read (HTTPCacheMixin), outside a transaction only (a transaction's own writes
    change the version at its commit, not before). None: not remembered."""
    version = getattr(request, "data_version", None)
    if not version or connections["default"].in_atomic_block:
        return None
    return version


class ShallowlyCopiedFields(dict):
    """A filter form's fields, which each form copies shallowly where Django deep-copies
    them with their widgets, choices and messages (most of the time of making a FilterSet's
    form). A form keeps its own state on its own copies (RecordListField.resolved); nothing
    changes a field's widget, choices, messages or validators once it is made."""

    def __deepcopy__(self, memo):
        return {name: copy.copy(field) for name, field in self.items()}


class BaseFilterSet(filters.FilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's, with a shallow copy of each filter instead of a deep copy of them
        # all (a third of a filtered list's Python time): a filter's own per-request state
        # is its model and parent, set here, and the FilterMethod that finds its method on
        # the parent, made again for the copy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if base.method is not None:
                filter_.filter = FilterMethod(filter_)
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self):
        # Built once per FilterSet, not per request: no filter's form field depends on the
        # request, and each form instance copies its fields (ShallowlyCopiedFields).
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            form_class.base_fields = ShallowlyCopiedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class

    @property
    def form(self):
        form = super().form
        if self.is_bound and not getattr(form, "_names_resolved", False):
            form._names_resolved = True
            self._resolve_names(form)
        return form

    def _resolve_names(self, form):
        """One query for the codes of all actor parameters (supplier=RUS&recipient=LBY),
        not one per parameter; none when this process has looked them all up already at
        the data version the request read (KnownNames)."""
        groups = defaultdict(list)
        for name, field in form.fields.items():
            if isinstance(field, RecordListField) and field.lookup != "id":
                names = field.names_in(form.data.get(form.add_prefix(name)))
                if names:
                    groups[(field.model, field.lookup, field.case_insensitive)].append((field, names))
        version = names_version(getattr(self, "request", None))
        for (model, lookup, case_insensitive), members in groups.items():
            first = members[0][0]
            wanted = sorted({first.key(n) for _, names in members for n in names})
            kind = (model._meta.label_lower, lookup, case_insensitive)
            remember = version is not None and _tracked(model)
            matched = _KNOWN_NAMES.get(version, kind, wanted) if remember else None
            if matched is None:
                if len(members) == 1 and not remember:
                    continue  # one parameter: its field looks its names up
                matched = first.match(sorted({n for _, names in members for n in names}))
                if remember:
                    _KNOWN_NAMES.put(version, kind, matched, wanted)
            for field, _ in members:
                field.resolved = matched

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return self.filter_ranges(queryset)

    def filter_ranges(self, queryset):
        return queryset
