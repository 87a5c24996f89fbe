"""One deal, two exports: pairing a by-delivery-year deal with its legacy register row,
and merging their deliveries. No database access: the importer describes deals (from
a file or from stored contracts) as `DealFacts`.

The two exports describe the same deals differently: the legacy register has one
row per deal with its number ordered, delivered total and delivery years, and no
id; the by-delivery-year export has SIPRI's deal id and a number per delivery
year, but only for the years it covers (its preamble says which, e.g. 1995-2025),
and it often spells the designation otherwise (`DA-42` for `DA42`, `F-18C` for
`F/A-18C Hornet`). A pair must share supplier, recipient and year of order, and
then, in this order of preference:

1. the same designation;
2. the same designation but for case, spaces, punctuation and accents;
3. the same category, one designation extending the other (`HQ-17A SAMS` for
   `HQ-17A`), and deliveries that fit (the per-year years among the legacy ones,
   their sum not above the legacy total);
4. the same category and the same deliveries (the legacy years within the
   covered range are exactly the per-year ones, and the numbers add up);
5. failing all these, an order year one or two years apart (SIPRI revises them
   between releases) with the same designation (as in 2.) and the same deliveries.

Among several candidates at one level, the one whose deliveries agree wins, then
the one first in the register.
"""

import re
import unicodedata
from dataclasses import dataclass, field

LEVELS = [
    "same designation",
    "designation spelled differently",
    "designation with more detail, deliveries that fit",
    "same category and deliveries",
    "order year revised, same designation and deliveries",
]
# How far apart the order years of one deal may lie in two releases.
YEARS_REVISED = 2
NO_PARTIES = "no deal between these parties ordered that year"
NO_DEAL = "none of that designation, or of that category with the same deliveries"

APPLIED = "applied"


@dataclass
class DealFacts:
    key: object
    order: tuple
    supplier_id: int
    recipient_id: int
    order_year: int
    designation: str
    category: str
    # Delivery year -> number delivered that year (None: not known).
    years: dict = field(default_factory=dict)
    # The legacy register's delivered total (None: not known).
    total: int | None = None


def _spelling(designation):
    text = unicodedata.normalize("NFKD", designation).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _known_sum(years):
    return sum(q for q in years.values() if q is not None)


def _in_range(years, start):
    return {y for y in years if start is None or y >= start}


def deliveries_fit(by_year, legacy):
    if not set(by_year.years) <= set(legacy.years):
        return False
    return legacy.total is None or _known_sum(by_year.years) <= legacy.total


def deliveries_agree(by_year, legacy, start):
    covered = _in_range(legacy.years, start)
    if not covered or set(by_year.years) != covered:
        return False
    if legacy.total is None or any(q is None for q in by_year.years.values()):
        return True
    if covered == set(legacy.years):
        return _known_sum(by_year.years) == legacy.total
    return _known_sum(by_year.years) <= legacy.total


def _level(by_year, legacy, start, designation_only=False):
    if by_year.designation == legacy.designation:
        return 0
    a, b = _spelling(by_year.designation), _spelling(legacy.designation)
    if a and a == b:
        return 1
    if designation_only or by_year.category != legacy.category:
        return None
    if a and b and (a.startswith(b) or b.startswith(a)) and deliveries_fit(by_year, legacy):
        return 2
    if deliveries_agree(by_year, legacy, start):
        return 3
    return None


def _revised(by_year, legacy, start):
    if abs(by_year.order_year - legacy.order_year) > YEARS_REVISED:
        return False
    a = _spelling(by_year.designation)
    return a and a == _spelling(legacy.designation) and deliveries_agree(by_year, legacy, start)


