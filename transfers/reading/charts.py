"""Charts as inline SVG, drawn here in Python: no script, no library, nothing fetched.

Every chart is a string of SVG built from numbers the page also shows as a table.
Text in it is escaped here; the page marks the result safe. Charts scale with the
page's width (x positions in percent, or a plot stretched by preserveAspectRatio)
while their text keeps its size, so one chart reads at 375 px and at 1400 px.

- stacked_years: bars per year, stacked by series (categories, a deal's lines).
- sankey: supplier -> recipient ribbons between two columns of nodes.
- share_bar: a one-row bar for a table cell (top-N tables are their own chart).
"""

import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe


def number(value):
    """12,345 / 1.5 / None as an em dash: how figures read in charts and tables."""
    if value is None:
        return "\u2014"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above value (an axis's top)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


@dataclass
class Series:
    """One stacked series: its key (a category's slug, a deal's line), label and CSS class."""

    key: str
    label: str
    css: str


@dataclass
class YearBars:
    """Values per year and series; `unknown` years had something (a delivery) of unknown size."""

    series: list
    values: dict = field(default_factory=dict)  # year -> {series key: number}
    unknown: dict = field(default_factory=dict)  # year -> {series key: count of rows without a number}
    # TIV that cannot be placed in a year: (amount, lines), or None (not TIV, or nothing).
    unplaced: tuple | None = None

    def years(self):
        known = set(self.values) | set(self.unknown)
        if not known:
            return []
        return list(range(min(known), max(known) + 1))

    def total(self, year):
        return sum(v for v in self.values.get(year, {}).values() if v)

    def rows(self):
        """(year, [value per series], total, [series keys with unknown numbers]) for the table."""
        out = []
        for year in sorted(set(self.values) | set(self.unknown)):
            per = self.values.get(year, {})
            unknown = [s.key for s in self.series if self.unknown.get(year, {}).get(s.key)]
            out.append((year, [per.get(s.key) for s in self.series], self.total(year), unknown))
        return out

    def bar_count(self):
        """Drawn segments: one per (year, series) with a positive number."""
        return sum(1 for per in self.values.values() for v in per.values() if v)


PLOT_HEIGHT = 220
AXIS_HEIGHT = 22
HEADROOM = 16  # above the tallest bar
MIN_SLOTS = 12  # a few years still read as years, not as a wall of colour


def ticks(maximum, *, whole=True):
    """Gridline values for an axis from 0 to at least `maximum`: a round step (1, 2, 2.5 or 5
    times a power of ten, whole numbers for counts), three to five lines. ([], 0) for none."""
    if not maximum or maximum <= 0:
        return [], 0
    step = nice_ceiling(maximum / 4)
    if whole:
        step = max(1, step)
    count = math.ceil(maximum / step - 1e-9)
    return [step * i for i in range(1, count + 1)], step * count


def stacked_years(bars, *, title, unit, chart_id):
    """Stacked bars per year. Gridlines carry their value at the left edge (no margin to
    fit); a year with a row of unknown size gets a hollow marker on the axis. Fewer than
    MIN_SLOTS years are drawn among their neighbours."""
    years = bars.years()
    if not years:
        return ""
    if len(years) < MIN_SLOTS:
        pad = MIN_SLOTS - len(years)
        years = list(range(years[0] - pad // 2, years[-1] + pad - pad // 2 + 1))
    lines, top = ticks(max((bars.total(y) for y in years), default=0))
    # Nothing but deliveries of unknown size: a strip of markers, not an empty plot.
    plot = PLOT_HEIGHT if top else 44
    slots = len(years)
    slot = 10  # the plot's own units per year; stretched to the width
    gap = 2 if slots < 60 else 1
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    known = [y for y in years if bars.total(y)]
    desc = (
        f"{unit} per year, {years[0]} to {years[-1]}, stacked by {', '.join(s.label for s in bars.series)}."
        if known
        else f"Years with deliveries of unknown size only, {years[0]} to {years[-1]}."
    )
    out = [
        f'<svg class="chart chart-years" id="{escape(chart_id)}" width="100%" height="{plot + AXIS_HEIGHT}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>',
        f'<svg class="plot" x="0" y="0" width="100%" height="{plot}" '
        f'viewBox="0 0 {slots * slot} {plot}" preserveAspectRatio="none">',
    ]
    scale = (plot - HEADROOM) / top if top else 0
    marks = []
    for tick in lines:
        y = plot - tick * scale
        out.append(
            f'<line class="grid" x1="0" x2="{slots * slot}" y1="{y:.1f}" y2="{y:.1f}" '
            'vector-effect="non-scaling-stroke"/>'
        )
    for index, year in enumerate(years):
        base = plot
        per = bars.values.get(year, {})
        for series in bars.series:
            value = per.get(series.key)
            if not value:
                continue
            height = value * scale
            base -= height
            label = f"{year} \u00b7 {series.label}: {number(value)}"
            out.append(
                f'<rect class="bar {escape(series.css)}" data-year="{year}" data-series="{escape(series.key)}" '
                f'x="{index * slot + gap / 2}" y="{base:.2f}" width="{slot - gap}" height="{height:.2f}">'
                f"<title>{escape(label)}</title></rect>"
            )
        unknown = [s.label for s in bars.series if bars.unknown.get(year, {}).get(s.key)]
        if unknown:
            label = f"{year} \u00b7 {', '.join(unknown)}: delivered, number unknown"
            # On top of the year's known numbers, so that both show.
            out.append(
                f'<rect class="unknown" data-year="{year}" x="{index * slot + gap / 2}" y="{base - 14:.2f}" '
                f'width="{slot - gap}" height="14" vector-effect="non-scaling-stroke">'
                f"<title>{escape(label)}</title></rect>"
            )
            marks.append((index, base - 17))
    out.append("</svg>")
    for tick in lines:
        y = plot - tick * scale
        out.append(f'<text class="tick" x="2" y="{y - 3:.1f}">{number(tick)}</text>')
    for index, y in marks:
        x = (index + 0.5) / slots * 100
        out.append(
            f'<text class="unknown-mark" x="{x:.2f}%" y="{y:.1f}" text-anchor="middle" aria-hidden="true">?</text>'
        )
    out.append(f'<line class="axis" x1="0" x2="100%" y1="{plot}" y2="{plot}"/>')
    for index, year in _year_labels(years):
        x = (index + 0.5) / slots * 100
        out.append(f'<text class="year" x="{x:.2f}%" y="{plot + 15}" text-anchor="middle">{year}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _year_labels(years):
    """At most about eight labels: every year, or every 2, 5, 10, 20 years on round numbers."""
    if len(years) <= 8:
        return list(enumerate(years))
    step = next(s for s in (2, 5, 10, 20, 25, 50) if len(years) / s <= 8)
    return [(i, y) for i, y in enumerate(years) if y % step == 0]


# --- Sankey ---------------------------------------------------------------------------------------


@dataclass
class Node:
    key: str
    label: str
    value: float
    href: str = ""
    y: float = 0
    height: float = 0


NODE_GAP = 6
NODE_MIN = 14
NODE_WIDTH = 1.2  # percent of the width


def sankey(left, right, links, *, title, unit, chart_id):
    """Ribbons from left nodes to right nodes, each as thick as its value at both ends.

    left, right: lists of Node, top to bottom; links: (left key, right key, value).
    Each node gets at least NODE_MIN pixels so its label fits; the rest of the height is
    shared in proportion to value. The ribbons live in a plot stretched to the width,
    labels outside it keep their size."""
    links = [(a, b, v) for a, b, v in links if v and v > 0]
    if not links:
        return ""
    rows = max(len(left), len(right))
    height = max(240, rows * (NODE_MIN + NODE_GAP) + 120)
    for column in (left, right):
        _place(column, height)
    width = 1000  # the plot's own units; stretched to the page's width
    x0, x1 = width * NODE_WIDTH / 100, width * (1 - NODE_WIDTH / 100)
    by_key = {("l", n.key): n for n in left} | {("r", n.key): n for n in right}
    offset = {key: 0.0 for key in by_key}
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    desc = f"{unit} from {len(left)} suppliers to {len(right)} recipients, {len(links)} flows."
    out = [
        f'<svg class="chart chart-sankey" id="{escape(chart_id)}" width="100%" height="{height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}">',
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>',
        f'<svg class="plot" x="0" y="0" width="100%" height="{height}" viewBox="0 0 {width} {height}" '
        'preserveAspectRatio="none">',
    ]
    # Ribbons in the order of their ends, so that they leave and arrive without crossing at a node.
    left_order = {n.key: i for i, n in enumerate(left)}
    right_order = {n.key: i for i, n in enumerate(right)}
    placed = []
    for a, b, value in sorted(links, key=lambda link: (left_order[link[0]], right_order[link[1]])):
        source = by_key[("l", a)]
        top0 = source.y + offset[("l", a)]
        thick0 = value / source.value * source.height if source.value else 0
        offset[("l", a)] += thick0
        placed.append([a, b, value, top0, thick0])
    for link in sorted(placed, key=lambda link: (right_order[link[1]], left_order[link[0]])):
        a, b, value, top0, thick0 = link
        target = by_key[("r", b)]
        top1 = target.y + offset[("r", b)]
        thick1 = value / target.value * target.height if target.value else 0
        offset[("r", b)] += thick1
        mid = (x0 + x1) / 2
        d = (
            f"M{x0:.1f},{top0:.2f} C{mid:.1f},{top0:.2f} {mid:.1f},{top1:.2f} {x1:.1f},{top1:.2f} "
            f"L{x1:.1f},{top1 + thick1:.2f} C{mid:.1f},{top1 + thick1:.2f} {mid:.1f},{top0 + thick0:.2f} "
            f"{x0:.1f},{top0 + thick0:.2f} Z"
        )
        label = f"{by_key[('l', a)].label} \u2192 {by_key[('r', b)].label}: {number(value)}"
        css = f"link link-{left_order[a] % 10}"
        out.append(
            f'<path class="{css}" data-from="{escape(a)}" data-to="{escape(b)}" d="{d}">'
            f"<title>{escape(label)}</title></path>"
        )
    for side, column, x in (("l", left, 0), ("r", right, x1)):
        for index, node in enumerate(column):
            css = f"node node-{index % 10}" if side == "l" else "node node-right"
            out.append(
                f'<rect class="{css}" x="{x:.1f}" y="{node.y:.2f}" width="{x0:.1f}" height="{node.height:.2f}">'
                f"<title>{escape(node.label)}: {number(node.value)}</title></rect>"
            )
    out.append("</svg>")
    for side, column in (("l", left), ("r", right)):
        for node in column:
            x, anchor = (f"{NODE_WIDTH + 0.6}%", "start") if side == "l" else (f"{100 - NODE_WIDTH - 0.6}%", "end")
            text = f"{node.label} {number(node.value)}"
            y = node.y + node.height / 2 + 4
            label = f'<text class="node-label" x="{x}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
            if node.href:
                label = f'<a href="{escape(node.href)}">{label}</a>'
            out.append(label)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _place(column, height):
    """Node heights: NODE_MIN each, the rest in proportion to value; gaps between."""
    total = sum(n.value for n in column) or 1
    free = height - len(column) * (NODE_MIN + NODE_GAP)
    y = NODE_GAP / 2
    for node in column:
        node.height = NODE_MIN + free * node.value / total
        node.y = y
        y += node.height + NODE_GAP


# --- Bars in table cells ---------------------------------------------------------------------------------


def share_bar(share, *, label):
    """A horizontal bar of `share` (0 to 1) for a table row: the table is the chart's numbers."""
    width = max(0.0, min(1.0, share or 0)) * 100
    return mark_safe(  # noqa: S308 - the label is escaped
        f'<svg class="share-bar" width="100%" height="12" role="img" aria-label="{escape(label)}">'
        f'<rect class="share-bg" x="0" y="0" width="100%" height="12"/>'
        f'<rect class="share" x="0" y="0" width="{width:.2f}%" height="12"/></svg>'
    )
