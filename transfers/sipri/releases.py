"""Releases of the SIPRI register: each import records one, with a snapshot of every deal
as the file published it, so what changed between two releases is a join of two
snapshots on the deal's key, not a recomputation from files or history.

Matching a release's deals to the previous release of the same format:
- by-delivery-year deals by SIPRI's deal id;
- legacy rows, which have no id, on their stable fields (supplier, recipient, order
  year, designation). Within a group sharing those: rows with the same figures pair
  first, then a last row on each side; several left on both sides are told apart by
  their numbers and comments, and any still left are ambiguous: not paired, reported,
  never guessed. Rows whose group the other release lacks meet the other release's
  such rows through `sipri.matching.pair` (the rule that pairs the two export formats'
  copies of a deal), taking only its designation-spelling and revised-order-year
  levels: a weaker match.

About 610 lines, in sections in this order: the snapshot's values, matching across
releases, recording a release (its snapshot, absent deals), and the diff (its rows, CSV
and totals). One deal key runs through all of them: what a snapshot stores is what the
matching compares and what the diff joins on.
"""

import getpass
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from ..bulk import bulk_insert, new_row, tables_analyze
from ..cache import transfer_cache_refresh
from ..models import Actor, Contract, Release, ReleaseDeal, Transfer
from . import matching
from .updates import bulk_update_rows

# The figures a release publishes for a deal, compared field by field between releases.
DIFF_FIELDS = [
    "designation",
    "description",
    "category",
    "order_year",
    "order_year_is_estimate",
    "quantity_ordered",
    "quantity_ordered_is_estimate",
    "delivered",
    "delivered_is_estimate",
    "delivery_years",
    "status",
    "tiv_per_unit",
    "tiv_order",
    "tiv_delivered",
    "comments",
]

SAME_FIGURES = "same fields and figures"
ONLY_ONE = "same supplier, recipient, order year and designation"
# Rules that tell apart rows sharing supplier, recipient, order year and designation.
SEPARATING = [
    ("numbers and comments", ("quantity_ordered", "delivered", "comments")),
    ("numbers", ("quantity_ordered", "delivered")),
    ("comments", ("comments",)),
    ("description", ("description",)),
]
LAST_LEFT = "the one left after the others were told apart"


def release_recorded(*, sha256):
    """The release already recorded for a file of this sha256, or None."""
    return Release.objects.filter(sha256=sha256).first()


def release_newer(*, format, generated):
    """The newest release of this format whose data was generated after `generated`, or None
    (an undated export or release is compared with nothing)."""
    if generated is None:
        return None
    return (
        Release.objects.filter(format=format, generated__gt=generated)
        .order_by(F("generated").desc(), "-imported_at", "-pk")
        .first()
    )


def release_default_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


# --- Snapshot values ---------------------------------------------------------------------------------


def _years_text(years):
    return "; ".join(str(y) for y in sorted({d.year for d in years}))


def release_deal_values(*, deal, actors):
    """A parsed deal (sipri.parser.Deal) as the snapshot row's values."""
    return {
        "reference": deal.reference,
        "supplier_id": actors[deal.supplier].pk,
        "recipient_id": actors[deal.recipient].pk,
        "designation": deal.designation,
        "description": deal.description,
        "category": deal.category,
        "order_year": deal.order_year,
        "order_year_is_estimate": deal.order_year_is_estimate,
        "quantity_ordered": deal.quantity_ordered,
        "quantity_ordered_is_estimate": deal.quantity_ordered_is_estimate,
        "delivered": deal.quantity_delivered,
        "delivered_is_estimate": deal.delivered_is_estimate,
        "delivery_years": _years_text(deal.deliveries)[:400],
        "status": deal.condition,
        "tiv_per_unit": deal.tiv_per_unit,
        "tiv_order": deal.tiv_order,
        "tiv_delivered": deal.tiv_delivered,
        "comments": deal.comments,
    }


def _figures(values):
    return tuple(_comparable(values[name]) for name in DIFF_FIELDS)


