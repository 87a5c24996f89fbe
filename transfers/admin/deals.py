"""Deals: a contract's page with its lines inline (a first delivery typed on the same row), the
claims about the deal as a compact table and its evidence per field."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from ..api.fields import is_id
from ..dates import parse_partial_date, validate_sane_date
from ..evidence import contract_evidence
from ..models import Category, Claim, Contract, Delivery, Transfer
from .base import BaseAdmin, Column, YearListFilter
from .evidence import DealFilter, claim_assertion, claim_date, claim_speaker, deal_claim_ids, source_label
from .forms import TrackerFieldsMixin, TrackerModelForm, format_amount
from .lines import DeliveredFiguresMixin, DeliveriesBeforeOrderWarned, annotate_delivered


class OrderYearFilter(YearListFilter):
    title = "order year"
    parameter_name = "order_year"
    field = "order_date"


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


class TransferInline(DeliveredFiguresMixin, TrackerFieldsMixin, admin.TabularInline):
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


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
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
class ContractAdmin(DeliveriesBeforeOrderWarned, BaseAdmin):
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
        ("absent_from", admin.EmptyFieldListFilter),
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
        ("More", {"fields": ["sipri_deal_id", "absent_from", "notes"]}),
    ]
    # Set by imports (a SIPRI release that no longer has the deal), never by hand.
    readonly_fields = ["absent_from"]

    @staticmethod
    def deliveries_of(obj):
        return Delivery.objects.filter(transfer__contract=obj)

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
        if is_id(object_id):
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
