"""Form fields and widgets for the domain, shared by every model admin and inline: dates typed at
their precision (`2005-12`), amounts with thousands separators, lists of names one per line."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst

from ..api.fields import is_id
from ..dates import format_partial_date, parse_partial_date


class LinesField(forms.CharField):
    """A list of names edited as one name per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


def partial_date_fields(model):
    """{date field: its precision field} for the model's dates kept with a precision."""
    names = {field.name for field in model._meta.concrete_fields}
    return {
        field.name: f"{field.name}_precision"
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField) and f"{field.name}_precision" in names
    }


class PartialDateField(forms.CharField):
    """A date typed at its precision, `2005`, `2005-12` or `2005-12-16`: cleans to (date, precision)."""

    widget = forms.TextInput(attrs={"size": 10, "class": "vPartialDate", "placeholder": "YYYY-MM-DD"})
    default_help_text = "YYYY, YYYY-MM or YYYY-MM-DD"

    def __init__(self, *, precision_field, **kwargs):
        self.precision_field = precision_field
        kwargs.setdefault("help_text", self.default_help_text)
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_partial_date(text)
        except ValueError:
            raise ValidationError(
                "“%(text)s” is not a date: type YYYY, YYYY-MM or YYYY-MM-DD.",
                code="invalid",
                params={"text": text},
            ) from None


def format_amount(amount, currency="", is_estimate=False):
    """Money as a researcher reads it: `USD 700,000,000`, cents only when there are any."""
    if amount is None:
        return None
    number = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    text = f"{currency} {number}" if currency else number
    return f"{text} (est.)" if is_estimate else text


class AmountInput(forms.TextInput):
    """Shows a stored amount with thousands separators: 700,000,000."""

    def format_value(self, value):
        if isinstance(value, (Decimal, int)):
            return format_amount(Decimal(value))
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """An amount typed with or without thousands separators (700,000,000 or 700 000 000)."""

    widget = AmountInput(attrs={"size": 16, "inputmode": "decimal", "class": "vAmount"})

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[,_'\s\u00a0\u202f]", "", value)
        return super().to_python(value)


class TrackerModelForm(forms.ModelForm):
    """A record's form: dates with a precision typed and shown as `2005-12`, not 01/12/2005."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            value = self.initial.get(name)
            if isinstance(field, PartialDateField) and isinstance(value, datetime.date):
                self.initial[name] = format_partial_date(value, getattr(self.instance, field.precision_field))

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, PartialDateField) and isinstance(cleaned.get(name), tuple):
                date, precision = cleaned[name]
                cleaned[name] = date
                setattr(self.instance, field.precision_field, precision)
        return cleaned

    def _get_validation_exclusions(self):
        # A precision is no field of the form but is set by it (clean()): the rules that read
        # it (a source not accessed before it was published) are checked with the form, not
        # left to the database, which refused the save and emptied the form.
        precisions = {field.precision_field for field in self.fields.values() if isinstance(field, PartialDateField)}
        return super()._get_validation_exclusions() - precisions


# New rows one save of an inline may add beyond those it has. Django's bound (1,000 more
# than max_num) let a forged TOTAL_FORMS build 2,000 forms and hold a worker for 20 s.
INLINE_NEW_ROWS_MAX = 50


class BoundedInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset that builds no more forms than the rows it has plus
    INLINE_NEW_ROWS_MAX; a forged form count past that is its formset's error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        has = self.get_queryset().count() if self.instance.pk is not None else 0
        self.absolute_max = has + INLINE_NEW_ROWS_MAX
        self.max_num = min(self.max_num, self.absolute_max)


class IdCheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete looks the submitted value up to show it again: a value that is
    not an id (a tampered POST: supplier=abc) was a 500 while the form's error was shown.
    Such a value is shown as nothing chosen; the field says "Select a valid choice"."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if v in (None, "") or is_id(str(v))], attr)


class IdCheckedAutocompleteMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and type(field.widget) is AutocompleteSelect:
            field.widget.__class__ = IdCheckedAutocompleteSelect
        return field


class TrackerFieldsMixin(IdCheckedAutocompleteMixin):
    """Form fields for the domain, shared by the model admins and their inlines."""

    form = TrackerModelForm
    formset = BoundedInlineFormSet  # for the inlines

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        partial = partial_date_fields(db_field.model)
        if db_field.name in partial.values():
            return None  # the precision is what the editor types in the date itself
        label = capfirst(db_field.verbose_name)
        if db_field.name in partial:
            return PartialDateField(precision_field=partial[db_field.name], required=not db_field.blank, label=label)
        if db_field.name in {"aliases", "other_names"}:
            return LinesField(required=False, help_text=db_field.help_text, label=label)
        if db_field.name == "value_amount":
            return db_field.formfield(form_class=AmountField, label="Amount")
        if db_field.name == "value_currency":
            return db_field.formfield(
                label="Value",
                widget=forms.TextInput(attrs={"size": 4, "class": "vCurrency", "placeholder": "USD"}),
                help_text="ISO 4217",
            )
        if isinstance(db_field, models.DateField) and not isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = AdminDateWidget(format="%Y-%m-%d")
        return super().formfield_for_dbfield(db_field, request, **kwargs)