def _comparable(value):
    # 12.5 from a file and 12.500 from the database are one figure.
    return value.normalize() if isinstance(value, Decimal) else value


# --- Matching -----------------------------------------------------------------------------------------


@dataclass
class Matched:
    """How the deals of a release met those of the previous one: per new deal (by index),
    (key of the previous deal or None, match, rule); the previous deals left unmatched."""

    matches: dict = field(default_factory=dict)
    dropped: list = field(default_factory=list)
    ambiguous_previous: list = field(default_factory=list)


def _identity(values):
    return (values["supplier_id"], values["recipient_id"], values["order_year"], values["designation"])


def _pair_group(old, new, result):
    """Pair one group of rows sharing the stable fields. old: [(key, values)], new:
    [(index, values)]. Returns the rows left on each side."""
    # The same figures: the same deal, whatever the order of the rows.
    left_old = list(old)
    rest_new = []
    for index, values in new:
        figures = _figures(values)
        same = next((i for i, (_, o) in enumerate(left_old) if _figures(o) == figures), None)
        if same is None:
            rest_new.append((index, values))
            continue
        key, _ = left_old.pop(same)
        result.matches[index] = (key, ReleaseDeal.Match.EXACT, SAME_FIGURES)
    new = rest_new
    if len(left_old) == 1 and len(new) == 1:
        result.matches[new[0][0]] = (left_old[0][0], ReleaseDeal.Match.EXACT, ONLY_ONE)
        return [], []
    weaker = False
    for rule, names in SEPARATING:
        if not left_old or not new:
            break
        by_value = defaultdict(lambda: ([], []))
        for item in left_old:
            by_value[tuple(_comparable(item[1][n]) for n in names)][0].append(item)
        for item in new:
            by_value[tuple(_comparable(item[1][n]) for n in names)][1].append(item)
        for olds, news in by_value.values():
            if len(olds) == 1 and len(news) == 1:
                result.matches[news[0][0]] = (olds[0][0], ReleaseDeal.Match.WEAKER, f"{ONLY_ONE}; {rule}")
                left_old.remove(olds[0])
                new.remove(news[0])
                weaker = True
        if weaker and len(left_old) == 1 and len(new) == 1:
            result.matches[new[0][0]] = (left_old[0][0], ReleaseDeal.Match.WEAKER, f"{ONLY_ONE}; {LAST_LEFT}")
            return [], []
    if left_old and new:
        for index, _ in new:
            result.matches[index] = (None, ReleaseDeal.Match.AMBIGUOUS, f"{ONLY_ONE}: {len(left_old)} candidate(s)")
        result.ambiguous_previous += [key for key, _ in left_old]
        return [], []
    return left_old, new


def _facts(key, values, order):
    years = [int(y) for y in values["delivery_years"].split("; ") if y]
    quantities = {y: None for y in years}
    if len(years) == 1:
        quantities[years[0]] = values["delivered"]
    return matching.DealFacts(
        key=key,
        order=order,
        supplier_id=values["supplier_id"],
        recipient_id=values["recipient_id"],
        order_year=values["order_year"],
        designation=values["designation"],
        category=values["category"],
        years=quantities,
        total=values["delivered"],
    )


