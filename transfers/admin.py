"""The editors' interface: every model, with history, search, filters and CSV export.

Laid out for the work and a 1400 px window: models in the order of the work (deals,
then sources and claims, then the reference lists), dates at their precision, money
with its currency and thousands separators, a deal's claims as a compact table.
"""

import csv
import datetime
import re
from decimal import Decimal
from types import MethodType

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from .api.csv import csv_safe
from .api.exceptions import database_refusal
from .assertions import ACCEPTED
from .dates import format_partial_date, parse_partial_date, validate_sane_date
from .evidence import contract_evidence
from .history import record_version
from .models import Actor, Article, Claim, Contract, Delivery, Person, Release, Source, Transfer, WeaponSystem

admin.site.site_header = "Arms-transfer tracker"
admin.site.site_title = "Arms-transfer tracker"
admin.site.index_title = "Records"
# "View site": the site's home page (today it leads to the API; a public reading room later).
admin.site.site_url = "/"


# --- The menu, in the order of the work --------------------------------------------

# Deals first, then what they rest on (sources, the articles claims are drafted from, claims),
# then the reference lists, then the register's releases (read-only).
WORK_ORDER = [Contract, Transfer, Delivery, Source, Article, Claim, Actor, Person, WeaponSystem, Release]
# Apps after the records: users and tokens, then the login-lockout tables (django-axes),
# folded away in a last group; they stay reachable at their own URLs.
APP_ORDER = {"transfers": 0, "auth": 1, "authtoken": 2, "axes": 3}
LOCKOUT_APP = "axes"
LOCKOUT_GROUP_NAME = "Login lockouts"


def app_list_in_order_of_work(site, request, app_label=None):
    """AdminSite.get_app_list, with the records in the order of the work and the lockouts last."""
    app_list = admin.AdminSite.get_app_list(site, request, app_label)
    rank = {model: index for index, model in enumerate(WORK_ORDER)}
    for app in app_list:
        if app["app_label"] == Contract._meta.app_label:
            app["models"].sort(key=lambda entry: rank.get(entry["model"], len(rank)))
        if app["app_label"] == LOCKOUT_APP:
            app["name"] = LOCKOUT_GROUP_NAME
            app["collapsed"] = True
    app_list.sort(key=lambda app: APP_ORDER.get(app["app_label"], len(APP_ORDER) - 1))
    return app_list


# The project uses Django's default site (settings and urls name no other), so it is set up here.
admin.site.get_app_list = MethodType(app_list_in_order_of_work, admin.site)


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


class TrackerFieldsMixin:
    """Form fields for the domain, shared by the model admins and their inlines."""

    form = TrackerModelForm

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


