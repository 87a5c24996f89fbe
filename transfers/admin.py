"""The editors' interface: every model, with history, search, filters and CSV export."""

import csv
import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.http import HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .dates import format_partial_date, parse_partial_date, validate_sane_date
from .history import record_version
from .models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem

admin.site.site_header = "Arms-transfer tracker"
admin.site.site_title = "Arms-transfer tracker"
admin.site.index_title = "Records"


# --- Shared pieces ------------------------------------------------------------------


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
            row.append("" if value is None else value)
        writer.writerow(row)
    return response


CONFLICT_MESSAGE = (
    "Someone else saved this record after you opened it; your changes were not saved, so theirs are not "
    "overwritten. Reload the page to see the current version, then make your changes again."
)


class BaseAdmin(SimpleHistoryAdmin):
    actions = [export_as_csv]
    list_per_page = 50

    # Optimistic locking: the change form carries the record's version; a save
    # based on an older version is refused with a form error.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "POST" and request.POST.get("_version"):
            extra_context["record_version"] = request.POST["_version"]
        elif object_id and re.fullmatch(r"[0-9]{1,18}", object_id):
            extra_context["record_version"] = record_version(model=self.model, pk=int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)

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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in {"aliases", "other_names"}:
            kwargs.pop("widget", None)
            return LinesField(required=False, help_text=db_field.help_text, label=db_field.verbose_name.capitalize())
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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
            return queryset.filter(**{f"{self.field}__year": year})
        return queryset


class OrderYearFilter(YearListFilter):
    title = "order year"
    parameter_name = "order_year"
    field = "order_date"


class TransferOrderYearFilter(YearListFilter):
    title = "order year"
    parameter_name = "order_year"
    field = "contract__order_date"
    years_of = (Contract, "order_date")


class DeliveryYearFilter(YearListFilter):
    title = "delivery year"
    parameter_name = "delivery_year"
    field = "date"


# --- Actors, people, systems ----------------------------------------------------------


@admin.register(Actor)
class ActorAdmin(BaseAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "aliases"]
    autocomplete_fields = ["parent"]
    ordering = ["name"]


