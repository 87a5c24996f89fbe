"""The pages' figures from the summary's rows: series per year, top-N tables with shares,
supplier -> recipient flows. Pure Python over rows already read; no queries."""

from collections import defaultdict
from urllib.parse import urlencode

from ..models import Category
from .charts import Node, Series, YearBars, share_bar

CATEGORY_LABELS = dict(Category.choices)
CATEGORY_ORDER = {slug: index for index, (slug, _label) in enumerate(Category.choices)}


def category_series(slug):
    known = slug in CATEGORY_LABELS
    return Series(slug, CATEGORY_LABELS.get(slug, slug or "no category"), f"cat-{slug if known else 'other'}")


def years_by_category(rows, measure):
    """Summary rows grouped by delivery_year and category -> YearBars stacked by category.
    A group without a number (its deliveries are of unknown size) is marked unknown."""
    # Rows of TIV that cannot be placed in a year (`unplaced`): not drawn, totalled apart.
    placed = [row for row in rows if not row.get("unplaced")]
    slugs = sorted({row["group"]["category"]["slug"] for row in placed}, key=lambda s: CATEGORY_ORDER.get(s, 99))
    bars = YearBars(series=[category_series(slug) for slug in slugs])
    if measure.key == "tiv_delivered":
        unplaced = [row for row in rows if row.get("unplaced")]
        bars.unplaced = (sum(measure.of(row) or 0 for row in unplaced), sum(row["transfers"] for row in unplaced))
    for row in placed:
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


# --- Evidence -------------------------------------------------------------------------------------------


def evidence_columns(report):
    """transfers.evidence's report of a deal -> the fields that claims speak to, each with
    its values side by side: one column per value as claims state it (`29`, `about 30`),
    with the claims that state it; the record's current value marked (a column of its own
    when no claim states it as it is); whether the field is disputed and which claims
    conflict (the service's tolerance rule decides, not this page)."""
    fields = []
    for entry in report["fields"]:
        if not entry["claims"]:
            continue
        current = entry["current"]["display"] if entry["current"] else None
        conflicting = {pk for pair in entry["conflicts"] for pk in pair}
        columns = {}
        for claim in entry["claims"]:
            shown = claim.evidence["display"] or claim.assertion_value
            column = columns.setdefault(
                " ".join(shown.split()).casefold(),
                {"value": shown, "claims": [], "on_record": False, "conflicts": False},
            )
            column["claims"].append(claim)
            column["on_record"] |= current is not None and shown == current
            column["conflicts"] |= claim.pk in conflicting
            claim.follows = claim.pk == entry["follows"]
            claim.conflicts = claim.pk in conflicting
        columns = list(columns.values())
        if current is not None and not any(column["on_record"] for column in columns):
            columns.append({"value": current, "claims": [], "on_record": True, "conflicts": False})
        columns.sort(key=lambda column: (not column["on_record"], -len(column["claims"])))
        record = entry["record"]
        fields.append(
            {
                "field": entry["field"],
                "label": entry["label"],
                "about": "the deal" if record["type"] == "contract" else record["label"],
                "current": current,
                "disputed": entry["disputed"],
                "columns": columns,
            }
        )
    return fields