class BaseAdmin(TrackerFieldsMixin, SimpleHistoryAdmin):
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A rule the database enforces that validation could not see coming (another
        # editor's delivery saved a moment earlier): a message, not a 500. The whole
        # save was rolled back.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as exc:
            reasons = "; ".join(text for texts in database_refusal(exc).values() for text in texts)
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


def delivered_figures(transfer):
    """(delivered, remaining) as a researcher reads them, from the model's own figures.

    `quantity_delivered` is the sum of the deliveries' known quantities, else the
    register's reported total; what that leaves unknown is said so, never "None".
    """
    if transfer is None or not transfer.pk:
        return "—", "—"
    count = getattr(transfer, "deliveries_count", None)
    unknown = getattr(transfer, "deliveries_unknown", None)
    if count is None or unknown is None:
        counts = transfer.deliveries.aggregate(count=Count("pk"), unknown=Count("pk", filter=Q(quantity__isnull=True)))
        count, unknown = counts["count"], counts["unknown"]
    delivered = transfer.quantity_delivered
    ordered = transfer.quantity_ordered
    if delivered is None:
        if count:
            noun = "delivery" if count == 1 else "deliveries"
            return f"unknown ({count}\u00a0{noun})", "unknown"
        return "— (none recorded)", "unknown" if ordered is None else str(transfer.quantity_remaining)
    if unknown and count > unknown:
        # Summed over the deliveries whose quantity is known; the others add to it.
        remaining = "unknown" if ordered is None else f"at most {ordered - delivered}"
        return f"at least {delivered}", remaining
    return str(delivered), "unknown" if ordered is None else str(transfer.quantity_remaining)


def annotate_delivered(queryset):
    """What delivered_figures reads, in the list's own query: one join, three aggregates."""
    return queryset.annotate(
        delivered_total=Sum("deliveries__quantity"),
        deliveries_count=Count("deliveries"),
        deliveries_unknown=Count("deliveries", filter=Q(deliveries__quantity__isnull=True)),
    )


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


def source_label(source):
    """Where a claim was read: the outlet, and the wire or publisher behind it."""
    label = source.outlet or source.publisher or source.get_kind_display()
    if source.outlet and source.publisher and source.publisher != source.outlet:
        label = f"{source.outlet} ({source.publisher})"
    return label


def claim_speaker(claim):
    """(who, detail): the person, else the role as stated, else the actor; then role and affiliation."""
    actor = claim.speaker_actor.name if claim.speaker_actor else ""
    if claim.speaker:
        return claim.speaker.name, ", ".join(part for part in [claim.speaker_role, actor] if part)
    if claim.speaker_role:
        return claim.speaker_role, actor
    if actor:
        return actor, ""
    return "the source itself", ""


def claim_assertion(claim):
    """A structured assertion as text: `quantity ordered = 29`, `value = USD 700,000,000`."""
    if not claim.assertion_field:
        return ""
    return f"{claim.get_assertion_field_display()} = {claim.assertion_display}"


ASSERTION_HELP = (
    "Fill the inputs of the field's kind, or only “as written” and leave them empty: it is then read. "
    f"A quantity: {ACCEPTED['quantity']}. A value: {ACCEPTED['value']}. A date: {ACCEPTED['date']}. "
    f"A status: {ACCEPTED['status']}."
)
ASSERTION_FIELDSET = (
    "Structured assertion",
    {
        "fields": [
            ("assertion_field", "assertion_value"),
            ("assertion_quantity", "assertion_quantity_max", "assertion_qualifier", "assertion_is_estimate"),
            ("assertion_currency", "assertion_amount", "assertion_amount_max"),
            ("assertion_date", "assertion_date_end"),
            ("assertion_status", "assertion_negated"),
            "deprecation_reason",
        ],
        "description": ASSERTION_HELP,
    },
)


class AssertionFieldsMixin:
    """A claim's typed assertion in a form: amounts with separators, a short currency input."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in {"assertion_amount", "assertion_amount_max"}:
            return db_field.formfield(form_class=AmountField, required=False)
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "assertion_currency":
            field.widget = forms.TextInput(attrs={"size": 4, "class": "vCurrency", "placeholder": "USD"})
        elif db_field.name in {"assertion_quantity", "assertion_quantity_max"}:
            field.widget.attrs.update({"class": "vQuantity"})
        elif db_field.name == "assertion_value":
            field.widget.attrs.update({"placeholder": "$1 billion, about 30, 2007-01-16/2007-01-17, not completed"})
        return field


def claim_subject(claim):
    """What a claim is about, in words: `deal rus-irn-2005-tor-m1`, `line 1 of ...`, `delivery 2007-01-16 of ...`."""
    if claim.contract_id:
        return f"about deal {claim.contract.reference}"
    if claim.transfer_id:
        return f"about line {claim.transfer.line} of {claim.transfer.contract.reference} ({claim.transfer.system})"
    if claim.delivery_id:
        transfer = claim.delivery.transfer
        return f"about delivery {claim.delivery.date_display} of {transfer.contract.reference} #{transfer.line}"
    if claim.system_id:
        return f"about system {claim.system}"
    if claim.actor_id:
        return f"about {claim.actor}"
    return ""


def claim_date(claim):
    """(date, basis): the date stated, else the source's publication date."""
    if claim.stated_date:
        return claim.stated_date_display, "stated"
    if claim.source.published_date:
        return claim.source.published_date_display, "published"
    return None, ""


class ClaimInline(AssertionFieldsMixin, TrackerFieldsMixin, admin.StackedInline):
    model = Claim
    extra = 0
    show_change_link = True
    classes = ["collapse"]
    autocomplete_fields = [
        "source",
        "speaker",
        "speaker_actor",
        "contract",
        "transfer",
        "delivery",
        "system",
        "actor",
        "cites",
    ]
    fieldsets = [
        (None, {"fields": ["summary", "quote", ("stance", "attribution", "rank"), ("statement", "cites")]}),
        ("Who says it", {"fields": [("speaker", "speaker_actor", "speaker_role"), ("stated_date", "stated_date_end")]}),
        ASSERTION_FIELDSET,
        ("About", {"fields": [("contract", "transfer", "delivery", "system", "actor")]}),
    ]


class ClaimOnSourceInline(ClaimInline):
    fk_name = "source"


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


def deal_claim_ids(contract_ids):
    """Ids of the claims about these deals, their lines and their deliveries.

    A union of one index lookup per path, not one OR across joins (at a million
    claims the OR scans them all); read first, as they are usually few.
    """
    base = Claim.objects.order_by().values_list("pk", flat=True)
    first, *rest = [
        base.filter(contract__in=contract_ids),
        base.filter(transfer__contract__in=contract_ids),
        base.filter(delivery__transfer__contract__in=contract_ids),
    ]
    return first.union(*rest)


class DealFilter(admin.SimpleListFilter):
    """Claims about one deal: the contract, its lines and its deliveries (`?deal=<contract id>`).

    Shown only when chosen, from a deal's page; there are too many deals to list.
    """

    title = "deal"
    parameter_name = "deal"
    MAX_LISTED = 2000

    @staticmethod
    def is_id(value):
        return re.fullmatch(r"[0-9]{1,18}", value) is not None

    def lookups(self, request, model_admin):
        value = self.value()
        if value and self.is_id(value):
            contract = Contract.objects.filter(pk=int(value)).only("reference").first()
            if contract:
                return [(value, contract.reference)]
        return [(value, f"no deal {value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not self.is_id(value):
            return queryset.none()
        union = deal_claim_ids([int(value)])
        ids = list(union[: self.MAX_LISTED + 1])
        return queryset.filter(pk__in=ids if len(ids) <= self.MAX_LISTED else union)


@admin.register(Claim)
class ClaimAdmin(AssertionFieldsMixin, BaseAdmin):
    # The source first: it is what a researcher scans a list of claims by.
    list_display = ["source_display", "stated", "speaker_display", "stance_display", "summary_display"]
    list_display_links = ["summary_display"]
    list_filter = [
        "stance",
        "attribution",
        "rank",
        "assertion_field",
        ("source", admin.RelatedOnlyFieldListFilter),
        DealFilter,
    ]
    search_fields = ["summary", "quote", "speaker__name", "speaker_role", "source__title", "key", "statement"]
    autocomplete_fields = [
        "source",
        "speaker",
        "speaker_actor",
        "contract",
        "transfer",
        "delivery",
        "system",
        "actor",
        "cites",
    ]
    list_select_related = [
        "source",
        "speaker",
        "speaker_actor",
        "contract",
        "transfer__contract",
        "transfer__system",
        "delivery__transfer__contract",
        "system",
        "actor",
    ]
    fieldsets = [
        (None, {"fields": ["source", "summary", "quote", ("stance", "attribution", "rank"), "key"]}),
        ("Who says it", {"fields": [("speaker", "speaker_actor", "speaker_role"), ("stated_date", "stated_date_end")]}),
        ASSERTION_FIELDSET,
        ("Statement and citation", {"fields": [("statement", "cites")]}),
        (
            "About (exactly one)",
            {"fields": ["contract", "transfer", "delivery", "system", "actor"]},
        ),
    ]

    @admin.display(description="source", ordering="source__published_date")
    def source_display(self, obj):
        source = obj.source
        title = source.title if len(source.title) <= 60 else source.title[:57] + "..."
        return format_html(
            '<span title="{}">{}</span><div class="quiet">{}{}</div>',
            source.title,
            source_label(source),
            f"{source.published_date_display}: " if source.published_date else "",
            title,
        )

    @admin.display(description="summary")
    def summary_display(self, obj):
        summary = obj.summary if len(obj.summary) <= 120 else obj.summary[:117] + "..."
        return format_html('{}<div class="quiet">{}</div>', summary, claim_subject(obj))

    @admin.display(description="who", ordering="speaker__name")
    def speaker_display(self, obj):
        who, detail = claim_speaker(obj)
        detail = f"{detail} · {obj.get_attribution_display()}" if detail else obj.get_attribution_display()
        return format_html('{}<div class="quiet">{}</div>', who, detail)

    @admin.display(description="stance", ordering="stance")
    def stance_display(self, obj):
        rank = obj.get_rank_display() if obj.rank != Claim.Rank.NORMAL else ""
        return format_html('{}<div class="quiet">{}</div>', obj.get_stance_display(), rank)

    @admin.display(description="stated", ordering="stated_date")
    def stated(self, obj):
        return obj.stated_date_display


# --- Deals -----------------------------------------------------------------------------------


class TransferInlineForm(TrackerModelForm):
    """A transfer line, with an optional first delivery typed on the same row."""

    new_delivery_date = forms.CharField(
        required=False,
        label="date",
        help_text="YYYY, YYYY-MM or YYYY-MM-DD",
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "YYYY-MM-DD"}),
    )
    new_delivery_quantity = forms.IntegerField(
        required=False,
        min_value=0,
        label="quantity",
        widget=forms.NumberInput(attrs={"class": "vQuantity", "placeholder": "quantity"}),
    )

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
        labels = {"quantity_ordered_is_estimate": "estimate", "licensed_production": "licensed production"}
        widgets = {"comments": forms.Textarea(attrs={"rows": 2, "cols": 24})}

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


class Column:
    """A column of a grouped tabular inline: a heading over one fieldset line of fields."""

    def __init__(self, label, *, required=False, help_text=""):
        self.label, self.required, self.help_text = label, required, help_text


class TransferInline(TrackerFieldsMixin, admin.TabularInline):
    """A deal's lines, one compact row each: the figures that belong together share a cell."""

    model = Transfer
    form = TransferInlineForm
    template = "admin/edit_inline/tabular_grouped.html"
    extra = 1
    show_change_link = True
    autocomplete_fields = ["system"]
    # One fieldset line per cell, under these headings.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "line",
                    "system",
                    ("quantity_ordered", "quantity_ordered_is_estimate"),
                    ("condition", "licensed_production"),
                    ("delivered", "remaining"),
                    ("new_delivery_date", "new_delivery_quantity"),
                    "comments",
                ]
            },
        )
    ]
    columns = [
        Column("Line", help_text="Line number within the contract; assigned when left empty."),
        Column("System", required=True),
        Column("Ordered", help_text="Quantity ordered; empty when unknown."),
        Column("Condition"),
        Column("Delivered", help_text="Known from the deliveries recorded (or the register's total)."),
        Column("Add a delivery", help_text="Date as YYYY, YYYY-MM or YYYY-MM-DD, and the quantity if known."),
        Column("Comments"),
    ]
    readonly_fields = ["delivered", "remaining"]

    def get_queryset(self, request):
        return annotate_delivered(super().get_queryset(request).select_related("system"))

    @admin.display(description="delivered")
    def delivered(self, obj):
        return delivered_figures(obj)[0]

    @admin.display(description="remaining")
    def remaining(self, obj):
        return delivered_figures(obj)[1]


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


