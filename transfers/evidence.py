"""Evidence per record: for each field of a deal that claims can be about, the record's
current value, every claim about it, whether the claims disagree, and which claim the
value follows. Also keeps Contract.disputed (signals below), so lists filter on a column.

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

import contextlib
import contextvars
from collections import Counter
from decimal import Decimal
from itertools import combinations

from django.apps import apps as django_apps
from django.db import router, transaction
from django.db.models import BigIntegerField, F
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .assertions import COLUMNS as ASSERTION_COLUMNS
from .assertions import (
    AssertionField,
    Interval,
    amount_display,
    assertion_cleaned,
    assertion_display,
    date_interval,
    date_range_span,
    date_span,
    number_interval,
    states_later,
    status_states,
)
from .bulk import rows_inserted, rows_inserting
from .dates import format_partial_date
from .models import Claim, Contract, Delivery, Source, Transfer

CONTRACT_FIELDS = (AssertionField.VALUE, AssertionField.ORDER_DATE, AssertionField.STATUS)
LINE_FIELDS = (AssertionField.QUANTITY_ORDERED, AssertionField.QUANTITY_DELIVERED, AssertionField.DELIVERY_DATE)
EVIDENCE_FIELDS = (*CONTRACT_FIELDS, *LINE_FIELDS)

_RANK_ORDER = {"preferred": 0, "normal": 1, "deprecated": 2}


# --- Loading a deal's claims -----------------------------------------------------------------


def _model(registry, name):
    return (registry or django_apps).get_model("transfers", name)


def _deal_claims(*, contract_ids, registry=None, related=()):
    """The claims with an evidence field about these deals, their lines or their deliveries,
    each annotated with its deal (`deal_id`), its line (`line_id`) and its source's date.

    The ids first, one index lookup per path (an OR across the three joins scans every
    claim), then the claims: two queries, whatever the number of claims.
    """
    return _claims_of(
        ids=list(_claim_deals(contract_ids=contract_ids, registry=registry)), registry=registry, related=related
    )


def _claims_of(*, ids, registry=None, related=()):
    if not ids:
        return []
    return list(
        _with_deal(_model(registry, "Claim")._base_manager.filter(pk__in=ids))
        .annotate(
            line_id=Coalesce("transfer_id", "delivery__transfer_id", output_field=BigIntegerField()),
            source_published_date=F("source__published_date"),
            source_published_precision=F("source__published_date_precision"),
        )
        .select_related(*related)
        .order_by("pk")
    )


def _claim_deals(*, contract_ids, registry=None):
    """{claim id: its deal's id} of the evidence claims about these deals (a claim has
    exactly one subject, so one path finds it)."""
    Claim = _model(registry, "Claim")
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


def _denies(claim):
    return claim.stance == "denies"


def _states(claim):
    return status_states(claim.assertion_status, negated=claim.assertion_negated != _denies(claim))


def _interval(claim):
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
            return not (_states(b) & states_later(_states(a)))
        return not (_states(a) & _states(b))
    if _comparison_group(a) != _comparison_group(b):
        return False
    if field == AssertionField.DELIVERY_DATE and a.delivery_id is None:
        return False  # a line's delivery dates as a whole: it may have several deliveries
    first, second = _interval(a), _interval(b)
    if first is None or second is None:
        return False
    if _denies(a) or _denies(b):
        if _denies(a) and _denies(b):
            return False
        denied, asserted = (first, second) if _denies(a) else (second, first)
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


def _entries(*, claims, sole_line):
    """{(record type, id, field): [claims]} of one deal."""
    entries = {}
    for claim in claims:
        kind, record = _record_key(claim, sole_line=sole_line)
        entries.setdefault((kind, record, claim.assertion_field), []).append(claim)
    return entries


# --- The disputed flag -------------------------------------------------------------------------

_deferred = contextvars.ContextVar("disputed_refresh_deferred", default=None)


@contextlib.contextmanager
def contract_disputed_deferred():
    """Collect the deals whose flags need recomputing and recompute them once, at the
    end (loaddata: a deal with twenty claims is compared once, not twenty times)."""
    if _deferred.get() is not None:
        yield
        return
    pending = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    contract_disputed_refresh(contract_ids=pending)


def contract_disputed_refresh(*, contract_ids, registry=None):
    """Recompute Contract.disputed of these deals from their claims. `registry`: the
    apps of a migration (its historical models), else the project's."""
    ids = sorted({pk for pk in contract_ids if pk is not None})
    Contract, Transfer = _model(registry, "Contract"), _model(registry, "Transfer")
    using = router.db_for_write(Contract)
    for start in range(0, len(ids), 500):
        with transaction.atomic(using=using):
            _refresh_chunk(ids[start : start + 500], Contract=Contract, Transfer=Transfer, registry=registry)


