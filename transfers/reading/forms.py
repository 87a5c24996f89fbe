"""The pages' GET forms, generated from the API's declarations.

The register's form has one field per filter of the API's `TransferFilterSet` (a
filter added there appears here, with a widget chosen by its kind), plus the
list's search, ordering and page size. The forms only render: the parameters are
validated by the API's own code (reading.selectors.Register), whose messages are
attached here to the fields they name.
"""

import django_filters
from django import forms

from ..api.filters import MAX_QUERY_YEAR, RecordListFilter, StrictBooleanFilter, YearFilter

LABELS = {
    "search": "Search",
    "supplier": "Supplier",
    "recipient": "Recipient",
    "system": "System",
    "category": "Category",
    "status": "Deal status",
    "condition": "Condition",
    "contract": "Deal",
    "ordered_from": "Ordered from",
    "ordered_to": "Ordered to",
    "delivered_from": "Delivered from",
    "delivered_to": "Delivered to",
    "confirmed": "Confirmed on record",
    "delivered_before_order": "Delivered before its order",
    "source": "Source",
    "ordering": "Sort by",
    "limit": "Rows per page",
    "measure": "Measure",
    "top": "Top",
}
PLACEHOLDERS = {
    "code": "code, e.g. RUS",
    "slug": "slug, e.g. tor-m1",
    "reference": "deal reference",
    "key": "source key",
}
# Filters that most searches leave alone: folded away unless given.
SECONDARY = {"condition", "contract", "source", "delivered_before_order"}
ORDERING_LABELS = {
    "order_date": "order date",
    "supplier": "supplier",
    "recipient": "recipient",
    "system": "system",
    "category": "category",
    "quantity_ordered": "number ordered",
    "quantity_delivered": "number delivered",
    "status": "deal status",
    "id": "entry",
}
ANY = ("", "any")


def label_for(name, filter_=None):
    return LABELS.get(name) or (filter_ and filter_.label) or name.replace("_", " ").capitalize()


def filter_field(name, filter_):
    """A form field for one of the API's filters, by the kind of filter it is."""
    help_text = str(filter_.extra.get("help_text") or "")
    attrs = {"title": help_text} if help_text else {}
    if isinstance(filter_, (StrictBooleanFilter, django_filters.BooleanFilter)):
        widget = forms.Select(attrs=attrs, choices=[ANY, ("true", "yes"), ("false", "no")])
    elif "choices" in filter_.extra:
        widget = forms.Select(attrs=attrs, choices=[ANY, *filter_.extra["choices"]])
    elif isinstance(filter_, YearFilter):
        widget = forms.NumberInput(attrs={**attrs, "min": 1, "max": MAX_QUERY_YEAR, "placeholder": "year"})
    elif isinstance(filter_, RecordListFilter):
        placeholder = PLACEHOLDERS.get(filter_.extra.get("lookup"), filter_.extra.get("lookup", ""))
        widget = forms.TextInput(attrs={**attrs, "placeholder": placeholder, "autocapitalize": "off"})
    else:
        widget = forms.TextInput(attrs=attrs)
    return forms.CharField(required=False, label=label_for(name, filter_), widget=widget, help_text=help_text)


class PageForm(forms.Form):
    """A GET form whose values the API validates: errors are attached, never found here."""

    def attach(self, errors):
        """Attach {parameter: [message]} to the fields they name, the rest to the form."""
        self.full_clean()
        for name, messages in errors.items():
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{name}: {message}")

    def keep_unlisted_choices(self):
        """A select shows the value given even when it is not one of its options
        (category=aircraft,ships: any of two), so that the form sends it back."""
        for name, field in self.fields.items():
            value = self.data.get(name)
            if isinstance(field.widget, forms.Select) and value:
                if value not in {str(choice) for choice, _label in field.widget.choices}:
                    field.widget.choices = [*field.widget.choices, (value, value)]

    def secondary(self):
        return [self[name] for name in self.fields if name in SECONDARY]

    def primary(self):
        return [self[name] for name in self.fields if name not in SECONDARY and name not in self.page_fields]

    page_fields = ()

    def secondary_open(self):
        return any(self.data.get(name) or self[name].errors for name in self.fields if name in SECONDARY)


class RegisterForm(PageForm):
    """/: every parameter of /api/transfers/ (filters, search, ordering, page size)."""

    page_fields = ("ordering", "limit")

    def __init__(self, register, limits=(100, 200, 500, 1000)):
        super().__init__(data=register.params)
        api = register.api
        for name in register.search_parameters():
            self.fields[name] = forms.CharField(
                required=False,
                label=label_for(name),
                widget=forms.TextInput(attrs={"type": "search", "placeholder": "system, description, comments, actor"}),
            )
        for name, filter_ in api.filterset_class.base_filters.items():
            self.fields[name] = filter_field(name, filter_)
        orderings = [("", "entry (default)")]
        for key in api.ordering_map:
            if key == "id":
                continue
            label = ORDERING_LABELS.get(key, key.replace("_", " "))
            orderings += [(key, f"{label}, ascending"), (f"-{key}", f"{label}, descending")]
        self.fields["ordering"] = forms.CharField(
            required=False, label=label_for("ordering"), widget=forms.Select(choices=orderings)
        )
        default = api.pagination_class.default_limit
        self.fields["limit"] = forms.CharField(
            required=False,
            label=label_for("limit"),
            widget=forms.Select(choices=[("", str(default)), *((str(n), str(n)) for n in limits)]),
        )
        self.keep_unlisted_choices()
        self.attach(register.errors)


class FlowsForm(PageForm):
    """/flows/: a period (order or delivery years) and a category, of the register's
    filters; other register filters given in the URL ride along as hidden fields."""

    SHOWN = ("category", "ordered_from", "ordered_to", "delivered_from", "delivered_to")

    def __init__(self, register, *, measures, tops, defaults):
        # The choices in effect shown as chosen, given or not.
        data = register.params.copy()
        for name, value in defaults.items():
            data.setdefault(name, value)
        super().__init__(data=data)
        filters = register.api.filterset_class.base_filters
        for name in self.SHOWN:
            if name in filters:
                self.fields[name] = filter_field(name, filters[name])
        self.fields["measure"] = forms.CharField(
            required=False,
            label=label_for("measure"),
            widget=forms.Select(choices=[(m.key, m.label) for m in measures]),
        )
        self.fields["top"] = forms.CharField(
            required=False, label=label_for("top"), widget=forms.Select(choices=[(str(n), str(n)) for n in tops])
        )
        self.hidden = [(name, value) for name, value in register.given() if name not in self.fields]
        self.given = [name for name, _value in register.given()]
        self.keep_unlisted_choices()
        self.attach(register.errors)


class MeasureForm(PageForm):
    """An actor's page: which measure its shares are of."""

    def __init__(self, data, *, measures, errors, defaults):
        data = data.copy()
        for name, value in defaults.items():
            data.setdefault(name, value)
        super().__init__(data=data)
        self.fields["measure"] = forms.CharField(
            required=False,
            label=label_for("measure"),
            widget=forms.Select(choices=[(m.key, m.label) for m in measures]),
        )
        self.attach(errors)
