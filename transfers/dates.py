"""Dates with a precision: "December 2005" is 2005-12-01 with precision month."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

MIN_YEAR = 1900
# Hard bound for the database constraint; validation uses next year + 10.
MAX_DB_YEAR = 2100


class Precision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


def max_sane_year():
    return timezone.now().year + 11


def validate_sane_date(value):
    """Years lie between 1900 and next year + 10."""
    if value is None:
        return
    upper = max_sane_year()
    if not (MIN_YEAR <= value.year <= upper):
        raise ValidationError(
            "Year %(year)s is outside the sane range %(low)s-%(high)s.",
            code="year_out_of_range",
            params={"year": value.year, "low": MIN_YEAR, "high": upper},
        )


def validate_not_future(value):
    """A document's dates (published, accessed) are not after tomorrow: a day allows for
    editors in time zones ahead of the server's."""
    if value is None:
        return
    latest = timezone.localdate() + datetime.timedelta(days=1)
    if value > latest:
        raise ValidationError(
            "%(date)s is in the future: a source is not published or read after %(latest)s.",
            code="future",
            params={"date": value.isoformat(), "latest": latest.isoformat()},
        )


def format_partial_date(value, precision):
    """Print a date at its precision: 2005, 2005-12 or 2005-12-01."""
    if value is None:
        return None
    if precision == Precision.YEAR:
        return f"{value.year:04d}"
    if precision == Precision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def format_partial_date_sql(value, precision):
    """format_partial_date in PostgreSQL's SQL, for two column expressions."""
    return (
        f"CASE {precision} WHEN '{Precision.YEAR}' THEN to_char({value}, 'YYYY') "
        f"WHEN '{Precision.MONTH}' THEN to_char({value}, 'YYYY-MM') ELSE to_char({value}, 'YYYY-MM-DD') END"
    )


# What a date at its precision may look like, here and in the API's schema (one pattern).
PARTIAL_DATE_PATTERN = r"^\s*([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?\s*$"
_PARTIAL = re.compile(PARTIAL_DATE_PATTERN)


def parse_partial_date(text):
    """Parse `2005`, `2005-12` or `2005-12-01` into (date, precision)."""
    match = _PARTIAL.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    try:
        return datetime.date(int(year), int(month or 1), int(day or 1)), precision
    except ValueError as exc:  # "month must be in 1..12": said with the text it is about
        raise ValueError(f"{text!r} is not a date: {exc}") from None


def sane_date_check(field):
    """The database half of the sane-range rule, for a nullable date field."""
    return models.Q(**{f"{field}__isnull": True}) | models.Q(
        **{f"{field}__gte": datetime.date(MIN_YEAR, 1, 1), f"{field}__lte": datetime.date(MAX_DB_YEAR, 12, 31)}
    )
