"""The pages' figures from the summary's rows: series per year, top-N tables with shares,
supplier -> recipient flows. Pure Python over rows already read; no queries."""

import re
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from ..models import Category, Claim
from .charts import Node, Series, YearBars, share_bar

CATEGORY_LABELS = dict(Category.choices)
CATEGORY_ORDER = {slug: index for index, (slug, _label) in enumerate(Category.choices)}


def category_series(slug):
    known = slug in CATEGORY_LABELS
    return Series(slug, CATEGORY_LABELS.get(slug, slug or "no category"), f"cat-{slug if known else 'other'}")


def years_by_category(rows, measure):
    """Summary rows grouped by delivery_year and category -> YearBars stacked by category.
    A group without a number (its deliveries are of unknown size) is marked unknown."""
    slugs = sorted({row["group"]["category"]["slug"] for row in rows}, key=lambda s: CATEGORY_ORDER.get(s, 99))
    bars = YearBars(series=[category_series(slug) for slug in slugs])
    for row in rows:
        year, slug = row["group"]["delivery_year"], row["group"]["category"]["slug"]
        value = measure.of(row)
        if value is None:
            # A group by delivery year exists only where deliveries do: these have no number.
            bars.unknown.setdefault(year, {})[slug] = row.get("transfers") or 1
            continue
        bars.values.setdefault(year, {})[slug] = value
    return bars


def deliveries_by_line(deliveries, lines):
    """A deal's deliveries -> YearBars stacked by line (numbers delivered; unknown ones marked)."""
    series = [
        Series(str(line.line), f"line {line.line}: {line.system.designation}", f"series-{index % 8}")
        for index, line in enumerate(lines)
    ]
    bars = YearBars(series=series)
    for delivery in deliveries:
        year, key = delivery.date.year, str(delivery.transfer.line)
        if delivery.quantity is None:
            bars.unknown.setdefault(year, {})[key] = bars.unknown.get(year, {}).get(key, 0) + 1
        else:
            per = bars.values.setdefault(year, {})
            per[key] = per.get(key, 0) + delivery.quantity
    return bars


# --- Top-N tables -----------------------------------------------------------------------------------


def group_label(group, key):
    """(identifier, label) of a summary group's key: an actor's code and name, a system's slug
    and designation, a category's slug and name."""
    value = group[key]
    if key in ("supplier", "recipient"):
        return value["code"], value["name"] or value["code"]
    if key == "system":
        return value["slug"], value["designation"] or value["slug"]
    if key == "category":
        return value["slug"], value["name"]
    return value, str(value)


def _total(rows, measure):
    return sum(measure.of(row) or 0 for row in rows)


def top(rows, key, measure, n, *, href=None, register_params=None):
    """The n largest groups by measure, with their shares of the total, and the rest
    folded into one row. href(identifier): a link for a group; register_params:
    parameters that open the register on the group's rows."""
    total = _total(rows, measure)
    ranked = sorted(
        rows, key=lambda row: (-(measure.of(row) or 0), -(row.get("transfers") or 0), group_label(row["group"], key))
    )
    items = []
    for rank, row in enumerate(ranked[:n], start=1):
        ident, label = group_label(row["group"], key)
        value = measure.of(row)
        share = (value or 0) / total if total else None
        items.append(
            {
                "rank": rank,
                "ident": ident,
                "label": label,
                "href": href(ident) if href and ident else "",
                "register": "/?" + urlencode({**register_params, key: ident}, safe=",")
                if register_params is not None
                else "",
                "value": value,
                "share": share,
                "bar": share_bar(share, label=f"{label}: {_percent(share)}"),
                "transfers": row.get("transfers"),
                "quantity_ordered": row.get("quantity_ordered"),
                "quantity_delivered": row.get("quantity_delivered"),
            }
        )
    rest = ranked[n:]
    others = None
    if rest:
        value = _total(rest, measure)
        share = value / total if total else None
        others = {
            "count": len(rest),
            "value": value,
            "share": share,
            "bar": share_bar(share, label=f"others: {_percent(share)}"),
            "transfers": sum(row.get("transfers") or 0 for row in rest),
        }
    return {"items": items, "others": others, "total": total, "groups": len(rows)}


def _percent(share):
    return "no total" if share is None else f"{share * 100:.1f}%"


# --- Flows -------------------------------------------------------------------------------------------

OTHERS = "_others"


def fold(rows, key):
    """Summary rows of two keys summed over the other key: one row per value of `key`."""
    folded = {}
    for row in rows:
        ident, _label = group_label(row["group"], key)
        into = folded.setdefault(ident, {"group": {key: row["group"][key]}})
        for name, value in row.items():
            if name in ("group", "values"):
                continue
            if value is not None:
                into[name] = (into.get(name) or 0) + value
            else:
                into.setdefault(name, None)
    return list(folded.values())


def actor_href(code):
    return f"/actors/{code}/"


