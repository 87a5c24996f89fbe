"""Sources and claims: a claim's typed assertion in forms, how a claim is shown (who, what, when,
where it was read), and the claims about one deal."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from ..api.fields import is_id
from ..assertions import ACCEPTED
from ..models import Claim, Contract, Source
from .base import BaseAdmin
from .forms import AmountField, TrackerFieldsMixin


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


# A claim's records, picked by search (the inline on a source and the claim's own page).
CLAIM_AUTOCOMPLETE_FIELDS = [
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


class ClaimInline(AssertionFieldsMixin, TrackerFieldsMixin, admin.StackedInline):
    model = Claim
    extra = 0
    show_change_link = True
    classes = ["collapse"]
    autocomplete_fields = CLAIM_AUTOCOMPLETE_FIELDS
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

    def lookups(self, request, model_admin):
        value = self.value()
        if value and is_id(value):
            contract = Contract.objects.filter(pk=int(value)).only("reference").first()
            if contract:
                return [(value, contract.reference)]
        return [(value, f"no deal {value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not is_id(value):
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
    autocomplete_fields = CLAIM_AUTOCOMPLETE_FIELDS
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
