"""A deal's evidence, for the API and the admin: per field, the current value, every claim
about it (displayed, normalised, compared with the value), whether they disagree, and the
claim the value follows."""

from decimal import Decimal

from ..assertions import (
    AssertionField,
    Interval,
    amount_display,
    assertion_display,
    date_span,
)
from ..dates import format_partial_date
from ..models import Delivery
from .rule import (
    CONTRACT_FIELDS,
    LINE_FIELDS,
    claim_denies,
    claim_interval,
    claim_states,
    claim_time,
    claims_by_field,
    deal_claims,
    field_conflicts,
)

_RANK_ORDER = {"preferred": 0, "normal": 1, "deprecated": 2}


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
        return {"states": sorted(claim_states(claim))}
    interval = claim_interval(claim)
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
        return compared in claim_states(claim)
    interval = claim_interval(claim)
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
    return allowed != claim_denies(claim)


def _exact(claim, shown):
    """Whether the claim states the record's current value as it is, not only allows it."""
    field = claim.assertion_field
    if field == AssertionField.STATUS:
        return claim.assertion_status == shown["status"] and not claim.assertion_negated and not claim_denies(claim)
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
    claims = deal_claims(contract_ids=[contract.pk], related=("source", "cites", "speaker", "speaker_actor"))
    sole_line = next(iter(lines)) if len(lines) == 1 else None
    grouped = claims_by_field(claims=claims, sole_line=sole_line)
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
            if claim.evidence["agrees_with_record"] and not claim_denies(claim) and claim.rank != "deprecated"
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