# A deal page lists at most this many claims; the claims list has them all.
DEAL_CLAIMS_SHOWN = 200


def deal_claim_rows(contract):
    """(rows, count): the claims about a deal, its lines and its deliveries, oldest first.

    A claim is dated by when it was stated, else by its source's publication (as the
    API's timeline dates it); each row holds what the deal page's table shows.
    """
    union = deal_claim_ids([contract.pk])
    ids = list(union[: DealFilter.MAX_LISTED + 1])
    count = len(ids) if len(ids) <= DealFilter.MAX_LISTED else Claim.objects.filter(pk__in=union).count()
    claims = (
        Claim.objects.filter(pk__in=ids if len(ids) <= DealFilter.MAX_LISTED else union)
        .select_related("source", "speaker", "speaker_actor", "transfer__system", "delivery__transfer")
        .order_by(Coalesce("stated_date", "source__published_date").asc(nulls_last=True), "pk")
    )
    rows = []
    for claim in claims[:DEAL_CLAIMS_SHOWN]:
        who, who_detail = claim_speaker(claim)
        date, date_basis = claim_date(claim)
        about = ""
        if claim.transfer_id:
            about = f"line {claim.transfer.line}: {claim.transfer.system}"
        elif claim.delivery_id:
            about = f"delivery {claim.delivery.date_display} (line {claim.delivery.transfer.line})"
        rows.append(
            {
                "who": who,
                "who_detail": who_detail,
                "attribution": claim.get_attribution_display(),
                "stance": claim.get_stance_display(),
                "summary": claim.summary,
                "assertion": claim_assertion(claim),
                "about": about,
                "rank": claim.get_rank_display() if claim.rank != Claim.Rank.NORMAL else "",
                "source": source_label(claim.source),
                "source_title": claim.source.title,
                "source_url": reverse("admin:transfers_source_change", args=[claim.source_id]),
                "date": date,
                "date_basis": date_basis,
                "change_url": reverse("admin:transfers_claim_change", args=[claim.pk]),
            }
        )
    return rows, count