@admin.register(Person)
class PersonAdmin(BaseAdmin):
    list_display = ["name", "title", "affiliation"]
    list_filter = [("affiliation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "title", "affiliation__name"]
    autocomplete_fields = ["affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["affiliation"]


@admin.register(WeaponSystem)
class WeaponSystemAdmin(BaseAdmin):
    list_display = ["designation", "category", "description", "origin", "producer"]
    list_filter = ["category", ("origin", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["designation", "slug", "description", "other_names"]
    autocomplete_fields = ["producer", "origin"]
    prepopulated_fields = {"slug": ["designation"]}
    list_select_related = ["origin", "producer"]


# --- Sources and claims ------------------------------------------------------------------


class ClaimInline(admin.StackedInline):
    model = Claim
    extra = 0
    show_change_link = True
    classes = ["collapse"]
    autocomplete_fields = ["source", "speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"]
    fieldsets = [
        (None, {"fields": ["summary", "quote", ("stance", "attribution", "rank")]}),
        (
            "Who says it",
            {"fields": [("speaker", "speaker_actor", "speaker_role"), ("stated_date", "stated_date_precision")]},
        ),
        ("Structured assertion", {"fields": [("assertion_field", "assertion_value"), "deprecation_reason"]}),
        ("About", {"fields": [("contract", "transfer", "delivery", "system", "actor")]}),
    ]


class ClaimOnSourceInline(ClaimInline):
    fk_name = "source"
    fieldsets = ClaimInline.fieldsets


class ClaimOnContractInline(ClaimInline):
    fk_name = "contract"
    fieldsets = [
        *ClaimInline.fieldsets[:3],
        ("Source", {"fields": ["source"]}),
    ]


@admin.register(Source)
class SourceAdmin(BaseAdmin):
    list_display = ["title", "kind", "publisher", "outlet", "published", "claim_count"]
    list_filter = ["kind", "publisher", "language"]
    search_fields = ["title", "publisher", "outlet", "url", "key"]
    date_hierarchy = "published_date"
    inlines = [ClaimOnSourceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_claims=Count("claims"))

    @admin.display(description="published", ordering="published_date")
    def published(self, obj):
        return obj.published_date_display

    @admin.display(description="claims", ordering="n_claims")
    def claim_count(self, obj):
        return obj.n_claims


@admin.register(Claim)
class ClaimAdmin(BaseAdmin):
    list_display = ["short_summary", "subject_display", "speaker_display", "stance", "attribution", "stated", "rank"]
    list_filter = ["stance", "attribution", "rank", ("source", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["summary", "quote", "speaker__name", "speaker_role", "source__title", "key"]
    autocomplete_fields = ["source", "speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"]
    list_select_related = [
        "source",
        "speaker",
        "speaker_actor",
        "contract",
        "transfer__contract",
        "transfer__system",
        "delivery",
        "system",
        "actor",
    ]
    fieldsets = [
        (None, {"fields": ["source", "summary", "quote", ("stance", "attribution", "rank"), "key"]}),
        (
            "Who says it",
            {"fields": [("speaker", "speaker_actor", "speaker_role"), ("stated_date", "stated_date_precision")]},
        ),
        ("Structured assertion", {"fields": [("assertion_field", "assertion_value"), "deprecation_reason"]}),
        (
            "About (exactly one)",
            {"fields": ["contract", "transfer", "delivery", "system", "actor"]},
        ),
    ]

    @admin.display(description="summary")
    def short_summary(self, obj):
        return obj.summary if len(obj.summary) <= 80 else obj.summary[:77] + "..."

    @admin.display(description="about")
    def subject_display(self, obj):
        return f"{obj.subject_type}: {obj.subject}" if obj.subject_type else "-"

    @admin.display(description="who")
    def speaker_display(self, obj):
        return obj.speaker or obj.speaker_role or obj.speaker_actor or "(source)"

    @admin.display(description="stated", ordering="stated_date")
    def stated(self, obj):
        return obj.stated_date_display


# --- Deals -----------------------------------------------------------------------------------


class TransferInlineForm(forms.ModelForm):
    """A transfer line, with an optional first delivery typed on the same row."""

    new_delivery_date = forms.CharField(
        required=False,
        label="add a delivery: date",
        help_text="YYYY, YYYY-MM or YYYY-MM-DD",
        widget=forms.TextInput(attrs={"size": 10}),
    )
    new_delivery_quantity = forms.IntegerField(required=False, min_value=0, label="quantity")

    class Meta:
        model = Transfer
        fields = [
            "line",
            "system",
            "quantity_ordered",
            "quantity_ordered_is_estimate",
            "condition",
            "licensed_production",
            "comments",
        ]

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("new_delivery_date")
        quantity = cleaned.get("new_delivery_quantity")
        if not text:
            if quantity is not None:
                self.add_error("new_delivery_date", "A delivery needs a date (at least a year).")
            return cleaned
        try:
            date, precision = parse_partial_date(text)
            validate_sane_date(date)
        except (ValueError, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            self.add_error("new_delivery_date", message)
            return cleaned
        ordered = cleaned.get("quantity_ordered")
        if quantity is not None and ordered is not None:
            already = 0
            if self.instance.pk:
                already = self.instance.deliveries.aggregate(t=Sum("quantity"))["t"] or 0
            if already + quantity > ordered:
                self.add_error(
                    "new_delivery_quantity",
                    f"Delivered total {already + quantity} would exceed the {ordered} ordered.",
                )
        cleaned["new_delivery"] = (date, precision, quantity)
        return cleaned


class TransferInline(admin.TabularInline):
    model = Transfer
    form = TransferInlineForm
    extra = 1
    show_change_link = True
    autocomplete_fields = ["system"]
    fields = [
        "line",
        "system",
        "quantity_ordered",
        "quantity_ordered_is_estimate",
        "condition",
        "licensed_production",
        "delivered",
        "remaining",
        "new_delivery_date",
        "new_delivery_quantity",
        "comments",
    ]
    readonly_fields = ["delivered", "remaining"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("system").annotate(delivered_total=Sum("deliveries__quantity"))
        )

    @admin.display(description="delivered")
    def delivered(self, obj):
        return obj.quantity_delivered if obj.pk else "-"

    @admin.display(description="remaining")
    def remaining(self, obj):
        return obj.quantity_remaining if obj.pk else "-"


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        from .models import Category

        return Category.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(transfers__system__category=self.value()).distinct()
        return queryset


@admin.register(Contract)
class ContractAdmin(BaseAdmin):
    list_display = ["reference", "supplier", "recipient", "ordered", "status", "kind", "value", "transfer_count"]
    list_filter = [
        "status",
        "kind",
        CategoryFilter,
        OrderYearFilter,
        ("supplier", admin.RelatedOnlyFieldListFilter),
        ("recipient", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "reference",
        "title",
        "notes",
        "supplier__name",
        "recipient__name",
        "transfers__system__designation",
    ]
    autocomplete_fields = ["supplier", "recipient"]
    list_select_related = ["supplier", "recipient"]
    inlines = [TransferInline, ClaimOnContractInline]
    fieldsets = [
        (None, {"fields": ["reference", "title", "kind", ("supplier", "recipient"), "status"]}),
        ("Order", {"fields": [("order_date", "order_date_precision", "order_date_is_estimate")]}),
        ("Value", {"fields": [("value_amount", "value_currency", "value_is_estimate")]}),
        ("More", {"fields": ["sipri_deal_id", "notes"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_transfers=Count("transfers", distinct=True))

    @admin.display(description="ordered", ordering="order_date")
    def ordered(self, obj):
        return obj.order_date_display or "-"

    @admin.display(description="value", ordering="value_amount")
    def value(self, obj):
        if obj.value_amount is None:
            return "-"
        return f"{obj.value_currency} {obj.value_amount:,.0f}{' (est.)' if obj.value_is_estimate else ''}"

    @admin.display(description="lines", ordering="n_transfers")
    def transfer_count(self, obj):
        return obj.n_transfers

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Transfer:
            return
        for inline_form in formset.forms:
            new_delivery = getattr(inline_form, "cleaned_data", {}).get("new_delivery")
            if new_delivery and inline_form.instance.pk:
                date, precision, quantity = new_delivery
                Delivery.objects.create(
                    transfer=inline_form.instance, date=date, date_precision=precision, quantity=quantity
                )


class DeliveryInlineFormSet(forms.BaseInlineFormSet):
    """The deliveries of one transfer together may not exceed the quantity ordered."""

    def clean(self):
        super().clean()
        ordered = self.instance.quantity_ordered
        if ordered is None:
            return
        total = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            total += form.cleaned_data.get("quantity") or 0
        if total > ordered:
            raise ValidationError(f"Delivered total {total} exceeds the {ordered} ordered.")


class DeliveryInline(admin.TabularInline):
    model = Delivery
    formset = DeliveryInlineFormSet
    extra = 1
    fields = ["line", "date", "date_precision", "date_is_estimate", "quantity", "quantity_is_estimate", "notes"]


@admin.register(Transfer)
class TransferAdmin(BaseAdmin):
    list_display = [
        "__str__",
        "supplier",
        "recipient",
        "system",
        "category",
        "quantity_ordered",
        "delivered",
        "remaining",
        "status",
    ]
    list_filter = [
        "system__category",
        "condition",
        "contract__status",
        TransferOrderYearFilter,
        ("contract__supplier", admin.RelatedOnlyFieldListFilter),
        ("contract__recipient", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "contract__reference",
        "system__designation",
        "system__description",
        "comments",
        "contract__supplier__name",
        "contract__recipient__name",
    ]
    autocomplete_fields = ["contract", "system"]
    list_select_related = ["contract__supplier", "contract__recipient", "system"]
    readonly_fields = ["delivered", "remaining"]
    inlines = [DeliveryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(delivered_total=Sum("deliveries__quantity"))

    @admin.display(ordering="contract__supplier__name")
    def supplier(self, obj):
        return obj.contract.supplier

    @admin.display(ordering="contract__recipient__name")
    def recipient(self, obj):
        return obj.contract.recipient

    @admin.display(ordering="system__category")
    def category(self, obj):
        return obj.system.get_category_display()

    @admin.display(description="status", ordering="contract__status")
    def status(self, obj):
        return obj.contract.get_status_display()

    @admin.display(description="delivered")
    def delivered(self, obj):
        return obj.quantity_delivered

    @admin.display(description="remaining")
    def remaining(self, obj):
        return obj.quantity_remaining


@admin.register(Delivery)
class DeliveryAdmin(BaseAdmin):
    list_display = ["transfer", "when", "quantity", "quantity_is_estimate"]
    list_filter = [DeliveryYearFilter, "transfer__system__category"]
    search_fields = ["transfer__contract__reference", "transfer__system__designation", "notes"]
    autocomplete_fields = ["transfer"]
    list_select_related = ["transfer__contract", "transfer__system"]

    @admin.display(description="date", ordering="date")
    def when(self, obj):
        return format_partial_date(obj.date, obj.date_precision)