def release_match(*, previous, deals, by_id):
    """Match this release's deals (snapshot values, in file order) to the previous
    release's ([(key, values)]). by_id: the deals carry SIPRI's deal id (their
    reference), which decides alone. Returns a Matched."""
    result = Matched()
    if by_id:
        keys = {key for key, _ in previous}
        for index, values in enumerate(deals):
            if values["reference"] in keys:
                result.matches[index] = (values["reference"], ReleaseDeal.Match.EXACT, "SIPRI deal id")
        found = {values["reference"] for values in deals}
        result.dropped = [key for key, _ in previous if key not in found]
        return result
    old_groups, new_groups = defaultdict(list), defaultdict(list)
    for key, values in previous:
        old_groups[_identity(values)].append((key, values))
    for index, values in enumerate(deals):
        new_groups[_identity(values)].append((index, values))
    left_old, left_new = [], []
    for identity in old_groups.keys() | new_groups.keys():
        olds, news = _pair_group(old_groups.get(identity, []), new_groups.get(identity, []), result)
        left_old += olds
        left_new += news
    if left_old and left_new:
        by_key = dict(left_old)
        position = {key: n for n, (key, _) in enumerate(previous)}
        pairs, _ = matching.pair(
            [_facts(index, values, (index,)) for index, values in left_new],
            [_facts(key, values, (position[key],)) for key, values in left_old],
            start=None,
            designation_only=True,
        )
        for index, (key, level) in pairs.items():
            result.matches[index] = (key, ReleaseDeal.Match.WEAKER, level)
            del by_key[key]
        left_old = list(by_key.items())
    result.dropped = [key for key, _ in left_old]
    return result


# --- Recording a release ----------------------------------------------------------------------------


def _previous_release(*, format):
    """The last whole release of this format (release_partial), by its data's date (an
    undated one last: PostgreSQL would put it first), then by when it was imported."""
    return (
        Release.objects.filter(format=format, partial="")
        .order_by(F("generated").desc(nulls_last=True), "-imported_at", "-pk")
        .first()
    )


_WHOLE = "all countries"


def _years(years_from, years_to):
    return "every year" if years_from is None else f"{years_from}-{years_to}"


def release_partial(*, export, previous):
    """Why this export may not hold the whole register, or "": a deal it lacks is then not
    known to be dropped (a rejected row may be it, or the export was limited to some
    countries or delivery years). The preamble names the countries and years; an export
    without one is not SIPRI's download and says nothing of its scope. `previous`: the last
    whole release of the format, whose delivery years this one must cover."""
    supplier, recipient = export.parties
    if export.errors:
        return f"{len(export.errors)} rows rejected"
    if not export.deals:
        return "no deals"
    if supplier is None:
        return "no preamble naming its suppliers and recipients"
    if supplier.strip().lower() != _WHOLE or recipient.strip().lower() != _WHOLE:
        return f"from {supplier.strip()} to {recipient.strip()} only"
    if previous is not None and export.year_range is not None:
        first, last = export.year_range
        if previous.years_from is None or first > previous.years_from or last < previous.years_to:
            return (
                f"deliveries {_years(first, last)} only, where release {previous.pk} covered "
                f"{_years(previous.years_from, previous.years_to)}"
            )
    return ""


def _snapshot_of(release):
    rows = ReleaseDeal.objects.filter(release=release).order_by("pk").values("key", *_VALUE_NAMES)
    return [(row.pop("key"), row) for row in rows]


_VALUE_NAMES = [
    "reference",
    "supplier_id",
    "recipient_id",
    "contract_id",
    *[name for name in DIFF_FIELDS],
]


@dataclass
class ReleasePlan:
    """The release an import is about to write: the previous release of its format, its
    deals' snapshot values and how they matched the previous release's."""

    previous: Release | None
    values: list
    matched: Matched


def release_plan(*, export, actors):
    """Match an export's deals to the previous release of its format, before the import
    writes them. Legacy rows then take the reference of the contract that holds the deal
    they matched (their own reference counts rows sharing the stable fields in file order,
    which a new release reshuffles), and unmatched rows a reference no earlier deal holds:
    the import updates the deal each row is, and an ambiguous row's candidates are left
    alone."""
    from .parser import BY_DELIVERY_YEAR

    previous = _previous_release(format=export.format)
    values = [release_deal_values(deal=deal, actors=actors) for deal in export.deals]
    old = _snapshot_of(previous) if previous else []
    by_id = export.format == BY_DELIVERY_YEAR
    matched = release_match(previous=old, deals=values, by_id=by_id)
    if previous is not None and not by_id:
        _follow_matches(export.deals, values, old, matched)
    return ReleasePlan(previous=previous, values=values, matched=matched)