def _refresh_chunk(chunk, *, Contract, Transfer, registry):
    # The deals are locked (in id order) before their claims are read: a claim written at
    # the same moment by another editor is then either seen here, or its own transaction
    # waits for this one and sees this one's (two claims that disagree, written at once,
    # each compared without the other, would leave the deal undisputed).
    list(Contract._base_manager.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk").values_list("pk"))
    # One claim cannot disagree with itself: only deals with two or more are compared, and
    # only their claims are read (an import's thirty thousand new deals have one each).
    deal_of = _claim_deals(contract_ids=chunk, registry=registry)
    count = Counter(deal_of.values())
    by_deal = {}
    for claim in _claims_of(ids=[pk for pk, deal in deal_of.items() if count[deal] > 1], registry=registry):
        by_deal.setdefault(claim.deal_id, []).append(claim)
    candidates = list(by_deal)
    lines = {}
    for deal, line in Transfer._base_manager.filter(contract_id__in=candidates).values_list("contract_id", "pk"):
        lines.setdefault(deal, []).append(line)
    disputed = {
        deal
        for deal in candidates
        if any(
            field_conflicts(claims)
            for claims in _entries(
                claims=by_deal[deal],
                sole_line=lines[deal][0] if len(lines.get(deal, ())) == 1 else None,
            ).values()
        )
    }
    undisputed = set(chunk) - disputed
    if disputed:
        Contract._base_manager.filter(pk__in=disputed, disputed=False).update(disputed=True)
    if undisputed:
        Contract._base_manager.filter(pk__in=undisputed, disputed=True).update(disputed=False)


def _refresh(contract_ids):
    pending = _deferred.get()
    if pending is not None:
        pending.update(pk for pk in contract_ids if pk is not None)
    else:
        contract_disputed_refresh(contract_ids=contract_ids)


def claim_deal_ids(*, claims):
    """The deals these claims (model instances or plain rows) are about, through their
    contract, line or delivery; claims about systems or actors have none."""
    deals = {claim.contract_id for claim in claims if getattr(claim, "contract_id", None)}
    transfers = {claim.transfer_id for claim in claims if getattr(claim, "transfer_id", None)}
    deliveries = {claim.delivery_id for claim in claims if getattr(claim, "delivery_id", None)}
    if transfers:
        deals.update(Transfer._base_manager.filter(pk__in=transfers).values_list("contract_id", flat=True))
    if deliveries:
        deals.update(Delivery._base_manager.filter(pk__in=deliveries).values_list("transfer__contract_id", flat=True))
    return deals


def _stored(model, instance, fields):
    if instance.pk is None:
        return None
    return model._base_manager.filter(pk=instance.pk).values(*fields).first()


class _StoredClaim:
    """A claim's subject as stored before a save."""

    def __init__(self, values):
        self.contract_id, self.transfer_id, self.delivery_id = (
            values["contract_id"],
            values["transfer_id"],
            values["delivery_id"],
        )


@receiver(pre_save, sender=Claim)
def _claim_saving(sender, instance, **kwargs):
    # A claim moved to another deal, or to another field, changes the flags of both deals.
    instance._evidence_stored = _stored(
        sender, instance, ["contract_id", "transfer_id", "delivery_id", "assertion_field"]
    )


@receiver(post_save, sender=Claim)
def _claim_saved(sender, instance, **kwargs):
    stored = getattr(instance, "_evidence_stored", None)
    if instance.assertion_field in EVIDENCE_FIELDS or (stored and stored["assertion_field"] in EVIDENCE_FIELDS):
        claims = [instance] + ([_StoredClaim(stored)] if stored else [])
        _refresh(claim_deal_ids(claims=claims))


@receiver(post_delete, sender=Claim)
def _claim_deleted(sender, instance, **kwargs):
    if instance.assertion_field in EVIDENCE_FIELDS:
        _refresh(claim_deal_ids(claims=[instance]))


@receiver(pre_save, sender=Transfer)
@receiver(pre_save, sender=Delivery)
def _line_saving(sender, instance, **kwargs):
    parent = "contract_id" if sender is Transfer else "transfer_id"
    stored = _stored(sender, instance, [parent])
    instance._evidence_parent = stored[parent] if stored else None


@receiver(post_save, sender=Transfer)
def _transfer_saved(sender, instance, created=False, **kwargs):
    # A line moved to another deal takes its claims (and its deliveries') with it.
    stored = getattr(instance, "_evidence_parent", None)
    if not created and stored != instance.contract_id:
        _refresh({stored, instance.contract_id})


@receiver(post_save, sender=Delivery)
def _delivery_saved(sender, instance, created=False, **kwargs):
    stored = getattr(instance, "_evidence_parent", None)
    if not created and stored != instance.transfer_id:
        lines = Transfer._base_manager.filter(pk__in=[stored, instance.transfer_id])
        _refresh(set(lines.values_list("contract_id", flat=True)))


@receiver(pre_save, sender=Source)
def _source_saving(sender, instance, **kwargs):
    instance._evidence_date = _stored(sender, instance, ["published_date", "published_date_precision"])


@receiver(post_save, sender=Source)
def _source_saved(sender, instance, created=False, **kwargs):
    # Claims without a date stated are dated by their source: their order may have changed.
    stored = getattr(instance, "_evidence_date", None)
    if created or stored is None:
        return
    if (stored["published_date"], stored["published_date_precision"]) == (
        instance.published_date,
        instance.published_date_precision,
    ):
        return
    claims = Claim._base_manager.filter(source=instance, assertion_field__in=EVIDENCE_FIELDS)
    _refresh(claim_deal_ids(claims=list(claims.only("contract_id", "transfer_id", "delivery_id"))))


@receiver(post_save, sender=Contract)
def _contract_saved(sender, instance, **kwargs):
    # A save writes every column, the flag included: from a stale instance, or from a
    # fixture (which leaves the flag out), it could be wrong; it is recomputed.
    _refresh({instance.pk})


@receiver(rows_inserting, sender=Claim)
def _claims_bulk_inserting(sender, rows, **kwargs):
    # Imports write claims as plain rows: a value given as text is read, and checked, by
    # the same rules as every other claim's. Read once per distinct assertion (an import's
    # thirty thousand claims say a few hundred different numbers).
    read = {}
    for row in rows:
        if not getattr(row, "assertion_field", ""):
            continue
        given = {column: getattr(row, column) for column in ASSERTION_COLUMNS}
        key = tuple((value.__class__, value) for value in given.values())
        if key not in read:
            read[key] = assertion_cleaned(values=given)
        values, errors = read[key]
        if errors:
            raise ValueError(f"Claim {getattr(row, 'key', '')}: {'; '.join(errors.values())}")
        for column, value in values.items():
            setattr(row, column, value)


@receiver(rows_inserted, sender=Claim)
def _claims_bulk_inserted(sender, rows, **kwargs):
    typed = [row for row in rows if getattr(row, "assertion_field", "") in EVIDENCE_FIELDS]
    if typed:
        _refresh(claim_deal_ids(claims=typed))


# --- A deal's evidence, for the API and the admin --------------------------------------------------


def _plain_number(value, kind):
    if value is None:
        return None
    if kind == "value":
        return str(Decimal(value).quantize(Decimal("0.01")))
    return format(Decimal(value).normalize(), "f")


def _normalised(claim):
    """What the claim's value allows, as it is compared: the interval of a figure or of
    days, or the states a status allows."""
    if claim.assertion_field == AssertionField.STATUS:
        return {"states": sorted(_states(claim))}
    interval = _interval(claim)
    if interval is None:
        return None
    if claim.assertion_field in (AssertionField.ORDER_DATE, AssertionField.DELIVERY_DATE):
        low, high = interval.low.isoformat(), interval.high.isoformat()
    else:
        kind = "value" if claim.assertion_field == AssertionField.VALUE else "quantity"
        low, high = _plain_number(interval.low, kind), _plain_number(interval.high, kind)
    return {"low": low, "high": high, "low_open": interval.low_open, "high_open": interval.high_open}


def _current(field, *, contract, line, deliveries):
    """(compared, shown): the record's current value of `field` as compared with claims,
    and as shown (typed like an assertion, with its display); (None, None) when unknown."""
    if field == AssertionField.VALUE:
        if contract.value_amount is None:
            return None, None
        shown = {
            "amount": _plain_number(contract.value_amount, "value"),
            "currency": contract.value_currency,
            "is_estimate": contract.value_is_estimate,
            "display": amount_display(contract.value_amount, contract.value_currency),
        }
        return (contract.value_amount, contract.value_currency), shown
    if field == AssertionField.ORDER_DATE:
        if contract.order_date is None:
            return None, None
        display = contract.order_date_display
        shown = {"date": display, "is_estimate": contract.order_date_is_estimate, "display": display}
        return Interval(*date_span(contract.order_date, contract.order_date_precision)), shown
    if field == AssertionField.STATUS:
        return contract.status, {"status": contract.status, "display": contract.status}
    if line is None:
        return None, None  # a line field of a deal with several lines
    if field == AssertionField.QUANTITY_ORDERED:
        if line.quantity_ordered is None:
            return None, None
        shown = {
            "quantity": line.quantity_ordered,
            "is_estimate": line.quantity_ordered_is_estimate,
            "display": str(line.quantity_ordered),
        }
        return {"total": Decimal(line.quantity_ordered), "deliveries": {}}, shown
    if field == AssertionField.QUANTITY_DELIVERED:
        known = [d.quantity for d in deliveries if d.quantity is not None]
        total = sum(known) if known else line.reported_delivered
        compared = {
            "total": None if total is None else Decimal(total),
            "deliveries": {d.pk: Decimal(d.quantity) for d in deliveries if d.quantity is not None},
        }
        shown = None if total is None else {"quantity": total, "display": str(total)}
        return compared, shown
    dates = [format_partial_date(d.date, d.date_precision) for d in deliveries]
    if not dates:
        return None, None
    compared = {d.pk: Interval(*date_span(d.date, d.date_precision)) for d in deliveries}
    return compared, {"dates": dates, "display": ", ".join(dates)}


def _agrees(claim, compared):
    """Whether the claim allows the record's current value (None: not comparable)."""
    field = claim.assertion_field
    if compared is None:
        return None
    if field == AssertionField.STATUS:
        return compared in _states(claim)
    interval = _interval(claim)
    if interval is None:
        return None
    if field == AssertionField.VALUE:
        amount, currency = compared
        if claim.assertion_currency != currency:
            return None
        allowed = interval.contains(amount)
    elif field == AssertionField.ORDER_DATE:
        allowed = interval.meets(compared)
    elif field == AssertionField.DELIVERY_DATE:
        spans = [compared[claim.delivery_id]] if claim.delivery_id in compared else list(compared.values())
        allowed = any(interval.meets(span) for span in spans)
    else:
        value = compared["deliveries"].get(claim.delivery_id) if claim.delivery_id else compared["total"]
        if value is None:
            return None
        allowed = interval.contains(value)
    return allowed != _denies(claim)


def _exact(claim, shown):
    """Whether the claim states the record's current value as it is, not only allows it."""
    field = claim.assertion_field
    if field == AssertionField.STATUS:
        return claim.assertion_status == shown["status"] and not claim.assertion_negated and not _denies(claim)
    return assertion_display(claim) == shown["display"]


def _claim_label(claim, *, lines, deliveries):
    kind = claim.subject_type
    if kind == "transfer" and claim.transfer_id in lines:
        line = lines[claim.transfer_id]
        return {"type": kind, "id": claim.transfer_id, "label": f"line {line.line}: {line.system.designation}"}
    if kind == "delivery" and claim.delivery_id in deliveries:
        delivery = deliveries[claim.delivery_id]
        line = lines.get(delivery.transfer_id)
        where = f" (line {line.line})" if line else ""
        return {"type": kind, "id": claim.delivery_id, "label": f"delivery {delivery.date_display}{where}"}
    return {"type": kind, "id": claim.contract_id, "label": "the deal"}


def _claim_date(claim):
    if claim.stated_date is not None:
        return claim.stated_date_display, "stated"
    if claim.source_published_date is not None:
        return format_partial_date(claim.source_published_date, claim.source_published_precision), "published"
    return None, None


def contract_evidence(*, contract, transfer=None):
    """The evidence of a deal (or of one of its lines: its own fields and the deal's):
    {contract, transfer, disputed, disputed_fields, fields: [entry]}. Each entry: the
    field, its record, the record's current value, the claims about it (each with its
    display, its normalised value and whether it allows the current value), whether
    they disagree (and which pairs), and the claim the current value follows.

    A fixed number of queries, whatever the number of claims, lines and deliveries.
    """
    lines = {line.pk: line for line in contract.transfers.select_related("system").order_by("line")}
    deliveries = {
        delivery.pk: delivery
        for delivery in Delivery._base_manager.filter(transfer__contract=contract).order_by("date", "pk")
    }
    claims = _deal_claims(contract_ids=[contract.pk], related=("source", "cites", "speaker", "speaker_actor"))
    sole_line = next(iter(lines)) if len(lines) == 1 else None
    grouped = _entries(claims=claims, sole_line=sole_line)
    keys = [("contract", contract.pk, field) for field in CONTRACT_FIELDS]
    keys += [key for key in grouped if key[0] == "contract" and key[2] in LINE_FIELDS]
    keys += [("transfer", pk, field) for pk in lines for field in LINE_FIELDS]
    if transfer is not None:
        # The deal's own fields, and this line's.
        keys = [
            key
            for key in keys
            if (key[0], key[2] in CONTRACT_FIELDS) == ("contract", True) or key[:2] == ("transfer", transfer.pk)
        ]
    entries = []
    for kind, pk, field in keys:
        line = lines.get(pk) if kind == "transfer" else None
        line_deliveries = [d for d in deliveries.values() if line is not None and d.transfer_id == line.pk]
        compared, shown = _current(field, contract=contract, line=line, deliveries=line_deliveries)
        about = grouped.get((kind, pk, field), [])
        about.sort(key=lambda claim: (claim_time(claim) is None, claim_time(claim) and claim_time(claim).low, claim.pk))
        conflicts = field_conflicts(about)
        follows = None
        for claim in about:
            date, basis = _claim_date(claim)
            claim.evidence = {
                "display": assertion_display(claim),
                "normalised": _normalised(claim),
                "agrees_with_record": _agrees(claim, compared),
                "date": date,
                "date_basis": basis,
                "about": _claim_label(claim, lines=lines, deliveries=deliveries),
            }
        candidates = [
            claim
            for claim in about
            if claim.evidence["agrees_with_record"] and not _denies(claim) and claim.rank != "deprecated"
        ]
        if candidates:
            best = min(candidates, key=lambda c: (not _exact(c, shown), _RANK_ORDER.get(c.rank, 1), c.pk))
            follows = best.pk
        record = {"type": kind, "id": pk, "reference": contract.reference, "line": None, "label": contract.reference}
        if line is not None:
            record.update(line=line.line, label=f"line {line.line}: {line.system.designation}")
        entries.append(
            {
                "field": field,
                "label": AssertionField(field).label,
                "record": record,
                "current": shown,
                "disputed": bool(conflicts),
                "conflicts": [list(pair) for pair in conflicts],
                "follows": follows,
                "claims": about,
            }
        )
    disputed_fields = list(dict.fromkeys(entry["field"] for entry in entries if entry["disputed"]))
    return {
        "contract": contract,
        "transfer": transfer,
        "disputed": bool(disputed_fields),
        "disputed_fields": disputed_fields,
        "fields": entries,
    }
