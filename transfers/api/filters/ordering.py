"""`ordering`: public names mapped to ORM paths, unknown names a 400."""

from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError


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