def _follow_matches(deals, values, old, matched):
    contract_of = {key: v["contract_id"] for key, v in old}
    ids = sorted({pk for pk in contract_of.values() if pk is not None})
    references = {}
    for start in range(0, len(ids), 2000):
        references.update(Contract.objects.filter(pk__in=ids[start : start + 2000]).values_list("pk", "reference"))
    taken = set(references.values())
    assigned = set()
    for index, deal in enumerate(deals):
        key = matched.matches.get(index, (None,))[0]
        reference = references.get(contract_of.get(key)) if key is not None else None
        if reference is None or reference in assigned:
            reference = deal.reference
            if reference in taken or reference in assigned:
                reference = _fresh_reference(reference, taken | assigned)
        assigned.add(reference)
        deal.reference = reference
        values[index]["reference"] = reference


def _fresh_reference(reference, taken):
    for n in range(2, 10_000):
        candidate = f"{reference[:90]}-{n}"
        if candidate not in taken and not Contract.objects.filter(reference=candidate).exists():
            return candidate
    raise AssertionError("unreachable")


def release_record(*, export, plan, report, sha256, file_name, user, source, contract_ids, reason):
    """Record the release an import has just written: its counts, a snapshot of its deals
    keyed across releases, and which deals the previous release of this format held that
    it no longer does (their contracts are marked absent, and unmarked when a release
    holds them again). Returns the Release."""
    previous, values, matched = plan.previous, plan.values, plan.matched
    counts = defaultdict(int)
    # A new deal's key is its reference, unless an earlier release used that key for a deal
    # this one is not (then a join would take one for the other).
    references = [v["reference"] for v in values]
    used = set()
    for start in range(0, len(references), 2000):
        used |= set(ReleaseDeal.objects.filter(key__in=references[start : start + 2000]).values_list("key", flat=True))
    release = Release.objects.create(
        format=export.format,
        generated=export.generated,
        sha256=sha256,
        file_name=file_name[:300],
        source=source,
        previous=previous,
        rows=export.rows,
        deals=len(export.deals),
        rejected=len(export.errors),
        created=report.contracts["created"],
        updated=report.contracts["updated"],
        unchanged=report.contracts["unchanged"],
        kept=report.contracts["kept"],
        imported_by=user[:150],
        imported_at=timezone.now(),
        years_from=export.year_range[0] if export.year_range else None,
        years_to=export.year_range[1] if export.year_range else None,
        partial=release_partial(export=export, previous=previous)[:200],
    )
    rows = []
    taken = set()
    for index, v in enumerate(values):
        key, match, rule = matched.matches.get(index, (None, ReleaseDeal.Match.NEW, ""))
        if key is None:
            key = v["reference"]
            if key in used or key in taken:
                key = f"{v['reference']}-{release.pk}"
        taken.add(key)
        counts[match] += 1
        rows.append(
            new_row(
                ReleaseDeal,
                release_id=release.pk,
                key=key,
                match=match,
                match_rule=rule[:100],
                contract_id=contract_ids.get(v["reference"]),
                **v,
            )
        )
    bulk_insert(ReleaseDeal, rows, reason=reason, history=False)
    # Diffs join this snapshot with others: planned on fresh statistics, not an empty table's.
    tables_analyze(ReleaseDeal)
    release.matched_exact = counts[ReleaseDeal.Match.EXACT]
    release.matched_weaker = counts[ReleaseDeal.Match.WEAKER]
    release.ambiguous = counts[ReleaseDeal.Match.AMBIGUOUS]
    release.added = counts[ReleaseDeal.Match.NEW]
    release.dropped = len(matched.dropped) + len(matched.ambiguous_previous)
    release.save(
        update_fields=["matched_exact", "matched_weaker", "ambiguous", "added", "dropped"],
    )
    release_mark_absent(release=release, previous=previous, reason=reason)
    return release