def flows(rows, measure, n, *, register_params):
    """Summary rows grouped by supplier and recipient -> the top n suppliers and
    recipients with their shares (the rest as "others"), the links between them for
    a Sankey chart, and the matrix of their numbers."""
    suppliers = top(fold(rows, "supplier"), "supplier", measure, n, href=actor_href, register_params=register_params)
    recipients = top(fold(rows, "recipient"), "recipient", measure, n, href=actor_href, register_params=register_params)
    chosen_suppliers = {item["ident"] for item in suppliers["items"]}
    chosen_recipients = {item["ident"] for item in recipients["items"]}
    links = defaultdict(float)
    for row in rows:
        value = measure.of(row) or 0
        if not value:
            continue
        s, _ = group_label(row["group"], "supplier")
        r, _ = group_label(row["group"], "recipient")
        links[(s if s in chosen_suppliers else OTHERS, r if r in chosen_recipients else OTHERS)] += value

    def nodes(table, others_label):
        out = [Node(item["ident"], item["label"], item["value"] or 0, href=item["href"]) for item in table["items"]]
        if table["others"] and table["others"]["value"]:
            out.append(Node(OTHERS, f"{others_label} ({table['others']['count']})", table["others"]["value"]))
        return [node for node in out if node.value]

    left, right = nodes(suppliers, "other suppliers"), nodes(recipients, "other recipients")
    matrix = [{"node": a, "cells": [links.get((a.key, b.key)) for b in right]} for a in left]
    return {
        "left": left,
        "right": right,
        "links": [(a, b, value) for (a, b), value in links.items()],
        "matrix": matrix,
        "suppliers": suppliers,
        "recipients": recipients,
        "total": suppliers["total"],
    }


# --- Evidence, until the evidence service lands ---------------------------------------------------------


def _plain(value):
    """A figure as claims write it: 29, 700000000 USD, 2005-12."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def readable(value):
    """A value as written, its long numbers with thousands separators: 700,000,000 USD."""
    return re.sub(r"\d{5,}", lambda m: f"{int(m.group()):,}", str(value))


def _normal(value):
    return " ".join(str(value).replace(",", "").split()).casefold()


def record_values(contract, lines, deliveries):
    """{(field, subject): the record's current value} for the fields claims assert."""
    value = None
    if contract.value_amount is not None:
        value = f"{_plain(contract.value_amount)} {contract.value_currency}"
    values = {
        ("value", ("contract", contract.pk)): value,
        ("order_date", ("contract", contract.pk)): contract.order_date_display,
        ("status", ("contract", contract.pk)): contract.status,
    }
    for line in lines:
        subject = ("transfer", line.pk)
        values[("quantity_ordered", subject)] = _plain(line.quantity_ordered)
        values[("quantity_delivered", subject)] = _plain(line.delivered_total)
        # What a line's claim about the deal's status, value or date is checked against.
        values[("status", subject)] = contract.status
        values[("order_date", subject)] = contract.order_date_display
        values[("value", subject)] = value
    for delivery in deliveries:
        subject = ("delivery", delivery.pk)
        values[("quantity_delivered", subject)] = _plain(delivery.quantity)
        values[("delivery_date", subject)] = delivery.date_display
    return values


def claims_by_field(contract, lines, deliveries, claims):
    """The claims that assert a value (quantity_ordered = 29), grouped by field and
    record, each distinct value a column with the claims behind it, the record's
    current value marked. A field is disputed when its claims disagree with each other
    or with the record, or one denies.

    A stand-in for the evidence service (typed, normalised values): values here are
    compared as written, ignoring case, spaces and thousands separators."""
    labels = dict(Claim.AssertionField.choices)
    current = record_values(contract, lines, deliveries)
    line_of = {line.pk: line for line in lines}
    delivery_of = {delivery.pk: delivery for delivery in deliveries}
    fields = {}
    for claim in claims:
        if not claim.assertion_field:
            continue
        if claim.contract_id:
            subject, about = ("contract", claim.contract_id), "the deal"
        elif claim.transfer_id:
            line = line_of.get(claim.transfer_id)
            subject = ("transfer", claim.transfer_id)
            about = f"line {line.line}: {line.system.designation}" if line else "a line"
        else:
            delivery = delivery_of.get(claim.delivery_id)
            subject = ("delivery", claim.delivery_id)
            about = f"delivery of {delivery.date_display}" if delivery else "a delivery"
        key = (claim.assertion_field, subject)
        field = fields.setdefault(
            key,
            {
                "field": claim.assertion_field,
                "label": labels.get(claim.assertion_field, claim.assertion_field),
                "about": about,
                "record": current.get(key),
                "values": {},
                "denied": False,
            },
        )
        value = claim.assertion_value
        column = field["values"].setdefault(_normal(value), {"value": readable(value), "claims": []})
        column["claims"].append(claim)
        field["denied"] |= claim.stance == Claim.Stance.DENIES
    out = []
    for field in fields.values():
        record = field["record"]
        columns = list(field["values"].values())
        if record is not None and _normal(record) not in field["values"]:
            columns.append({"value": readable(record), "claims": []})
        for column in columns:
            column["on_record"] = record is not None and _normal(column["value"]) == _normal(record)
        columns.sort(key=lambda column: (not column["on_record"], -len(column["claims"])))
        field["columns"] = columns
        field["disputed"] = len(columns) > 1 or field["denied"]
        out.append(field)
    order = list(labels)
    out.sort(key=lambda f: (order.index(f["field"]) if f["field"] in order else 99, f["about"]))
    return out
