"""A deal's lines (transfers) and their deliveries: what was delivered and what remains, as a
researcher reads it, and the deliveries of a line kept within the quantity ordered."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from ..dates import format_partial_date
from ..models import Contract, Delivery, Transfer
from ..selectors import delivery_before_order_q, transfer_delivered_before_order_q
from .base import BaseAdmin, Column, YearListFilter
from .forms import BoundedInlineFormSet, PartialDateField, TrackerFieldsMixin


def delivered_figures(transfer):
    """(delivered, remaining) as a researcher reads them, from the model's own figures.

    `quantity_delivered` is the sum of the deliveries' known quantities (the row's
    cached_delivered_sum), else the register's reported total; what that leaves unknown
    is said so, never "None".
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
    """What delivered_figures reads, in the list's own query: the deliveries' count and
    how many of them have no quantity (one join, two aggregates). Their sum is the row's
    own cached_delivered_sum (Transfer.quantity_delivered reads it)."""
    return queryset.annotate(
        deliveries_count=Count("deliveries"),
        deliveries_unknown=Count("deliveries", filter=Q(deliveries__quantity__isnull=True)),
    )


class DeliveredFiguresMixin:
    """The `delivered` and `remaining` columns of a transfer (delivered_figures), for its
    admin and the deal page's inline; their querysets go through annotate_delivered."""

    @admin.display(description="delivered")
    def delivered(self, obj):
        return delivered_figures(obj)[0]

    @admin.display(description="remaining")
    def remaining(self, obj):
        return delivered_figures(obj)[1]


class TransferOrderYearFilter(YearListFilter):
    title = "order year"
    parameter_name = "order_year"
    field = "contract__order_date"
    years_of = (Contract, "order_date")


class DeliveryYearFilter(YearListFilter):
    title = "delivery year"
    parameter_name = "delivery_year"
    field = "date"


class DeliveredBeforeOrderListFilter(admin.SimpleListFilter):
    """Records with a delivery dated before the deal's order (selectors.delivery_before_order_q):
    accepted as entered, listed to be checked against the source."""

    title = "delivered before ordered"
    parameter_name = "delivered_before_order"

    @staticmethod
    def condition():
        return transfer_delivered_before_order_q()

    def lookups(self, request, model_admin):
        return [("yes", "yes"), ("no", "no")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.condition())
        if self.value() == "no":
            return queryset.exclude(self.condition())
        return queryset


class DeliveryBeforeOrderListFilter(DeliveredBeforeOrderListFilter):
    title = "dated before the order"

    @staticmethod
    def condition():
        return delivery_before_order_q()


class DeliveriesBeforeOrderWarned:
    """After a save, a warning (not a refusal) for each of the record's deliveries dated
    before its deal's order: the news records aid delivered before its contract and leases
    later bought, so the dates are kept; a mistyped year is the likelier cause, so the
    editor is told. `deliveries_of(obj)`: the saved record's deliveries."""

    WARNED = 5

    @staticmethod
    def deliveries_of(obj):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        early = list(
            self.deliveries_of(form.instance)
            .filter(delivery_before_order_q())
            .select_related("transfer__contract")
            .order_by("transfer__line", "date", "line")[: self.WARNED + 1]
        )
        for delivery in early[: self.WARNED]:
            contract = delivery.transfer.contract
            when = format_partial_date(delivery.date, delivery.date_precision)
            ordered = format_partial_date(contract.order_date, contract.order_date_precision)
            self.message_user(
                request,
                f"Line {delivery.transfer.line}, delivery {delivery.line} ({when}) is dated before the order "
                f"({ordered}). Kept as entered; check both dates against the source.",
                level=messages.WARNING,
            )
        if len(early) > self.WARNED:
            self.message_user(request, "More deliveries are dated before the order.", level=messages.WARNING)


class DeliveryInlineFormSet(BoundedInlineFormSet):
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
class TransferAdmin(DeliveriesBeforeOrderWarned, DeliveredFiguresMixin, BaseAdmin):
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
        DeliveredBeforeOrderListFilter,
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

    @staticmethod
    def deliveries_of(obj):
        return obj.deliveries.all()

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


@admin.register(Delivery)
class DeliveryAdmin(DeliveriesBeforeOrderWarned, BaseAdmin):
    list_display = ["transfer", "when", "quantity", "quantity_is_estimate"]
    list_filter = [DeliveryYearFilter, "transfer__system__category", DeliveryBeforeOrderListFilter]
    search_fields = ["transfer__contract__reference", "transfer__system__designation", "notes"]
    autocomplete_fields = ["transfer"]
    list_select_related = ["transfer__contract", "transfer__system"]

    @staticmethod
    def deliveries_of(obj):
        return Delivery.objects.filter(pk=obj.pk)

    @admin.display(description="date", ordering="date")
    def when(self, obj):
        return format_partial_date(obj.date, obj.date_precision)