def release_mark_absent(*, release, previous, reason):
    """Contracts the previous release held and this one does not: absent from it, unless
    it is partial (release_partial). Those it holds: present again. Each change is a
    history entry of the contract."""
    here = ReleaseDeal.objects.filter(release=release, contract_id=OuterRef("pk"))
    changed = []
    if previous is not None and not release.partial:
        before = ReleaseDeal.objects.filter(release=previous, contract_id=OuterRef("pk"))
        gone = Contract.objects.filter(Exists(before), absent_from__isnull=True).exclude(Exists(here))
        for contract in gone:
            contract.absent_from_id = release.pk
            changed.append(contract)
    back = list(Contract.objects.filter(Exists(here), absent_from__isnull=False))
    for contract in back:
        contract.absent_from_id = None
    bulk_update_rows(Contract, changed + back, ["absent_from_id"], reason=reason)
    ids = [contract.pk for contract in changed + back]
    for start in range(0, len(ids), 2000):
        # The register's copies of the contract's absent_from (Transfer.COPIES).
        transfer_cache_refresh(transfers=Transfer.objects.filter(contract_id__in=ids[start : start + 2000]))
    return len(changed)


# --- The diff -------------------------------------------------------------------------------------


@dataclass
class Changes:
    added: list
    dropped: list
    revised: list


def _distinct(name):
    # Portable IS DISTINCT FROM: true when the values differ or exactly one is null.
    return f'(n."{name}" <> o."{name}" OR (n."{name}" IS NULL) <> (o."{name}" IS NULL))'


_ROW_NAMES = [
    "id",
    "key",
    "reference",
    "contract_id",
    "match",
    "match_rule",
    "supplier_id",
    "recipient_id",
    *DIFF_FIELDS,
]


def release_changes(*, release, since, deals=None, fields=None):
    """What changed from release `since` to `release`: deals added, dropped and revised
    (each with [(field, old, new)]). `deals`: a filtered ReleaseDeal queryset (supplier,
    recipient, category) that added and revised deals are taken from in `release` and
    dropped ones in `since`; `fields`: only revised deals with a change in one of them
    (and then no added or dropped deals)."""
    deals = ReleaseDeal.objects.all() if deals is None else deals
    new = deals.filter(release=release).order_by()
    old = deals.filter(release=since).order_by()
    added, dropped = [], []
    if not fields:
        added = list(
            new.exclude(Exists(ReleaseDeal.objects.filter(release=since, key=OuterRef("key"))))
            .order_by("key")
            .values(*_ROW_NAMES)
        )
        dropped = list(
            old.exclude(Exists(ReleaseDeal.objects.filter(release=release, key=OuterRef("key"))))
            .order_by("key")
            .values(*_ROW_NAMES)
        )
    compared = [name for name in DIFF_FIELDS if not fields or name in fields]
    try:
        ids_sql, ids_params = new.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction
        return Changes(added=added, dropped=dropped, revised=[])
    table = ReleaseDeal._meta.db_table
    columns = ", ".join([*(f'n."{c}"' for c in _column_names()), *(f'o."{c}"' for c in _column_names())])
    sql = (
        f'SELECT {columns} FROM "{table}" n JOIN "{table}" o ON o."release_id" = %s AND o."key" = n."key" '  # noqa: S608
        f'WHERE n."release_id" = %s AND n."id" IN ({ids_sql}) AND ({" OR ".join(_distinct(c) for c in compared)}) '
        f'ORDER BY n."key"'
    )
    revised = []
    converters = _converters()
    width = len(_ROW_NAMES)
    # On the database the querysets read (a replica, when reads go to one).
    with connections[new.db].cursor() as cursor:
        cursor.execute(sql, [since.pk, release.pk, *ids_params])
        for row in cursor.fetchall():
            n = {name: convert(value) for name, convert, value in zip(_ROW_NAMES, converters, row[:width], strict=True)}
            o = {name: convert(value) for name, convert, value in zip(_ROW_NAMES, converters, row[width:], strict=True)}
            changed = [(name, o[name], n[name]) for name in DIFF_FIELDS if _comparable(o[name]) != _comparable(n[name])]
            revised.append((n, o, changed))
    return Changes(added=added, dropped=dropped, revised=revised)