def pair(by_year, legacy, *, start, designation_only=False):
    """Pair by-delivery-year deals with legacy deals, one to one.

    Returns ({by-year key: (legacy key, level name)}, {by-year key: reason unmatched}).
    `start`: the first delivery year the by-delivery-year export covers (None: all).
    `designation_only`: only pairs of one designation (levels 1, 2 and 5), for two releases
    of one export, whose rows spell a deal's weapon alike: the same category and
    deliveries would pair two weapons of one order.
    """
    by_parties = {}
    for record in sorted(legacy, key=lambda r: r.order):
        by_parties.setdefault((record.supplier_id, record.recipient_id), []).append(record)
    pairs, unmatched, used = {}, {}, set()
    for record in sorted(by_year, key=lambda r: r.order):
        parties = by_parties.get((record.supplier_id, record.recipient_id), [])
        options = [o for o in parties if o.order_year == record.order_year]
        best, best_score = None, None
        for option in options:
            if option.key in used:
                continue
            level = _level(record, option, start, designation_only)
            if level is None:
                continue
            score = (
                level,
                0 if deliveries_agree(record, option, start) else 1 if deliveries_fit(record, option) else 2,
            )
            if best_score is None or score < best_score:
                best, best_score = option, score
        if best is None:
            revised = [
                o
                for o in parties
                if o.key not in used and o.order_year != record.order_year and _revised(record, o, start)
            ]
            if revised:
                best = min(revised, key=lambda o: abs(o.order_year - record.order_year))
                best_score = (len(LEVELS) - 1,)
        if best is None:
            unmatched[record.key] = NO_PARTIES if not options else NO_DEAL
            continue
        used.add(best.key)
        pairs[record.key] = (best.key, LEVELS[best_score[0]])
    return pairs, unmatched


@dataclass
class Year:
    """One delivery year as the import writes it."""

    year: int
    quantity: int | None = None
    quantity_is_estimate: bool = False
    year_is_estimate: bool = False
    # SIPRI TIV delivered that year, as the by-delivery-year export publishes it (None: not given).
    tiv: object = None


def legacy_deliveries(years, total, total_is_estimate):
    """A legacy row's deliveries: one per year; the total on it when there is one year."""
    rows = [Year(year) for year in sorted(set(years))]
    if len(rows) == 1 and total is not None:
        rows[0].quantity, rows[0].quantity_is_estimate = total, total_is_estimate
    return rows


def merged_deliveries(years, total, total_is_estimate, per_year):
    """A legacy deal's deliveries, with the numbers per year of the other export where
    they account for the legacy total exactly. Returns (deliveries, outcome): outcome is
    APPLIED, or why the legacy deliveries were kept as they are (None: nothing to merge).

    The legacy register's years are kept; per-year numbers are applied when they cover
    every year and add up to the total, or every year but one, which then takes the
    rest. Anything else would change the deal's delivered total, so the legacy figures
    stay and the per-year numbers are left out.
    """
    own = legacy_deliveries(years, total, total_is_estimate)
    if not per_year:
        return own, None
    given = {row.year: row for row in per_year}
    if not set(given) <= set(years):
        return own, "delivery years differ"
    if any(row.quantity is None for row in per_year):
        return own, "some years without a number"
    rest = sorted(set(years) - set(given))
    known = sum(row.quantity for row in per_year)
    rows = [Year(r.year, r.quantity, r.quantity_is_estimate, r.year_is_estimate, r.tiv) for r in per_year]
    if total is None:
        if rest:
            return own, "per-year numbers for some of the years only"
        return sorted(rows, key=lambda r: r.year), APPLIED
    if not rest:
        if known != total:
            return own, "per-year numbers add up to another total"
        return sorted(rows, key=lambda r: r.year), APPLIED
    if known == total:
        return own, "per-year numbers leave nothing for the other years"
    if len(rest) == 1 and known < total:
        rows.append(Year(rest[0], total - known, total_is_estimate))
        return sorted(rows, key=lambda r: r.year), APPLIED
    if known > total:
        return own, "per-year numbers add up to another total"
    return own, "per-year numbers for some of the years only"