def deal_evidence_rows(contract):
    """(rows, disputed): the deal's evidence per field (transfers.evidence) as the deal page's
    table shows it: the field, the value on record, each claim's value, who, where and when."""
    evidence = contract_evidence(contract=contract)
    rows = []
    for entry in evidence["fields"]:
        conflicting = {pk for pair in entry["conflicts"] for pk in pair}
        claims = []
        for claim in entry["claims"]:
            who, _ = claim_speaker(claim)
            claims.append(
                {
                    "value": claim.evidence["display"],
                    "who": who,
                    "attribution": claim.get_attribution_display(),
                    "stance": claim.get_stance_display() if claim.stance != Claim.Stance.ASSERTS else "",
                    "source": source_label(claim.source),
                    "date": claim.evidence["date"],
                    "rank": claim.get_rank_display() if claim.rank != Claim.Rank.NORMAL else "",
                    "follows": claim.pk == entry["follows"],
                    "conflicting": claim.pk in conflicting,
                    "change_url": reverse("admin:transfers_claim_change", args=[claim.pk]),
                }
            )
        rows.append(
            {
                "field": capfirst(entry["label"]),
                "record": entry["record"]["label"] if entry["record"]["type"] == "transfer" else "",
                "current": (entry["current"] or {}).get("display"),
                "disputed": entry["disputed"],
                "claims": claims,
            }
        )
    return rows, evidence["disputed"]


