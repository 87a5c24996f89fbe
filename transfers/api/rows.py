"""A serializer's representation built from rows of plain values instead of model instances.

For lists that a selector can read as value tuples (the trade register): the row's
shape, its nesting and its conversions still come from the serializer, so the list
and the detail view cannot drift apart (a test compares them row by row).
"""

from rest_framework import serializers

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


class RowShape:
    """The columns of a serializer, flat, and how to nest a row of their values back
    into the serializer's representation. A related record whose `id` is null is null."""

    def __init__(self, serializer):
        leaves = serializer_leaves(serializer)
        self.columns = [column for column, _ in leaves]
        convert = {
            index: field.to_representation for index, (_, field) in enumerate(leaves) if not isinstance(field, _AS_IS)
        }
        self._plan = self._nest(list(enumerate(self.columns)), convert)

    @classmethod
    def _nest(cls, indexed, convert):
        """[(key, index, convert)] for values, [(key, id index, sub-plan)] for related records."""
        plan, groups = [], {}
        for index, column in indexed:
            head, _, rest = column.partition(".")
            if not rest:
                plan.append((head, index, convert.get(index)))
            else:
                if head not in groups:
                    groups[head] = []
                    plan.append((head, None, groups[head]))
                groups[head].append((index, rest))
        return [
            (key, index, convert_or_sub)
            if index is not None
            else (key, dict((c, i) for i, c in groups[key]).get("id"), cls._nest(groups[key], convert))
            for key, index, convert_or_sub in plan
        ]

    def represent(self, rows):
        return [self._represent(row, self._plan) for row in rows]

    @classmethod
    def _represent(cls, row, plan):
        out = {}
        for key, index, extra in plan:
            if isinstance(extra, list):
                out[key] = None if index is not None and row[index] is None else cls._represent(row, extra)
            else:
                value = row[index]
                out[key] = extra(value) if extra is not None and value is not None else value
        return out