def _column_names():
    return [
        ReleaseDeal._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name).column
        for name in _ROW_NAMES
    ]


def _converters():
    out = []
    for name in _ROW_NAMES:
        model_field = ReleaseDeal._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        if model_field.get_internal_type() == "DecimalField":
            out.append(lambda v: None if v is None else Decimal(str(v)))
        elif model_field.get_internal_type() == "BooleanField":
            out.append(lambda v: None if v is None else bool(v))
        else:
            out.append(lambda v: v)
    return out


def _codes(changes):
    ids = set()
    for row in [*changes.added, *changes.dropped, *(new for new, _, _ in changes.revised)]:
        ids |= {row["supplier_id"], row["recipient_id"]}
    return dict(Actor.objects.filter(pk__in=ids).values_list("pk", "code"))


def _plain(value):
    # TIVs as text, without trailing zeros: 12.500 is "12.5", 100.000 is "100".
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def release_change_rows(*, changes):
    """The changes as the API shows them: one record per deal, added and dropped first,
    each kind in key order."""
    codes = _codes(changes)

    def record(change, row, fields):
        return {
            "change": change,
            "key": row["key"],
            "reference": row["reference"],
            "contract": row["contract_id"],
            "supplier": codes.get(row["supplier_id"], ""),
            "recipient": codes.get(row["recipient_id"], ""),
            "designation": row["designation"],
            "category": row["category"],
            "order_year": row["order_year"],
            "match": row["match"],
            "match_rule": row.get("match_rule", ""),
            "values": {name: _plain(row[name]) for name in DIFF_FIELDS},
            "fields": [{"field": name, "old": _plain(old), "new": _plain(new)} for name, old, new in fields],
        }

    return [
        *(record("added", row, []) for row in changes.added),
        *(record("dropped", row, []) for row in changes.dropped),
        *(record("revised", new, fields) for new, _, fields in changes.revised),
    ]


CSV_COLUMNS = [
    "change",
    "key",
    "reference",
    "contract",
    "supplier",
    "recipient",
    "designation",
    "category",
    "order_year",
    "match",
    "field",
    "old",
    "new",
]


def release_change_csv_records(*, rows):
    """One CSV record per changed field of a revised deal, one per added or dropped deal."""
    records = []
    for row in rows:
        base = {name: row[name] for name in CSV_COLUMNS[:10]}
        if not row["fields"]:
            records.append({**base, "field": "", "old": "", "new": ""})
        for change in row["fields"]:
            records.append({**base, "field": change["field"], "old": change["old"], "new": change["new"]})
    return records


def release_supplier_totals(*, changes):
    """Per supplier (code): deals added, dropped, revised, and the TIV of the order added,
    removed and revised (new minus old, where both are known)."""
    codes = _codes(changes)
    totals = {}

    def entry(supplier_id):
        code = codes.get(supplier_id, "")
        return totals.setdefault(
            code,
            {
                "supplier": code,
                "added": 0,
                "dropped": 0,
                "revised": 0,
                "tiv_added": Decimal(0),
                "tiv_removed": Decimal(0),
                "tiv_revised": Decimal(0),
            },
        )

    for row in changes.added:
        e = entry(row["supplier_id"])
        e["added"] += 1
        e["tiv_added"] += row["tiv_order"] or 0
    for row in changes.dropped:
        e = entry(row["supplier_id"])
        e["dropped"] += 1
        e["tiv_removed"] += row["tiv_order"] or 0
    for new, old, _ in changes.revised:
        e = entry(new["supplier_id"])
        e["revised"] += 1
        if new["tiv_order"] is not None and old["tiv_order"] is not None:
            e["tiv_revised"] += new["tiv_order"] - old["tiv_order"]
    for e in totals.values():
        for name in ("tiv_added", "tiv_removed", "tiv_revised"):
            e[name] = _plain(e[name])
    return [totals[code] for code in sorted(totals)]
