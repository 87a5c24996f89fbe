"""What every model admin shares: history, the CSV export action, optimistic locking, a database
refusal shown as a message, a year filter, and the columns of a grouped tabular inline."""

import csv
from types import MethodType

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import ExtractYear
from django.http import Http404, HttpResponse, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from ..api.csv import csv_safe
from ..api.exceptions import database_refusal
from ..api.fields import is_id
from ..history import record_version
from .forms import TrackerFieldsMixin


@admin.action(description="Export selected rows as CSV")
def export_as_csv(modeladmin, request, queryset):
    opts = modeladmin.model._meta
    fields = [f for f in opts.concrete_fields]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{opts.model_name}-export.csv"'
    writer = csv.writer(response)
    writer.writerow([f.name for f in fields])
    related = [f.name for f in fields if f.is_relation]
    for obj in queryset.select_related(*related):
        row = []
        for field in fields:
            value = getattr(obj, field.name)
            if field.is_relation and value is not None:
                value = value.natural_key()[0] if len(value.natural_key()) == 1 else str(value)
            elif isinstance(value, list):
                value = "; ".join(value)
            row.append("" if value is None else csv_safe(value))
        writer.writerow(row)
    return response


CONFLICT_MESSAGE = (
    "Someone else saved this record after you opened it; your changes were not saved, so theirs are not "
    "overwritten. Reload the page to see the current version, then make your changes again."
)


class FilterCheckedChangeList(ChangeList):
    """A changelist whose filter values PostgreSQL and Python's dates can take: a NUL, or a
    date hierarchy's year past 9999 (Django catches a ValueError there, not the
    OverflowError of 25 digits), is refused as Django refuses an unknown lookup (the list
    again with an error flag), not a 500."""

    def get_filters_params(self, params=None):
        lookups = super().get_filters_params(params)
        for name, values in lookups.items():
            for value in values if isinstance(values, list) else [values]:
                if "\x00" in str(value):
                    raise IncorrectLookupParameters("A filter value cannot hold a NUL character.")
                for part in str(value).split(",") if name.endswith("__in") else []:
                    # `id__in=1,2`: each a number the database holds (`__exact` and the others say so)
                    digits = part.strip().lstrip("-")
                    if digits.isascii() and digits.isdigit() and not is_id(digits):
                        raise IncorrectLookupParameters(f"{name}: {part[:25]} is past any id or number stored.")
                if self.date_hierarchy and name.startswith(f"{self.date_hierarchy}__"):
                    try:
                        number = int(value)
                    except ValueError:
                        raise IncorrectLookupParameters(f"{name} is not a number.") from None
                    if not 1 <= number <= 9999:
                        raise IncorrectLookupParameters(f"{name} is out of range.")
        return lookups

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if exclude_parameters is None and self.filter_params:
            # Django filters by any lookup of any field the address names (`date__year=-1`,
            # `code__regex=(`, `name__range=1,2`, `other_names__contains=x`) and finds the
            # lookup wrong only when the database runs it: a 500. The filtered list is tried
            # once (the first row, in a savepoint), and a lookup it cannot run is refused as
            # Django refuses an unknown one.
            try:
                with transaction.atomic(using=queryset.db):
                    queryset.exists()
            except (DatabaseError, ValueError, OverflowError, TypeError, NotImplementedError) as exc:
                raise IncorrectLookupParameters(f"A filter of the address cannot be run: {exc}") from exc
        return queryset


def changelists_checked(site):
    """Every list of the site, the project's and those of Django and the apps it uses (users,
    groups, tokens, login lockouts), checked as FilterCheckedChangeList checks them."""
    for model_admin in site._registry.values():
        if not isinstance(model_admin, FilterCheckedMixin):
            model_admin.get_changelist = MethodType(
                lambda self, request, **kwargs: FilterCheckedChangeList, model_admin
            )


class FilterCheckedMixin:
    def get_changelist(self, request, **kwargs):
        return FilterCheckedChangeList

    # django-simple-history reads the address's id as an integer: `abc`, `²` or 20 digits
    # were a 500 (ValueError, OverflowError). Not an id: no such record.
    def history_view(self, request, object_id, extra_context=None):
        if not is_id(object_id):
            raise Http404("No record has this id.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (is_id(object_id) and is_id(version_id)):
            raise Http404("No record or version has this id.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class BaseAdmin(FilterCheckedMixin, TrackerFieldsMixin, SimpleHistoryAdmin):
    actions = [export_as_csv]
    list_per_page = 50

    # Optimistic locking: the change form carries the record's version; a save
    # based on an older version is refused with a form error.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "POST" and request.POST.get("_version"):
            extra_context["record_version"] = request.POST["_version"]
        elif is_id(object_id):
            extra_context["record_version"] = record_version(model=self.model, pk=int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A rule the database enforces that validation could not see coming (another
        # editor's delivery saved a moment earlier): a message, not a 500. The whole
        # save was rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (IntegrityError, ValidationError) as exc:
            # (ValidationError: a rule only a save can check, such as a free line number.)
            if isinstance(exc, ValidationError):
                refusal = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            else:
                refusal = database_refusal(exc)
            reasons = "; ".join(text for texts in refusal.values() for text in texts)
            self.message_user(request, f"Nothing was saved: {reasons}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model = self.model

        class VersionCheckedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                submitted = self.data.get("_version")
                if self.instance.pk and submitted:
                    # Locks the row until the save commits: concurrent saves queue up here.
                    current = record_version(model=model, pk=self.instance.pk, lock=True)
                    if submitted != current:
                        raise ValidationError(CONFLICT_MESSAGE, code="conflict")
                return cleaned

        return VersionCheckedForm


class YearListFilter(admin.SimpleListFilter):
    """Filter on the year of a date field; `years_of` names (model, field) to list the years from."""

    field = None
    years_of = None

    def lookups(self, request, model_admin):
        model, field = self.years_of or (model_admin.model, self.field)
        years = (
            model.objects.exclude(**{f"{field}__isnull": True})
            .annotate(y=ExtractYear(field))
            .values_list("y", flat=True)
            .distinct()
            .order_by("-y")
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        if self.value():
            try:
                year = int(self.value())
            except ValueError:
                return queryset.none()
            if not 1 <= year <= 9999:  # a date's years: Django computes the year's bounds as dates
                return queryset.none()
            return queryset.filter(**{f"{self.field}__year": year})
        return queryset


class Column:
    """A column of a grouped tabular inline: a heading over one fieldset line of fields."""

    def __init__(self, label, *, required=False, help_text=""):
        self.label, self.required, self.help_text = label, required, help_text