@admin.register(Contract)
class ContractAdmin(BaseAdmin):
    list_display = [
        "reference",
        "supplier",
        "recipient",
        "ordered",
        "status_display",
        "arms",
        "value",
        "transfer_count",
    ]
    list_filter = [
        "status",
        "disputed",
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
    # The claims are not an inline: the page lists them as a compact table, each
    # linked to its own page (templates/admin/transfers/contract/change_form.html).
    inlines = [TransferInline]
    fieldsets = [
        (None, {"fields": ["reference", "title", "kind", ("supplier", "recipient"), "status"]}),
        (
            "Order and value",
            {
                "fields": [
                    ("order_date", "order_date_is_estimate"),
                    ("value_currency", "value_amount", "value_is_estimate"),
                ]
            },
        ),
        ("More", {"fields": ["sipri_deal_id", "notes"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_transfers=Count("transfers", distinct=True))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in {"order_date_is_estimate", "value_is_estimate"}:
            field.label = "estimate"
        elif db_field.name == "sipri_deal_id":
            field.label = "SIPRI deal id"
        return field

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        contract = None
        if object_id and re.fullmatch(r"[0-9]{1,18}", object_id):
            contract = self.get_object(request, object_id)
        if contract is not None:
            rows, count = deal_claim_rows(contract)
            claims_url = reverse("admin:transfers_claim_changelist")
            evidence, disputed = deal_evidence_rows(contract)
            extra_context.update(
                deal_evidence=evidence,
                deal_disputed=disputed,
                deal_claims=rows,
                deal_claim_count=count,
                deal_claims_url=f"{claims_url}?{DealFilter.parameter_name}={contract.pk}",
                add_deal_claim_url=f"{reverse('admin:transfers_claim_add')}?contract={contract.pk}",
                can_add_claim=request.user.has_perm("transfers.add_claim"),
                can_change_claim=request.user.has_perm("transfers.change_claim"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="ordered", ordering="order_date")
    def ordered(self, obj):
        return obj.order_date_display or "-"

    @admin.display(description="status", ordering="status")
    def status_display(self, obj):
        # A disputed deal says so under its status: a column of its own made the list too wide.
        tag = format_html('<div class="disputed-tag">{}</div>', "disputed") if obj.disputed else ""
        return format_html("{}{}", obj.get_status_display(), tag)

    @admin.display(description="value", ordering="value_amount")
    def value(self, obj):
        return format_amount(obj.value_amount, obj.value_currency, obj.value_is_estimate) or "-"

    @admin.display(description="arms", ordering="kind", boolean=True)
    def arms(self, obj):
        return obj.kind == Contract.Kind.ARMS

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


class DeliveryInline(TrackerFieldsMixin, admin.TabularInline):
    model = Delivery
    formset = DeliveryInlineFormSet
    template = "admin/edit_inline/tabular_grouped.html"
    extra = 1
    fieldsets = [
        (None, {"fields": ["line", ("date", "date_is_estimate"), ("quantity", "quantity_is_estimate"), "notes"]}),
    ]
    columns = [
        Column("Line", help_text="Assigned when left empty."),
        Column("Date", required=True, help_text=PartialDateField.default_help_text),
        Column("Quantity", help_text="Empty when unknown."),
        Column("Notes"),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"date_is_estimate", "quantity_is_estimate"}:
            field.label = "estimate"
        elif db_field.name == "notes":
            field.widget = forms.Textarea(attrs={"rows": 2, "cols": 40})
        elif db_field.name == "quantity":
            field.widget.attrs.update({"class": "vQuantity"})
        return field


@admin.register(Transfer)
class TransferAdmin(BaseAdmin):
    list_display = [
        "line_display",
        "contract_supplier",
        "contract_recipient",
        "system",
        "ordered",
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
        "published_inconsistency",
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
    readonly_fields = ["delivered", "remaining", "published_inconsistency"]
    fieldsets = [
        (None, {"fields": [("contract", "line"), "system", ("condition", "licensed_production")]}),
        (
            "Quantities",
            {
                "fields": [
                    ("quantity_ordered", "quantity_ordered_is_estimate"),
                    ("reported_delivered", "reported_delivered_is_estimate"),
                    ("delivered", "remaining"),
                    "published_inconsistency",
                ]
            },
        ),
        (
            "SIPRI trend-indicator values (millions, not money)",
            {"fields": [("tiv_per_unit", "tiv_order", "tiv_delivered")]},
        ),
        (None, {"fields": ["comments"]}),
    ]
    inlines = [DeliveryInline]

    def get_queryset(self, request):
        return annotate_delivered(super().get_queryset(request))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name.endswith("_is_estimate"):
            field.label = "estimate"
        elif db_field.name == "comments":
            field.widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
        return field

    @admin.display(description="transfer", ordering="contract__reference")
    def line_display(self, obj):
        return f"{obj.contract.reference} #{obj.line}"

    @admin.display(description="supplier", ordering="contract__supplier__name")
    def contract_supplier(self, obj):
        return obj.contract.supplier

    @admin.display(description="recipient", ordering="contract__recipient__name")
    def contract_recipient(self, obj):
        return obj.contract.recipient

    @admin.display(description="ordered", ordering="quantity_ordered")
    def ordered(self, obj):
        if obj.quantity_ordered is None:
            return "unknown"
        return f"{obj.quantity_ordered}{' (est.)' if obj.quantity_ordered_is_estimate else ''}"

    @admin.display(description="status", ordering="contract__status")
    def status(self, obj):
        return obj.contract.get_status_display()

    @admin.display(description="delivered")
    def delivered(self, obj):
        return delivered_figures(obj)[0]

    @admin.display(description="remaining")
    def remaining(self, obj):
        return delivered_figures(obj)[1]


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


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are written by import_sipri only: shown, never edited."""

    list_display = [
        "id",
        "format",
        "generated",
        "file_name",
        "deals",
        "added",
        "dropped",
        "matched_exact",
        "matched_weaker",
        "ambiguous",
        "imported_by",
        "imported_at",
    ]
    list_filter = ["format"]
    search_fields = ["file_name", "sha256", "imported_by"]
    ordering = ["-imported_at", "-pk"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Release._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Articles and their drafts (transfers.articles): paste or upload, then review beside the text.
from .articles import admin as _articles_admin  # noqa: E402, F401
