"""Serializer fields shared by every resource."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from ..dates import PARTIAL_DATE_PATTERN, format_partial_date, parse_partial_date, validate_sane_date


def is_id(text):
    """A numeric id as clients write it: ASCII digits that fit a bigint."""
    return isinstance(text, str) and re.fullmatch(r"[0-9]{1,18}", text) is not None


class NestedRelatedField(serializers.RelatedField):
    """A foreign key read as a small object and written as its code, slug, reference or id.

    GET shows `{"code": "RUS", "name": "Russia"}`; POST accepts `"RUS"` (case-insensitive
    for codes) or the numeric id.
    """

    default_error_messages = {
        "does_not_exist": "No {model} with {lookup} '{value}'.",
        "invalid": "Expected a {lookup} or a numeric id.",
    }

    def __init__(self, *, brief, lookup, case_insensitive=False, **kwargs):
        self.brief = brief
        self.lookup = lookup
        self.case_insensitive = case_insensitive
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        queryset = self.get_queryset()
        if isinstance(data, bool) or not isinstance(data, (str, int)) or (isinstance(data, str) and "\x00" in data):
            self.fail("invalid", lookup=self.lookup)
        if isinstance(data, int) or is_id(data):
            found = queryset.filter(pk=int(data)).first() if abs(int(data)) < 2**63 else None
        elif self.lookup in ("id", "pk"):
            found = None
        elif len(data.strip()) > self._longest():
            found = None  # longer than the column: no record has it (SQLite refused a LIKE of 60,000)
        else:
            lookup = f"{self.lookup}__iexact" if self.case_insensitive else self.lookup
            found = queryset.filter(**{lookup: data.strip()}).first()
        if found is None:
            shown = data if isinstance(data, int) or len(data) <= 100 else f"{data[:100]}…"
            self.fail("does_not_exist", model=queryset.model._meta.verbose_name, lookup=self.lookup, value=shown)
        return found

    def _longest(self):
        return self.get_queryset().model._meta.get_field(self.lookup).max_length or 1000

    def to_representation(self, value):
        # One brief serializer per bound field, not one per row: building a
        # serializer's fields costs more than rendering a whole row.
        serializer = self.__dict__.get("_brief_serializer")
        if serializer is None:
            serializer = self._brief_serializer = self.brief(context=self.context)
        return serializer.to_representation(value)

    def use_pk_only_optimization(self):
        return False

    def get_choices(self, cutoff=None):
        # The browsable API would otherwise render every row as an <option>.
        return {}


class NestedRelatedFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NestedRelatedField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "oneOf": [build_basic_type(OpenApiTypes.STR), build_basic_type(OpenApiTypes.INT)],
                "description": f"The {self.target.lookup} or the numeric id.",
            }
        component = auto_schema.resolve_serializer(self.target.brief, direction)
        return component.ref if component else build_basic_type(OpenApiTypes.OBJECT)


class TextOnlyMixin:
    """Text fields take JSON strings only: DRF would store `0` or `1.5` as "0" and "1.5",
    which the schema (type: string) says are not accepted."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(TextOnlyMixin, serializers.CharField):
    pass


class StrictSlugField(TextOnlyMixin, serializers.SlugField):
    pass


class StrictURLField(TextOnlyMixin, serializers.URLField):
    pass


class YearListField(serializers.ListField):
    """Distinct years, ascending: read from a list (PostgreSQL's array) or from
    comma-separated text (SQLite's GROUP_CONCAT)."""

    # Values read as tuples still need this field's conversion (see api.rows).
    converts_values = True

    def __init__(self, **kwargs):
        super().__init__(child=serializers.IntegerField(), read_only=True, **kwargs)

    def to_representation(self, data):
        if data is None:
            return []
        if isinstance(data, str):
            data = [int(part) for part in data.split(",") if part.strip()]
        return sorted({int(year) for year in data})


class PartialDateField(serializers.Field):
    """A date at its precision: reads `2005-12`, writes `2005`, `2005-12` or `2005-12-16`.

    It sets both the date field and its `<field>_precision` companion.
    """

    def __init__(self, *, date_field, precision_field=None, **kwargs):
        self.date_field = date_field
        self.precision_field = precision_field or f"{date_field}_precision"
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return format_partial_date(getattr(instance, self.date_field), getattr(instance, self.precision_field))

    def to_internal_value(self, data):
        if data in (None, ""):
            if not self.allow_null:
                raise serializers.ValidationError("This field may not be empty.")
            return {self.date_field: None}
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected a date as YYYY, YYYY-MM or YYYY-MM-DD.")
        try:
            date, precision = parse_partial_date(data)
            validate_sane_date(date)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        except ValueError as exc:
            raise serializers.ValidationError(str(exc) or "Not a valid date.") from exc
        return {self.date_field: date, self.precision_field: precision}

    def validate_empty_values(self, data):
        # source="*" fields never see None otherwise; an explicit null clears the date.
        if data is None and self.allow_null:
            return (False, None)
        return super().validate_empty_values(data)


class PartialDateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = PartialDateField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.STR)
        # Empty text clears a date that may be empty, as null does.
        schema["pattern"] = f"^$|{PARTIAL_DATE_PATTERN}" if self.target.allow_null else PARTIAL_DATE_PATTERN
        schema["description"] = "A date at its precision: YYYY, YYYY-MM or YYYY-MM-DD."
        if self.target.allow_null:
            schema["nullable"] = True
        return schema


class AssertionPartMixin:
    """A part of a claim's typed assertion (api.serializers.evidence.AssertionSerializer): shown for
    the assertion fields it applies to, null for the others (a quantity has no currency).

    In value tuples (api.rows) it is read from two columns, its own and the assertion's
    field, so that a list row shows exactly what the detail shows.
    """

    def __init__(self, *, applies_to=None, **kwargs):
        self.applies_to = applies_to
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    @property
    def value_sources(self):
        return [self.source, "assertion_field"]

    def from_values(self, value, field):
        if not field or (self.applies_to is not None and field not in self.applies_to) or value is None:
            return None
        return self.to_representation(value)


class AssertionChoiceField(AssertionPartMixin, serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


# A figure as text: ASCII digits, a sign, a point, an exponent.
ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class AsciiNumberMixin:
    """A number given as text is written in ASCII digits: Python's int() and Decimal() also
    read '1_000', '１２' and '١٢', which are nobody's way of writing a figure (the SIPRI import
    refuses them too)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not ASCII_NUMBER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(AsciiNumberMixin, serializers.IntegerField):
    pass


class StrictDecimalField(AsciiNumberMixin, serializers.DecimalField):
    pass


class AssertionIntegerField(AsciiNumberMixin, AssertionPartMixin, serializers.IntegerField):
    def to_internal_value(self, data):
        # A quantity is a JSON number (or digits), never a boolean.
        if isinstance(data, bool) or isinstance(data, float):
            self.fail("invalid")
        return super().to_internal_value(data)


class AssertionDecimalField(AsciiNumberMixin, AssertionPartMixin, serializers.DecimalField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class AssertionTextField(AssertionPartMixin, StrictCharField):
    pass


class AssertionBooleanField(AssertionPartMixin, serializers.BooleanField):
    def to_internal_value(self, data):
        # true or false, as JSON says it; "yes" or 1 for a negation is a mistake, not a flag.
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
