"""Template filters of the reading room (transfers/reading): figures as researchers cite them."""

from django import template

from ..reading.charts import number as format_number

register = template.Library()


@register.filter
def number(value):
    """12,345; an em dash for none."""
    if value in (None, ""):
        return "\u2014"
    try:
        return format_number(float(value) if not isinstance(value, int) else value)
    except (TypeError, ValueError):
        return value


@register.filter
def percent(share):
    """0.123 -> 12.3%; an em dash for none."""
    if share is None:
        return "\u2014"
    return f"{share * 100:.1f}%"


@register.filter
def years(values):
    """[2001, 2002, 2003, 2007] -> 2001-2003, 2007 (SIPRI writes delivery years this way)."""
    values = sorted({int(v) for v in values or []})
    runs = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ", ".join(str(a) if a == b else f"{a}\u2013{b}" for a, b in runs)


@register.filter
def money(amount, currency=""):
    """700000000 USD -> USD 700,000,000."""
    if amount in (None, ""):
        return "\u2014"
    return f"{currency} {format_number(float(amount))}".strip()
