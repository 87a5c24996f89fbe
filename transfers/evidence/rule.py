"""The evidence rule: which claims are evidence for which field of a deal, and when two
of them disagree. Reads claims, writes nothing (disputed.py keeps the flag from it,
report.py shows a deal's evidence by it).

Which claims are evidence for which field:
- the deal's value, order date and status: claims with that field about the contract,
  one of its lines or one of its deliveries;
- a line's quantities ordered and delivered and its delivery dates: claims about the
  line or one of its deliveries, and claims about the contract when it has one line
  (with several, such claims are kept on the contract: they do not say which line).

When claims disagree (the tolerance rule; transfers.assertions reads each value):
- Figures are compared after normalising units and ranges (`$1bn` is USD 1,000,000,000).
  An exact figure is itself; a range its two ends; `about n`, or a figure marked as an
  estimate, is n ± 10% (at least ± 1 for quantities); `at least n` is n and above, `more
  than n` above n, `up to n` 0 to n, `less than n` below n. Two claims disagree when no
  value satisfies both: "29" and "about 30" (27 to 33) agree, USD 700m and $1bn do not.
  Values in different currencies are not compared (no exchange rates are kept).
- Dates cover their precision (`2005-12` is 1 to 31 December) or their range; two claims
  disagree when they share no day.
- A status allows states of the deal: `delivering` and `completed` that state only,
  `signed` (a milestone) signed or anything after it, `delivered` delivering or
  completed, `reported` anything; `not X` every state X does not allow. Claims at
  different times are read in order: a later claim may report a later state (signed in
  2005, delivering in 2007), so they disagree only when the later one's states cannot
  follow the earlier one's. Claims of the same day, or undated, disagree when they share
  no state.
- Quantities delivered only grow: a later total below an earlier one disagrees, a
  higher one does not. Claims about one delivery (its date, its quantity) are compared
  with each other; claims about a line's delivery dates as a whole are not (a line may
  have several deliveries).
- A claim that denies (stance `denies`) disagrees with a claim whose whole value it denies.
- Deprecated claims are listed but never make a field disputed.

A claim is dated by when it was stated, else by its source's publication.
"""

from itertools import combinations

from django.apps import apps as django_apps
from django.db.models import BigIntegerField, F
from django.db.models.functions import Coalesce

from ..assertions import (
    AssertionField,
    Interval,
    date_interval,
    date_range_span,
    date_span,
    number_interval,
    states_later,
    status_states,
)

CONTRACT_FIELDS = (AssertionField.VALUE, AssertionField.ORDER_DATE, AssertionField.STATUS)
LINE_FIELDS = (AssertionField.QUANTITY_ORDERED, AssertionField.QUANTITY_DELIVERED, AssertionField.DELIVERY_DATE)
EVIDENCE_FIELDS = (*CONTRACT_FIELDS, *LINE_FIELDS)


# --- Loading a deal's claims -----------------------------------------------------------------


def model_of(registry, name):
    return (registry or django_apps).get_model("transfers", name)


def deal_claims(*, contract_ids, registry=None, related=()):
    """The claims with an evidence field about these deals, their lines or their deliveries,
    each annotated with its deal (`deal_id`), its line (`line_id`) and its source's date.

    The ids first, one index lookup per path (an OR across the three joins scans every
    claim), then the claims: two queries, whatever the number of claims.
    """
    return claims_of(
        ids=list(claim_deals(contract_ids=contract_ids, registry=registry)), registry=registry, related=related
    )


def claims_of(*, ids, registry=None, related=()):
    """These claims, annotated as deal_claims annotates them."""
    if not ids:
        return []
    return list(
        _with_deal(model_of(registry, "Claim")._base_manager.filter(pk__in=ids))
        .annotate(
            line_id=Coalesce("transfer_id", "delivery__transfer_id", output_field=BigIntegerField()),
            source_published_date=F("source__published_date"),
            source_published_precision=F("source__published_date_precision"),
        )
        .select_related(*related)
        .order_by("pk")
    )


