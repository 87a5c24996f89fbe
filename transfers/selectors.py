"""Read-side queries (HackSoft style): the querysets the API and exports are built on.

About 730 lines in three sections, in order: each resource's list (the register's rows
and their computed columns first), the summary, and a deal's timeline. The summary is
half of it and stays here whole: its live queries (groups on ids, values over distinct
deals, TIV placed per delivery year or reported unplaced) and their assembly are one
definition of what a group counts, which the yearly totals (transfers.totals) compute
their rows with, so the two cannot drift apart.
"""

import functools
from collections import defaultdict
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth, TruncYear
from django.db.models.lookups import Exact, IsNull, LessThan

from .assertions import date_range_display, date_range_span
from .dates import format_partial_date
from .models import Actor, Category, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem


def _count_subquery(queryset):
    """COUNT(*) of a correlated queryset, as a scalar subquery (no GROUP BY on the outer query)."""
    return Coalesce(
        Subquery(queryset.order_by().values(_k=Value(1)).annotate(n=Count("*")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def delivered_quantity():
    """A transfer's quantity delivered: its deliveries' sum (cached on the row), else the
    register's reported total. Querysets annotate it as `quantity_delivered`, the name the
    model (Transfer.quantity_delivered, the same in Python) and the API give it."""
    return Coalesce(F("cached_delivered_sum"), F("reported_delivered"), output_field=IntegerField())


def claims_behind_transfer_parts(**conditions):
    """Claims about a transfer, about its contract, and about its deliveries: three querysets.

    A claim has exactly one subject, so the three never overlap. Kept apart (not
    one OR) so that each uses its own index instead of scanning every claim.
    """
    claims = Claim.objects.filter(**conditions)
    return [
        claims.filter(transfer=OuterRef("pk")),
        claims.filter(contract=OuterRef("contract_id")),
        claims.filter(delivery__transfer=OuterRef("pk")),
    ]


def transfer_has_claims_q(**conditions):
    """Transfers with at least one such claim behind them (about it, its contract or a delivery)."""
    first, *rest = [Exists(part) for part in claims_behind_transfer_parts(**conditions)]
    condition = first
    for part in rest:
        condition |= part
    return condition


def delivery_before_order_q(*, order_date=None, order_precision=None):
    """Deliveries dated before their deal's order, compared at the coarser of the two dates'
    precisions: a delivery in 2005 is not before an order of December 2005, one in 2005 is
    before an order of 2006. Accepted, not refused: the news records aid delivered before
    its contract and leases later bought; listed for an editor to check against the source
    (a mistyped year is the likelier cause). Each line keeps whether it has one
    (Transfer.cached_delivered_before_order, transfers.cache). `order_date`,
    `order_precision`: expressions of the deal's order (by default joined through the line)."""
    date, precision = F("date"), F("date_precision")
    if order_date is None:
        order_date, order_precision = F("transfer__contract__order_date"), F("transfer__contract__order_date_precision")
    year = Q(Exact(precision, "year")) | Q(Exact(order_precision, "year"))
    month = Q(Exact(precision, "month")) | Q(Exact(order_precision, "month"))
    # Before the order's day first: a truncated order is no later, so nothing else can be
    # before it, and the truncations are computed for the few rows left.
    return (
        Q(IsNull(order_date, False))
        & Q(LessThan(date, order_date))
        & (
            (year & Q(LessThan(date, TruncYear(order_date))))
            | (~year & month & Q(LessThan(date, TruncMonth(order_date))))
            | (~year & ~month)
        )
    )


def transfer_delivered_before_order_q():
    """Transfers with a delivery dated before their deal's order (delivery_before_order_q), as
    each line keeps it: an index of the few that are, instead of a scan of every delivery
    (2.2 s at a million lines)."""
    return Q(cached_delivered_before_order=True)


def actor_list():
    return Actor.objects.select_related("parent")


def person_list():
    return Person.objects.select_related("affiliation")


def system_list():
    return WeaponSystem.objects.select_related("producer", "origin")


def contract_list():
    return Contract.objects.select_related("supplier", "recipient").annotate(
        # Three index lookups, not one OR (which would scan every claim for each row).
        claim_count=_count_subquery(Claim.objects.filter(contract=OuterRef("pk")))
        + _count_subquery(Claim.objects.filter(transfer__contract=OuterRef("pk")))
        + _count_subquery(Claim.objects.filter(delivery__transfer__contract=OuterRef("pk"))),
    )


def transfer_list():
    """The trade register: arms transfers only, one row per transfer, everything a row shows."""
    # A copy of one queryset built once: resolving its annotations took longer than the
    # page's SQL, and the permission check asks for the queryset too.
    return _transfer_list().all()


class _GroupConcat(Aggregate):
    function = "GROUP_CONCAT"
    allow_distinct = True
    output_field = TextField()


def delivery_years(vendor):
    """The distinct years of a transfer's deliveries, in the row's own query: an array on
    PostgreSQL, comma-separated text on SQLite (api.fields.YearListField reads both)."""
    years = Delivery.objects.filter(transfer=OuterRef("pk")).order_by()
    if vendor == "postgresql":
        return ArraySubquery(years.annotate(year=ExtractYear("date")).values("year").distinct().order_by("year"))
    # '' rather than NULL for none, as PostgreSQL gives an empty array (a serializer shows NULL as null).
    concatenated = years.values("transfer").annotate(years=_GroupConcat(ExtractYear("date"), distinct=True))
    return Coalesce(Subquery(concatenated.values("years")[:1]), Value(""), output_field=TextField())


@functools.cache
def _transfer_list():
    delivered = delivered_quantity()
    return (
        Transfer.objects.filter(cached_is_arms=True)
        # The parties are the transfer's copies of its contract's (transfers.cache): one join fewer.
        .select_related("contract", "cached_supplier", "cached_recipient", "system")
        .annotate(
            # The model's quantity_delivered and quantity_remaining, in SQL (to order by them).
            quantity_delivered=delivered,
            quantity_remaining=ExpressionWrapper(
                F("quantity_ordered") - Coalesce(delivered, 0), output_field=IntegerField()
            ),
            delivery_year_list=delivery_years(connections["default"].vendor),
            claim_count=sum((_count_subquery(part) for part in claims_behind_transfer_parts()), start=Value(0)),
        )
    )


def delivery_list():
    # The parties through the transfer's copies of its contract's (transfers.cache).
    return Delivery.objects.select_related(
        "transfer__contract", "transfer__system", "transfer__cached_supplier", "transfer__cached_recipient"
    )


def source_list():
    return Source.objects.annotate(claim_count=_count_subquery(Claim.objects.filter(source=OuterRef("pk"))))


# What a claim (and a draft claim, transfers.articles) is about and who said it: the relations
# their lists show.
SUBJECT_AND_SPEAKER = (
    "contract",
    "transfer__contract",
    "transfer__system",
    "delivery",
    "system",
    "actor",
    "speaker",
    "speaker_actor",
)


def claim_list():
    return Claim.objects.select_related("source", "cites", *SUBJECT_AND_SPEAKER)


def transfer_confirmed_q():
    """Transfers that an on-record claim confirms (about it, its contract or a delivery)."""
    return transfer_has_claims_q(attribution=Claim.Attribution.ON_RECORD, stance=Claim.Stance.CONFIRMS)


# --- Summary ----------------------------------------------------------------------------------

SUMMARY_KEYS = ["supplier", "recipient", "system", "category", "order_year", "delivery_year"]
# What is the contract's own on a transfer (its copies of the deal's columns, Transfer.COPIES):
# every line of a deal is alike in it. Per column: the summary key grouping by it (or None) and
# the register's filters on it, which mean the same on /api/contracts/. Stated once here.
CONTRACT_LEVEL = {
    "supplier": ("supplier", ("supplier",)),
    "recipient": ("recipient", ("recipient",)),
    "order_date": ("order_year", ("ordered_from", "ordered_to")),
    "status": (None, ("status",)),
    "disputed": (None, ("disputed",)),
    "absent_from": (None, ("absent",)),
}
# Keys that are the contract's own: every line of a contract falls in the same group.
CONTRACT_SUMMARY_KEYS = {key for key, _filters in CONTRACT_LEVEL.values() if key}
# Filters that are the contract's own: no line of a deal is in while another is out.
CONTRACT_LEVEL_FILTERS = {name for _key, names in CONTRACT_LEVEL.values() for name in names}


# What each summary key groups by: on a transfer, its cached copies (Transfer.COPIES), its
# system and its deliveries' dates; on a contract (values summed from the contracts), its own.
_GROUP_FIELDS = {
    Transfer: {
        "supplier": "cached_supplier_id",
        "recipient": "cached_recipient_id",
        "system": "system_id",
        "category": "cached_category",
        "order_year": "cached_order_date",
        "delivery_year": "deliveries__date",
        "absent": "cached_absent_from_id",
    },
    Contract: {
        "supplier": "supplier_id",
        "recipient": "recipient_id",
        "order_year": "order_date",
        "absent": "absent_from_id",
    },
}


def _group_columns(keys, *, rows=Transfer, order_dates=False):
    """Group-by columns (alias -> expression), on ids rather than names: grouping a million
    rows hashes integers, and names are looked up once per group afterwards. `rows`: the
    model grouped (Transfer or Contract). With order_dates, order_year groups by the date
    itself, to be folded into years after (PostgreSQL's EXTRACT costs a third of the
    query over a million rows)."""
    fields = _GROUP_FIELDS[rows]
    columns = {}
    for key in keys:
        if key not in fields:
            continue
        if key == "delivery_year" or (key == "order_year" and not order_dates):
            columns[f"g_{key}"] = ExtractYear(fields[key])
        elif key == "absent":
            # Absent or not, whichever release dropped it: deals dropped by two releases are one group.
            columns["g_absent"] = ExpressionWrapper(Q(**{f"{fields[key]}__isnull": False}), output_field=BooleanField())
        else:
            columns[f"g_{key}"] = F(fields[key])
    return columns


# Above this many ids a summary's labels are read for every record: thousands of ids in an
# IN list took longer to send and plan (16 ms for 6,000 systems) than the whole table to read.
_LABELS_IN_LIST = 1_000


def _labels_of(model, ids, names):
    records = model.objects.order_by() if len(ids) > _LABELS_IN_LIST else model.objects.filter(pk__in=ids).order_by()
    return {pk: dict(zip(names, values, strict=True)) for pk, *values in records.values_list("pk", *names) if pk in ids}


def _group_labels(rows, keys):
    """Names for the ids in the groups: one query per kind of record."""
    labels = {}
    actor_keys = [k for k in keys if k in ("supplier", "recipient")]
    if actor_keys:
        labels["actor"] = _labels_of(Actor, {row[f"g_{k}"] for row in rows for k in actor_keys}, ("code", "name"))
    if "system" in keys:
        labels["system"] = _labels_of(WeaponSystem, {row["g_system"] for row in rows}, ("slug", "designation"))
    return labels


# Read once: a TextChoices' .choices walks the enum each time (a third of a summary of
# 7,000 groups was spent building this dict once per group).
_CATEGORY_NAMES = dict(Category.choices)


def _group_of(key_values, keys, labels):
    categories = _CATEGORY_NAMES
    group = {}
    for key, value in zip(keys, key_values, strict=True):
        if key in ("supplier", "recipient"):
            group[key] = labels["actor"].get(value, {"code": None, "name": None})
        elif key == "system":
            group[key] = labels["system"].get(value, {"slug": None, "designation": None})
        elif key == "category":
            group[key] = {"slug": value, "name": categories.get(value, value)}
        else:
            group[key] = value
    return group


def _sort_key(group, keys):
    """Groups in order of code, slug or year; unknowns (no date) last."""
    parts = []
    for key in keys:
        value = group[key]
        if isinstance(value, dict):
            value = value.get("code") or value.get("slug")
        parts.append((value is None, 0 if value is None else value))
    return parts


def _year_of(value):
    if value is None:
        return None
    # Raw SQLite rows hold dates as text.
    return value.year if hasattr(value, "year") else int(str(value)[:4])


def _fold_order_dates(rows, aliases, measures, *, fold):
    """Rows grouped by order date, regrouped by order year: measures summed (None: no value)."""
    if not fold:
        return list(rows)
    folded = {}
    for row in rows:
        row["g_order_year"] = _year_of(row["g_order_year"])
        key = tuple(row[alias] for alias in aliases)
        into = folded.get(key)
        if into is None:
            folded[key] = row
            continue
        for measure in measures:
            if row[measure] is not None:
                into[measure] = row[measure] if into[measure] is None else into[measure] + row[measure]
    return list(folded.values())


def transfer_register_base():
    """Arms transfers with nothing annotated: what aggregates start from."""
    return Transfer.objects.filter(cached_is_arms=True)


# What a summary can compute, in the order of its rows' keys. Each TIV measure brings its
# share of the total (TIV_SHARES) along.
SUMMARY_MEASURES = ("transfers", "quantity_ordered", "quantity_delivered", "values", "tiv_delivered", "tiv_ordered")
TIV_SHARES = {"tiv_delivered": "tiv_delivered_share", "tiv_ordered": "tiv_ordered_share"}
# Below this (millions of TIV) what a line's per-year figures leave unplaced is nothing:
# the figures are stored to 0.001.
_TIV_EPSILON = "0.0005"

_TIV = DecimalField(max_digits=20, decimal_places=3)


def tiv_delivered_expression():
    """A line's SIPRI TIV delivered (millions): as recorded (the registers publish it),
    else its quantity delivered times its TIV per unit."""
    return Coalesce(
        F("tiv_delivered"),
        ExpressionWrapper(delivered_quantity() * F("tiv_per_unit"), output_field=_TIV),
        output_field=_TIV,
    )


def tiv_ordered_expression():
    """A line's SIPRI TIV of the order (millions): as recorded, else its quantity ordered
    times its TIV per unit."""
    return Coalesce(
        F("tiv_order"),
        ExpressionWrapper(F("quantity_ordered") * F("tiv_per_unit"), output_field=_TIV),
        output_field=_TIV,
    )


def _tiv_by_delivery_year(transfers, columns, aliases):
    """TIV delivered per group and delivery year, placed exactly where per-year figures
    exist, and what cannot be placed: {group key (with a year, or None): (amount, lines)}.

    Per line, its deliveries in this order of rules:
    - deliveries all in one year: the line's whole TIV delivered in that year (a legacy
      register row delivered in one year, a single delivery entered by hand);
    - a delivery with its own TIV (the by-delivery-year export's value of that year): that;
    - a delivery with a known quantity: quantity x the line's TIV per unit.
    What the line's TIV delivered leaves over the placed figures (a legacy row delivered
    over several years, deliveries of unknown size, a line without TIV per unit) is not
    spread over its years: it is counted in the group's row without a year (lines counted
    there: those whose TIV is not wholly placed). One query, whatever the groups.
    """
    other = [alias for alias in aliases if alias != "g_delivery_year"]
    rows = transfers.values(
        **{alias: columns[alias] for alias in other},
        t_id=F("pk"),
        t_year=ExtractYear("deliveries__date"),
        t_quantity=F("deliveries__quantity"),
        t_tiv=F("deliveries__tiv"),
        t_unit=F("tiv_per_unit"),
        t_total=tiv_delivered_expression(),
    ).order_by()
    compiled = queryset_sql(rows)
    if compiled is None:
        return {}
    sql, params = compiled
    db = connections[rows.db]
    keys = "".join(f"{db.ops.quote_name(alias)}, " for alias in other)
    # Each delivery's own figure: its TIV as published, else quantity x TIV per unit.
    own = "COALESCE(t_tiv, t_quantity * t_unit)"
    # Per line: its years' span, the sum of its deliveries' own figures, its TIV delivered.
    lines = (
        f"SELECT {keys}MIN(t_year) AS first_year, MAX(t_year) AS last_year, SUM({own}) AS placed, "  # noqa: S608
        f"MAX(t_total) AS total FROM line_rows GROUP BY {keys}t_id"
    )
    left = "total - COALESCE(placed, 0)"
    # Three parts, in one scan of the lines and their deliveries (no window, no sort):
    # 'y' the deliveries' own figures per year; 'c' for a line delivered in one year, what
    # its TIV delivered adds to them in that year (then the year holds all of it); 'u' what
    # the other lines' own figures leave of their TIV delivered, with the number of lines.
    tiv_sql = (
        f"WITH line_rows AS ({sql}), lines AS ({lines}) "  # noqa: S608
        f"SELECT {keys}t_year, SUM({own}), 'y', 0 FROM line_rows WHERE t_year IS NOT NULL GROUP BY {keys}t_year "
        f"UNION ALL SELECT {keys}first_year, SUM({left}), 'c', 0 FROM lines "
        f"WHERE first_year = last_year AND total IS NOT NULL GROUP BY {keys}first_year "
        f"UNION ALL SELECT {keys}NULL, SUM({left}), 'u', COUNT(*) FROM lines "
        f"WHERE (first_year IS NULL OR first_year <> last_year) AND total IS NOT NULL "
        f"AND ABS({left}) >= {_TIV_EPSILON} " + (f"GROUP BY {keys.rstrip(', ')}" if other else "")
    )
    result = {}
    position = aliases.index("g_delivery_year")
    with db.cursor() as cursor:
        cursor.execute(tiv_sql, params)
        for *group, year, amount, part, lines_count in cursor.fetchall():
            if part == "u" and not lines_count:
                continue  # an empty aggregate (no keys, nothing unplaced)
            # PostgreSQL's EXTRACT is numeric: years as the grouping query gives them (int).
            key = [
                int(v) if alias == "g_order_year" and v is not None else v
                for alias, v in zip(other, group, strict=True)
            ]
            key.insert(position, None if part == "u" else int(year))
            key = tuple(key)
            if part == "u":
                result[key] = (amount, lines_count)
            elif amount is not None:
                before = result.get(key, (None, 0))[0]
                result[key] = (amount if before is None else before + amount, 0)
    return {key: (_decimal(amount), lines_count) for key, (amount, lines_count) in result.items()}


_MILLI = Decimal("0.001")


def _decimal(value):
    """A sum as a Decimal to 0.001 (SQLite sums decimals as floats)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(_MILLI)
    return Decimal(str(value)).quantize(_MILLI)


def _share(value, total):
    if value is None or not total:
        return None
    return round(float(value / total), 6)


def queryset_sql(queryset):
    """(sql, params) of a queryset, to wrap in hand-written SQL; None when it matches nothing
    by construction (an empty IN list, e.g. no deal is disputed), which Django cannot compile
    but answers as an empty result when it runs the queryset itself."""
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


def summary_measures(measures=None):
    """The set of SUMMARY_MEASURES asked for (all by default); ValueError for others."""
    wanted = set(SUMMARY_MEASURES if measures is None else measures)
    if not wanted or wanted - set(SUMMARY_MEASURES):
        raise ValueError(f"measures: some of {', '.join(SUMMARY_MEASURES)}")
    return wanted


def transfer_summary(*, group_by, filters=None, transfers=None, contracts=None, measures=None):
    """Aggregate filtered transfers by one or two keys.

    `filters`: the register's filters as /api/transfers/ takes them (a
    transfers.api.filters.RegisterFilters, built from the query parameters and validated
    there). When every filter given is on a dimension the yearly totals keep
    (transfers.totals.TOTALS_FILTERS) and the keys are among theirs, the rows are read from
    the totals (a few thousand pre-aggregated rows instead of the register); else they are
    computed from the transfers. The answer is the same either way (tests/test_yearly_totals.py).
    Without filters, `transfers` (a queryset of arms transfers) and optionally `contracts`
    (the contracts of exactly these transfers) are aggregated as given.

    Counts transfers and sums quantities; values are summed per currency over the
    distinct contracts in each group (a deal with two lines counts once). Grouped
    by delivery year, quantities delivered are those of that year and the quantity
    ordered is not split by year (null).

    `contracts`, when given, are the contracts of exactly these transfers, filtered
    on the contract's own columns; with contract keys only, values are summed from
    them directly instead of from a million (group, contract) pairs.

    TIV (SIPRI trend-indicator values, millions, not money): `tiv_delivered` and
    `tiv_ordered` per group (tiv_delivered_expression, tiv_ordered_expression), each with
    its share of the total over all the rows (`tiv_delivered_share`, a fraction 0..1).
    Grouped by delivery year, TIV delivered is placed per year where per-year figures
    exist (_tiv_by_delivery_year); what cannot be is in extra rows with no delivery year
    and `unplaced` true (their `transfers`: the lines not wholly placed); the order's TIV
    is not split by year (null).

    `measures`: which of SUMMARY_MEASURES to compute (all by default); the rows carry
    only those. A chart of one figure skips the rest: the values (a second query over
    every (group, contract) pair) and, by delivery year, the distinct count of transfers
    (a sort of every delivery) cost several times the sum itself.
    """
    wanted = summary_measures(measures)
    if filters is not None:
        from .totals import maintain as totals

        parts = totals.summary_parts(group_by=group_by, filters=filters, wanted=wanted)
        if parts is None:
            parts = summary_parts(
                transfers=filters.transfers(), group_by=group_by, wanted=wanted, contracts=filters.contracts()
            )
    else:
        parts = summary_parts(transfers=transfers, group_by=group_by, wanted=wanted, contracts=contracts)
    return assemble_summary(group_by=group_by, wanted=wanted, parts=parts)


def summary_parts(*, transfers, group_by, wanted, contracts=None, fold_order_dates=True):
    """What a summary is made of, computed from the transfers: (aliases, grouped rows,
    TIV by delivery year or None, values). `group_by` may also hold "absent" (the deal's
    absent_from release: the totals keep it as a dimension)."""
    transfers = transfers.order_by()
    # Additive measures only: a transfer counted per delivery date could count twice in a year.
    order_dates = fold_order_dates and "order_year" in group_by and "delivery_year" not in group_by
    if "delivery_year" in group_by:
        # The filtered transfers joined to their deliveries (not deliveries of transfers
        # IN (the filtered ones): a semi-join PostgreSQL hashed a million ids for).
        # Transfers without deliveries come out with no year and are dropped below.
        columns = _group_columns(group_by)
        aggregates = {"transfers": Count("pk", distinct=True), "quantity_delivered": Sum("deliveries__quantity")}
    else:
        columns = _group_columns(group_by, order_dates=order_dates)
        aggregates = {
            # First: their expressions name fields (quantity_ordered) that later aliases shadow.
            "tiv_delivered": Sum(tiv_delivered_expression()),
            "tiv_ordered": Sum(tiv_ordered_expression()),
            "transfers": Count("pk"),
            "quantity_ordered": Sum("quantity_ordered"),
            "quantity_delivered": Sum(delivered_quantity()),
        }
    # At least one aggregate, so that the groups are read even for values alone.
    aggregates = {name: value for name, value in aggregates.items() if name in wanted} or {"_rows": Count("pk")}
    aliases = list(columns)
    grouped = _fold_order_dates(
        transfers.values(**columns).annotate(**aggregates).order_by(), aliases, list(aggregates), fold=order_dates
    )
    by_year_tiv = None
    if "delivery_year" in group_by:
        grouped = [row for row in grouped if row["g_delivery_year"] is not None]
        if "tiv_delivered" in wanted:
            by_year_tiv = _tiv_by_delivery_year(transfers, columns, aliases)
            # What cannot be placed in a year: one row per group, without a year.
            year_at = aliases.index("g_delivery_year")
            grouped += [
                {**dict(zip(aliases, key, strict=True)), "transfers": lines, "_unplaced": True}
                for key, (_amount, lines) in by_year_tiv.items()
                if key[year_at] is None
            ]

    values = defaultdict(dict)  # group -> currency -> amount

    def add_value(keys, currency, amount):
        if "g_delivery_year" in aliases and keys[aliases.index("g_delivery_year")] is None:
            return  # a transfer with no deliveries has no delivery year
        if order_dates or "g_order_year" in aliases:
            # Years as ints (PostgreSQL's EXTRACT is numeric).
            keys = tuple(_year_of(k) if a == "g_order_year" else k for a, k in zip(aliases, keys, strict=True))
        values[keys][currency] = values[keys].get(currency, 0) + amount

    if "values" in wanted and contracts is not None and set(group_by) <= CONTRACT_SUMMARY_KEYS:
        per_currency = (
            contracts.filter(value_amount__isnull=False)
            .values(**_group_columns(group_by, rows=Contract, order_dates=order_dates), currency=F("value_currency"))
            .annotate(amount=Sum("value_amount"))
            .order_by()
        )
        for row in per_currency:
            add_value(tuple(row[alias] for alias in aliases), row["currency"], row["amount"])
    elif "values" in wanted:
        # Distinct (group, contract, value) rows, summed per currency in SQL: the value is
        # copied on the transfer row, so no join to the contracts, and only lines of
        # contracts with a value take part.
        value = "cached_contract_value_"
        pairs = (
            transfers.filter(**{f"{value}amount__isnull": False})
            .values(**columns, cid=F("contract_id"), currency=F(f"{value}currency"), amount=F(f"{value}amount"))
            .distinct()
            .order_by()
        )
        compiled = queryset_sql(pairs)  # None: the filters match nothing, no values
        if compiled is not None:
            sql, params = compiled
            db = connections[pairs.db]
            keys = ", ".join("pairs." + db.ops.quote_name(alias) for alias in aliases)
            value_sql = (
                f"SELECT {keys}, pairs.currency, SUM(pairs.amount) FROM ({sql}) pairs "  # noqa: S608
                f"GROUP BY {keys}, pairs.currency"
            )
            with db.cursor() as cursor:
                cursor.execute(value_sql, params)
                for *group, currency, amount in cursor.fetchall():
                    add_value(tuple(group), currency, amount)
    return aliases, grouped, by_year_tiv, values


def assemble_summary(*, group_by, wanted, parts):
    """The summary's rows from its parts (summary_parts, or transfers.totals): labels,
    values, TIV placement, shares, order."""
    aliases, grouped, by_year_tiv, values = parts
    labels = _group_labels(grouped, group_by)
    result = []
    for row in grouped:
        key = tuple(row[alias] for alias in aliases)
        item = {"group": _group_of(key, group_by, labels)}
        for name in ("transfers", "quantity_ordered", "quantity_delivered"):
            if name in wanted:
                item[name] = row.get(name)
        if "values" in wanted:
            item["values"] = [
                {"currency": currency, "amount": amount} for currency, amount in sorted(values.get(key, {}).items())
            ]
        if by_year_tiv is not None:
            item["tiv_delivered"] = by_year_tiv.get(key, (None, 0))[0]
            item["unplaced"] = row.get("_unplaced", False)
            if item["unplaced"]:
                item["transfers"] = row["transfers"]  # the count is part of what is reported unplaced
        elif "tiv_delivered" in wanted:
            item["tiv_delivered"] = _decimal(row.get("tiv_delivered"))
        if "tiv_ordered" in wanted:
            # The order is not split by year.
            item["tiv_ordered"] = None if "delivery_year" in group_by else _decimal(row.get("tiv_ordered"))
        result.append(item)
    for name, share in TIV_SHARES.items():
        if name in wanted:
            total = sum(item[name] for item in result if item[name] is not None)
            for item in result:
                item[share] = _share(item[name], total)
    result.sort(key=lambda item: _sort_key(item["group"], group_by))
    return result


# --- Timeline ---------------------------------------------------------------------------------


def _source_brief(source):
    return {
        "id": source.id,
        "key": source.key,
        "title": source.title,
        "publisher": source.publisher,
        "outlet": source.outlet,
        "url": source.url,
        "published_date": source.published_date_display,
    }


_TYPE_ORDER = {"order": 0, "delivery": 1, "claim": 2, "statement": 2}


def _claim_dating(claim):
    """(start, precision, end, end precision, basis) of a claim's date: the date stated (a
    range when it is one), else its source's publication."""
    if claim.stated_date:
        return (
            claim.stated_date,
            claim.stated_date_precision,
            claim.stated_date_end,
            claim.stated_date_end_precision,
            "stated",
        )
    source = claim.source
    return source.published_date, source.published_date_precision, None, None, "published"


def _timeline_event(*, kind, start, precision, end=None, end_precision=None, basis, description, claims, sources, pk):
    event = {
        "type": kind,
        "date": date_range_display(start, precision, end, end_precision) if start else None,
        "date_precision": precision if start else None,
        "date_end": format_partial_date(end, end_precision) if end else None,
        "date_basis": basis,
        "description": description,
        "claim": claims[0] if kind == "claim" else None,
        "claims": claims,
        "sources": [_source_brief(source) for source in sources],
        "_span": date_range_span(start, precision, end, end_precision) if start else None,
        "_pk": pk,
    }
    return event


def contract_timeline(*, contract):
    """The deal's dated events, oldest first: the order, each delivery, each claim or
    statement (claims that share a statement key: one quote, one speaker, one source).

    A claim is dated by when it was stated, else by its source's publication. Each event
    carries its sources: a claim its own, the order and deliveries those of the claims
    about them. The order (README, "Timeline"): an event sorts at the first day its date
    covers (2005-12 on 1 December, a range "16 or 17 January" on the 16th, shown as
    `2007-01-16/2007-01-17`); of events starting the same day, the shorter span comes
    first (a day before the month it begins), then the order, deliveries and claims,
    each in the order recorded. Undated events come last.
    """
    # The claims about the deal, its lines or its deliveries: a union of three index
    # lookups (one OR across the three joins scanned every claim: 540 ms at 160,000).
    about = Claim.objects.order_by().values_list("pk", flat=True)
    first, *rest = [
        about.filter(**{path: contract}) for path in ("contract", "transfer__contract", "delivery__transfer__contract")
    ]
    claims = list(
        Claim.objects.filter(pk__in=first.union(*rest)).select_related(
            "source", "cites", "speaker", "speaker_actor", "delivery", "transfer"
        )
    )
    deliveries = list(
        Delivery.objects.filter(transfer__contract=contract).select_related("transfer__system").order_by("date", "pk")
    )
    events = []
    order_sources = {
        c.source_id: c.source for c in claims if c.contract_id == contract.pk and c.assertion_field == "order_date"
    }
    if not order_sources:
        order_sources = {c.source_id: c.source for c in claims if c.contract_id == contract.pk}
    events.append(
        _timeline_event(
            kind="order",
            start=contract.order_date,
            precision=contract.order_date_precision,
            basis="ordered",
            description=f"Order: {contract.title or contract.reference} ({contract.get_status_display()})",
            claims=[],
            sources=order_sources.values(),
            pk=contract.pk,
        )
    )
    for delivery in deliveries:
        quantity = "unknown number of" if delivery.quantity is None else str(delivery.quantity)
        sources = {c.source_id: c.source for c in claims if c.delivery_id == delivery.pk}
        events.append(
            _timeline_event(
                kind="delivery",
                start=delivery.date,
                precision=delivery.date_precision,
                basis="delivered",
                description=f"Delivery: {quantity} {delivery.transfer.system.designation}",
                claims=[],
                sources=sources.values(),
                pk=delivery.pk,
            )
        )
    statements = {}
    for claim in sorted(claims, key=lambda c: c.pk):
        statements.setdefault(claim.statement or f"claim-{claim.pk}", []).append(claim)
    for group in statements.values():
        first = group[0]
        start, precision, end, end_precision, basis = _claim_dating(first)
        events.append(
            _timeline_event(
                kind="claim" if len(group) == 1 else "statement",
                start=start,
                precision=precision,
                end=end,
                end_precision=end_precision,
                basis=basis,
                description=" ".join(claim.summary for claim in group),
                claims=group,
                sources={claim.source_id: claim.source for claim in group}.values(),
                pk=first.pk,
            )
        )

    def sort_key(event):
        span = event["_span"]
        if span is None:
            return (True, 0, 0, _TYPE_ORDER[event["type"]], event["_pk"])
        return (False, span[0], span[1], _TYPE_ORDER[event["type"]], event["_pk"])

    events.sort(key=sort_key)
    for event in events:
        del event["_span"], event["_pk"]
    return events
