"""A serializer's representation built from rows of plain values instead of model instances.

Every resource's list pages and CSV are read as value tuples of one query: the value
paths, the nesting and the conversions all come from the resource's serializer (the
one declaration of what a row shows), so lists, CSV and details cannot drift apart
(tests compare them row by row), and the database-written CSV is generated from the
same leaves (api.csv.copy_select).
"""

import operator

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

from ..dates import format_partial_date
from .fields import NestedRelatedField, PartialDateField

# Fields whose representation of an already typed value (int, str, bool, a formatted
# date, a list of ints) is the value itself; any other field converts it.
_AS_IS = (
    serializers.IntegerField,
    serializers.CharField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.ListField,
    PartialDateField,
)


def serializer_leaves(serializer, prefix=""):
    """(column, field) for each readable leaf: nested objects become `supplier.code`, `supplier.name`."""
    leaves = []
    for name, field in serializer.fields.items():
        if getattr(field, "write_only", False):
            continue
        if isinstance(field, NestedRelatedField):
            leaves += serializer_leaves(field.brief(), prefix=f"{prefix}{name}.")
        elif isinstance(field, serializers.Serializer):
            leaves += serializer_leaves(field, prefix=f"{prefix}{name}.")
        else:
            leaves.append((prefix + name, field))
    return leaves


class _Nesting:
    """How to nest a flat row of values (columns such as `supplier.code`) back into the
    serializer's representation. A related record whose `id` is null is null."""

    def __init__(self, columns):
        self._plan = self._nest(list(enumerate(columns)))

    @classmethod
    def _nest(cls, indexed):
        """[(key, index)] for values, [(key, id index, sub-plan)] for related records."""
        plan, groups = [], {}
        for index, column in indexed:
            head, _, rest = column.partition(".")
            if not rest:
                plan.append((head, index, None))
            else:
                if head not in groups:
                    groups[head] = []
                    plan.append((head, None, groups[head]))
                groups[head].append((index, rest))
        return [
            (key, index, None)
            if index is not None
            else (key, dict((c, i) for i, c in groups[key]).get("id"), cls._nest(groups[key]))
            for key, index, _ in plan
        ]

    def represent(self, rows):
        return [self._represent(row, self._plan) for row in rows]

    @classmethod
    def _represent(cls, row, plan):
        out = {}
        for key, index, sub in plan:
            if sub is None:
                out[key] = row[index]
            elif index is not None:
                out[key] = None if row[index] is None else cls._represent(row, sub)
            else:
                # An object of the record's own columns (no id, e.g. a claim's assertion)
                # is null when every value of it is.
                value = cls._represent(row, sub)
                out[key] = None if all(item is None for item in value.values()) else value
        return out


def _as_is(field):
    """Whether the field shows an already typed value as it is (no conversion)."""
    return isinstance(field, _AS_IS) and not getattr(field, "converts_values", False)


# --- Any list from value tuples (pages and CSV) ---------------------------------------------------


def _walk(model, attrs):
    """The model reached through relation attributes, or None when one is not a relation."""
    for attr in attrs:
        try:
            field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if not (field.is_relation and field.many_to_one):
            return None
        model = field.related_model
    return model


def _value_leaves(serializer, model, path, annotations, computed):
    """(column, [value paths], convert) for each leaf, or None when a leaf is not read
    from columns (a property, a reverse relation) and has no `computed` entry."""
    leaves = []
    for name, field in serializer.fields.items():
        if getattr(field, "write_only", False):
            continue
        attrs = field.source_attrs
        if isinstance(field, (NestedRelatedField, serializers.Serializer)):
            child = field.brief() if isinstance(field, NestedRelatedField) else field
            related = _walk(model, attrs)
            if related is None:
                return None
            # source="*": an object of the record's own columns.
            prefix = f"{path}{'__'.join(attrs)}__" if attrs else path
            nested = _value_leaves(child, related, prefix, set(), {})
            if nested is None:
                return None
            leaves += [(f"{name}.{column}", *rest) for column, *rest in nested]
            continue
        if getattr(field, "value_sources", None):
            # A field made from several columns of the record (api.fields.AssertionPartMixin).
            leaves.append((name, [path + source for source in field.value_sources], field.from_values, None))
            continue
        if isinstance(field, PartialDateField):
            paths = [path + field.date_field, path + field.precision_field]
            leaves.append((name, paths, lambda date, precision: format_partial_date(date, precision), field))
            continue
        if not path and name in computed:
            paths, function = computed[name]
            leaves.append((name, list(paths), function, None))
            continue
        # A related record shown as its id: the column holds the id already.
        plain = _as_is(field) or isinstance(field, serializers.PrimaryKeyRelatedField)
        convert = None if plain else field.to_representation
        if not path and len(attrs) == 1 and attrs[0] in annotations:
            leaves.append((name, [attrs[0]], convert, field))
            continue
        owner = _walk(model, attrs[:-1])
        try:
            target = owner and owner._meta.get_field(attrs[-1])
        except FieldDoesNotExist:
            target = None
        if target is None or not target.concrete or target.many_to_many:
            return None
        leaves.append((name, [path + "__".join(attrs)], convert, field))
    return leaves


def _taker(positions):
    """A function of a tuple that returns the tuple of its values at `positions`."""
    if len(positions) == 1:
        (position,) = positions
        return lambda row: (row[position],)
    return operator.itemgetter(*positions) if positions else lambda row: ()


class ValueShape:
    """A serializer's representation read from value tuples of one query: the value
    paths to select (joins instead of related instances) and how each leaf is made
    from them, converted as the serializer converts it."""

    def __init__(self, leaves):
        self.columns = [column for column, _, _, _ in leaves]
        # The pk first: pages ordered on other tables find their rows by it.
        self.paths = list(dict.fromkeys(["pk"] + [p for _, leaf_paths, _, _ in leaves for p in leaf_paths]))
        position = {p: i for i, p in enumerate(self.paths)}
        # Each leaf's first value is taken in one step; then the leaves that convert (a few)
        # are made from theirs: most of a page's leaves are its values as they are.
        # A field that converts values (converts_values) converts a null too ([] for no years).
        self._first_values = _taker([position[leaf_paths[0]] for _, leaf_paths, _, _ in leaves])
        self._converted = [
            (i, [position[p] for p in leaf_paths], convert, getattr(field, "converts_values", False))
            for i, (_, leaf_paths, convert, field) in enumerate(leaves)
            if convert is not None
        ]
        # (value positions, serializer field or None when computed), for the database-written CSV.
        self.leaves = [([position[p] for p in leaf_paths], field) for _, leaf_paths, _, field in leaves]
        self._nesting = _Nesting(self.columns)

    @classmethod
    def of(cls, serializer, queryset, computed=None):
        """None when the serializer shows something that is not a column (a property)
        and `computed` does not say how to make it: {name: (value paths, function)}."""
        leaves = _value_leaves(serializer, queryset.model, "", set(queryset.query.annotations), computed or {})
        return None if leaves is None else cls(leaves)

    def values(self, raw):
        """The leaves' values, in column order, from one value tuple."""
        out = list(self._first_values(raw))
        for i, at, convert, converts_null in self._converted:
            if len(at) > 1:
                out[i] = convert(*(raw[j] for j in at))
            elif out[i] is not None or converts_null:
                out[i] = convert(out[i])
        return out

    def represent(self, raws):
        return self._nesting.represent([self.values(raw) for raw in raws])

    def values_of(self, queryset):
        return queryset.prefetch_related(None).values_list(*self.paths)