def claim_deals(*, contract_ids, registry=None):
    """{claim id: its deal's id} of the evidence claims about these deals (a claim has
    exactly one subject, so one path finds it)."""
    Claim = model_of(registry, "Claim")
    base = Claim._base_manager.filter(assertion_field__in=EVIDENCE_FIELDS).order_by()
    # "isnull=False", implied by the joins, tells the planner to start from the few claims
    # about lines or deliveries, not from every delivery of these deals (a scan of them all).
    first, *rest = [
        base.filter(contract_id__in=contract_ids).values_list("pk", "contract_id"),
        base.filter(transfer__isnull=False, transfer__contract_id__in=contract_ids).values_list(
            "pk", "transfer__contract_id"
        ),
        base.filter(delivery__isnull=False, delivery__transfer__contract_id__in=contract_ids).values_list(
            "pk", "delivery__transfer__contract_id"
        ),
    ]
    return dict(first.union(*rest))


def _with_deal(claims):
    return claims.annotate(
        deal_id=Coalesce(
            "contract_id", "transfer__contract_id", "delivery__transfer__contract_id", output_field=BigIntegerField()
        )
    )


def claim_time(claim):
    """The days a claim was made on: the date stated (or its range), else the source's
    publication date; None when neither is known."""
    if claim.stated_date is not None:
        return Interval(
            *date_range_span(
                claim.stated_date, claim.stated_date_precision, claim.stated_date_end, claim.stated_date_end_precision
            )
        )
    if claim.source_published_date is not None:
        return Interval(*date_span(claim.source_published_date, claim.source_published_precision))
    return None


def _before(a, b):
    """Whether claim a was certainly made before claim b."""
    time_a, time_b = claim_time(a), claim_time(b)
    return time_a is not None and time_b is not None and time_a.high < time_b.low


# --- Which record and field a claim is evidence for -----------------------------------------------


def _record_key(claim, *, sole_line):
    """("contract" | "transfer", id) of the record whose field the claim speaks of."""
    if claim.assertion_field in CONTRACT_FIELDS:
        return ("contract", claim.deal_id)
    if claim.line_id is not None:
        return ("transfer", claim.line_id)
    return ("transfer", sole_line) if sole_line is not None else ("contract", claim.deal_id)


def _comparison_group(claim):
    """Claims are compared within a group: per currency for values, per delivery for
    delivery dates and quantities (None: the line as a whole)."""
    field = claim.assertion_field
    if field == AssertionField.VALUE:
        return claim.assertion_currency
    if field in (AssertionField.DELIVERY_DATE, AssertionField.QUANTITY_DELIVERED):
        return claim.delivery_id
    return None


def claim_denies(claim):
    return claim.stance == "denies"


def claim_states(claim):
    return status_states(claim.assertion_status, negated=claim.assertion_negated != claim_denies(claim))


def claim_interval(claim):
    if claim.assertion_field == AssertionField.STATUS:
        return None
    if claim.assertion_field in (AssertionField.ORDER_DATE, AssertionField.DELIVERY_DATE):
        return date_interval(claim)
    return number_interval(claim)


def claims_disagree(a, b):
    """Whether two claims about the same field of the same record cannot both be right
    (the rule in this module's docstring)."""
    field = a.assertion_field
    if field == AssertionField.STATUS:
        if _before(b, a):
            a, b = b, a
        if _before(a, b):
            return not (claim_states(b) & states_later(claim_states(a)))
        return not (claim_states(a) & claim_states(b))
    if _comparison_group(a) != _comparison_group(b):
        return False
    if field == AssertionField.DELIVERY_DATE and a.delivery_id is None:
        return False  # a line's delivery dates as a whole: it may have several deliveries
    first, second = claim_interval(a), claim_interval(b)
    if first is None or second is None:
        return False
    if claim_denies(a) or claim_denies(b):
        if claim_denies(a) and claim_denies(b):
            return False
        denied, asserted = (first, second) if claim_denies(a) else (second, first)
        return asserted.within(denied)
    if field == AssertionField.QUANTITY_DELIVERED and a.delivery_id is None:
        # Totals delivered so far only grow: an earlier one may be below a later one.
        if _before(b, a):
            a, b, first, second = b, a, second, first
        if _before(a, b):
            return not first.reaches_up_to(second)
    return not first.meets(second)


def field_conflicts(claims):
    """The pairs of (non-deprecated) claims of one record's field that disagree, by id."""
    active = [claim for claim in claims if claim.rank != "deprecated"]
    return [(a.pk, b.pk) for a, b in combinations(active, 2) if claims_disagree(a, b)]


def claims_by_field(*, claims, sole_line):
    """{(record type, id, field): [claims]} of one deal."""
    entries = {}
    for claim in claims:
        kind, record = _record_key(claim, sole_line=sole_line)
        entries.setdefault((kind, record, claim.assertion_field), []).append(claim)
    return entries
