"""What a chart or a top-N table counts: one of the summary's measures.

The pages draw whatever measure they are given from the summary selector's rows
(`selectors.transfer_summary`). SIPRI's trend-indicator value (TIV delivered) is
offered first, and is the default, wherever the rows have a TIV figure; a selection
without any (deals entered by hand without TIV) falls back to numbers delivered.
"""

from dataclasses import dataclass
from decimal import Decimal

from .. import selectors


@dataclass(frozen=True)
class Measure:
    key: str  # the key in the summary's rows, and the pages' ?measure= value
    label: str  # a column header
    unit: str  # what a chart's axis counts
    by_delivery_year: bool  # meaningful when grouped by delivery year (the deliveries of that year)

    def of(self, row):
        value = row.get(self.key)
        # TIV comes as a Decimal; charts and shares compute in floats.
        return float(value) if isinstance(value, Decimal) else value


MEASURES = [
    # Offered when the rows carry it and some row has a figure (hand-entered deals often
    # have no TIV: their numbers delivered are drawn instead).
    Measure("tiv_delivered", "TIV delivered (millions)", "SIPRI TIV of deliveries (millions)", True),
    Measure("quantity_delivered", "Number delivered", "Numbers delivered", True),
    Measure("quantity_ordered", "Number ordered", "Numbers ordered", False),
    Measure("transfers", "Deal lines", "Deal lines (transfers)", True),
]
BY_KEY = {m.key: m for m in MEASURES}


def available(rows, *, by_delivery_year=False):
    """The measures these summary rows carry (all of them when there are no rows)."""
    measures = [m for m in MEASURES if not by_delivery_year or m.by_delivery_year]
    if rows:
        measures = [m for m in measures if m.key in rows[0]]
    if not any(row.get("tiv_delivered") is not None for row in rows):
        measures = [m for m in measures if m.key != "tiv_delivered"]
    return measures


def choose(requested, rows, *, by_delivery_year=False):
    """The requested measure when the rows carry it, else the first they carry (TIV when
    there, else numbers delivered)."""
    offered = available(rows, by_delivery_year=by_delivery_year)
    for measure in offered:
        if measure.key == requested:
            return measure, offered
    return offered[0], offered


def computed(*keys):
    """Of these measures, those the summary computes (ask for no more: each costs)."""
    return tuple(key for key in keys if key in selectors.SUMMARY_MEASURES)


# What a chart by year draws: the first the summary has. What tables of parties and
# systems show: every measure and the count of deal lines.
YEAR_CHART = computed("tiv_delivered", "quantity_delivered")
TABLES = computed(*(m.key for m in MEASURES))
