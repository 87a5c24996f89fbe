"""Typed assertions: what a claim says of one field of a deal, as a value that can be compared.

A claim's assertion is one of:
- a quantity (quantities ordered or delivered): a whole number or a range, with a
  qualifier (exact, about, at least, more than, up to, less than) and an estimate flag;
- a value: an amount (or a range of amounts) in an ISO 4217 currency, with a qualifier
  and an estimate flag;
- a date (order date, delivery date) at its precision, or a range of two such dates;
- a status from a controlled vocabulary (the contract's statuses, and `delivered`),
  that may be negated ("not completed");
- anything else (`other`): free text.

The assertion is stored in typed columns of Claim (`assertion_quantity`, ...). Its text
as the source words it is kept beside them (`assertion_value`); when a claim is given
only that text, it is read here (`assertion_read`), by one grammar that the admin,
the API, fixtures, imports and the migration of the old free-text values share.

Nothing here touches the database: the models validate with it, transfers.evidence
compares with it.

One module of about 650 lines, on purpose: it is one value type, and its parts are
read together (the grammar's messages quote the accepted forms, the checks read text
with the grammar, display and comparison follow the same columns); the models, the
API, the admin, imports, the evidence rule and the article engine import it from one
place. In order: the vocabularies and the columns of each kind; reading a value as
written (`assertion_read`); checking typed values (`assertion_cleaned`); reading typed
values back: display, date spans, the interval a figure allows, the states a status
allows.
"""

import calendar
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pycountry
from django.db import models

from .dates import MIN_YEAR, Precision, format_partial_date, max_sane_year, parse_partial_date


class AssertionField(models.TextChoices):
    QUANTITY_ORDERED = "quantity_ordered", "quantity ordered"
    QUANTITY_DELIVERED = "quantity_delivered", "quantity delivered"
    VALUE = "value", "value"
    ORDER_DATE = "order_date", "order date"
    DELIVERY_DATE = "delivery_date", "delivery date"
    STATUS = "status", "status"
    OTHER = "other", "other"


class Qualifier(models.TextChoices):
    EXACT = "exact", "exactly"
    ABOUT = "about", "about"
    AT_LEAST = "at-least", "at least"
    MORE_THAN = "more-than", "more than"
    UP_TO = "up-to", "up to"
    LESS_THAN = "less-than", "less than"


class AssertedStatus(models.TextChoices):
    """What a claim may say of a deal's status: the contract's statuses, and `delivered`
    (some or all of it delivered, as a source confirming deliveries says)."""

    REPORTED = "reported", "reported"
    NEGOTIATING = "negotiating", "negotiating"
    SIGNED = "signed", "signed"
    DELIVERING = "delivering", "delivering"
    COMPLETED = "completed", "completed"
    CANCELLED = "cancelled", "cancelled"
    DELIVERED = "delivered", "delivered (some or all)"


QUANTITY_FIELDS = (AssertionField.QUANTITY_ORDERED, AssertionField.QUANTITY_DELIVERED)
NUMBER_FIELDS = (*QUANTITY_FIELDS, AssertionField.VALUE)
DATE_FIELDS = (AssertionField.ORDER_DATE, AssertionField.DELIVERY_DATE)

# The typed columns of each kind of assertion (the text, `assertion_value`, goes with every kind).
QUANTITY_COLUMNS = ("assertion_quantity", "assertion_quantity_max")
AMOUNT_COLUMNS = ("assertion_amount", "assertion_amount_max", "assertion_currency")
NUMBER_COLUMNS = ("assertion_qualifier", "assertion_is_estimate")
DATE_COLUMNS = ("assertion_date", "assertion_date_precision", "assertion_date_end", "assertion_date_end_precision")
STATUS_COLUMNS = ("assertion_status", "assertion_negated")
TYPED_COLUMNS = (*QUANTITY_COLUMNS, *AMOUNT_COLUMNS, *NUMBER_COLUMNS, *DATE_COLUMNS, *STATUS_COLUMNS)
COLUMNS = ("assertion_field", *TYPED_COLUMNS, "assertion_value")

# The columns each field takes; every other typed column stays empty.
FIELD_COLUMNS = {
    **{field: (*QUANTITY_COLUMNS, *NUMBER_COLUMNS) for field in QUANTITY_FIELDS},
    AssertionField.VALUE: (*AMOUNT_COLUMNS, *NUMBER_COLUMNS),
    **{field: DATE_COLUMNS for field in DATE_FIELDS},
    AssertionField.STATUS: STATUS_COLUMNS,
    AssertionField.OTHER: (),
}

EMPTY = {
    "assertion_field": "",
    "assertion_quantity": None,
    "assertion_quantity_max": None,
    "assertion_amount": None,
    "assertion_amount_max": None,
    "assertion_currency": "",
    "assertion_qualifier": "",
    "assertion_is_estimate": False,
    "assertion_date": None,
    "assertion_date_precision": Precision.DAY,
    "assertion_date_end": None,
    "assertion_date_end_precision": Precision.DAY,
    "assertion_status": "",
    "assertion_negated": False,
    "assertion_value": "",
}

# How a value may be written, per kind of field: in messages, the admin's help and the schema.
ACCEPTED = {
    "quantity": (
        "a whole number (29), a range (29-30), or a number with a qualifier: about 30, at least 20, "
        "more than 20, up to 30, less than 30; a trailing '?' marks an estimate (29?)"
    ),
    "value": (
        "an amount with its ISO 4217 currency: USD 700000000, 700 million USD, $1bn, EUR 1.2bn; "
        "or a range (USD 700m-1bn), or a qualifier (about $1bn, at least USD 500m, up to EUR 2bn)"
    ),
    "date": "YYYY, YYYY-MM or YYYY-MM-DD, or a range of two such dates: 2007-01-16/2007-01-17",
    "status": ("one of " + ", ".join(AssertedStatus.values) + "; 'not' before it negates it (not completed)"),
    "other": "any text",
}


def field_kind(field):
    """quantity, value, date, status or other (None without a field)."""
    if field in QUANTITY_FIELDS:
        return "quantity"
    if field == AssertionField.VALUE:
        return "value"
    if field in DATE_FIELDS:
        return "date"
    if field == AssertionField.STATUS:
        return "status"
    return "other" if field else None


class AssertionUnreadable(ValueError):
    """A text that is not a value of the assertion's field; the message shows the accepted forms."""


# --- Reading a value as written -----------------------------------------------------------------

_QUALIFIERS = [
    (Qualifier.AT_LEAST, r"at least|no fewer than|no less than|not less than|>=|≥"),
    (Qualifier.MORE_THAN, r"more than|over|above|greater than|>"),
    (Qualifier.UP_TO, r"up to|at most|no more than|not more than|<=|≤"),
    (Qualifier.LESS_THAN, r"less than|fewer than|under|below|<"),
    (Qualifier.ABOUT, r"about|around|approximately|approx\.?|roughly|some|nearly|almost|ca\.|c\.|~"),
]
_QUALIFIER_START = re.compile(
    r"^(?:" + "|".join(f"(?P<q{i}>{pattern})" for i, (_, pattern) in enumerate(_QUALIFIERS)) + r")\s*", re.IGNORECASE
)
_ESTIMATE_END = re.compile(r"\s*(?:\?|\(est\.?\)|\(estimate\)|est\.?|estimated)\s*$", re.IGNORECASE)
MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "mln": 10**6,
    "million": 10**6,
    "millions": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "billions": 10**9,
    "tn": 10**12,
    "trillion": 10**12,
    # Indian English: `₹36,000 crore` is 360 billion rupees.
    "lakh": 10**5,
    "lakhs": 10**5,
    "crore": 10**7,
    "crores": 10**7,
}
_SYMBOLS = {"us$": "USD", "$": "USD", "€": "EUR", "£": "GBP"}
_NUMBER = (
    r"(?P<{n}>[0-9]+(?:[,\u00a0\u202f ][0-9]{{3}})*(?:\.[0-9]+)?)\s*(?P<{n}_unit>"
    + "|".join(sorted((re.escape(unit) for unit in MULTIPLIERS), key=len, reverse=True))
    + r")?\b"
)
_RANGE = re.compile(
    r"^" + _NUMBER.format(n="low") + r"\s*(?:-|–|—|to)\s*" + _NUMBER.format(n="high") + r"$", re.IGNORECASE
)
_SINGLE = re.compile(r"^" + _NUMBER.format(n="low") + r"$", re.IGNORECASE)


def _qualifier_of(text):
    match = _QUALIFIER_START.match(text)
    if not match:
        return Qualifier.EXACT, text
    index = next(int(name[1:]) for name, value in match.groupdict().items() if value)
    return _QUALIFIERS[index][0], text[match.end() :]


def _estimate_of(text):
    match = _ESTIMATE_END.search(text)
    return (True, text[: match.start()]) if match else (False, text)


def _number(digits, unit):
    value = Decimal(re.sub(r"[,\u00a0\u202f ]", "", digits))
    return value * MULTIPLIERS[unit.lower()] if unit else value


def _numbers(text):
    """(low, high or None) of `29`, `29-30`, `700m`, `1.2 bn`, `700-800 million`."""
    text = text.strip()
    match = _RANGE.match(text)
    if match:
        # "700-800 million": the unit written once, after the range, counts for both ends.
        low_unit = match["low_unit"] or match["high_unit"]
        return _number(match["low"], low_unit), _number(match["high"], match["high_unit"])
    match = _SINGLE.match(text)
    if match:
        return _number(match["low"], match["low_unit"]), None
    raise InvalidOperation(text)


def _currency_of(text):
    """(ISO 4217 code, the rest) of `USD 700m`, `700m USD`, `$1bn`, `1bn €`."""
    for symbol, code in _SYMBOLS.items():
        if text.lower().startswith(symbol):
            return code, text[len(symbol) :]
        if text.lower().endswith(symbol):
            return code, text[: -len(symbol)]
    match = re.match(r"^([A-Za-z]{3})(?![A-Za-z])\s*(.*)$", text) or re.match(
        r"^(.*?)\s*(?<![A-Za-z])([A-Za-z]{3})$", text
    )
    if not match:
        return None, text
    code, rest = (match.group(1), match.group(2)) if text[:3].isalpha() else (match.group(2), match.group(1))
    return code.upper(), rest


def currency_is_known(code):
    return bool(code) and pycountry.currencies.get(alpha_3=code.upper()) is not None


def _unreadable(text, kind, reason=""):
    reason = f"{reason} " if reason else ""
    return AssertionUnreadable(f"“{text}” is not a {kind} {reason}; write {ACCEPTED[kind]}.".replace(" ;", ";"))


def _read_number(text, kind):
    body = text.strip()
    estimate, body = _estimate_of(body)
    qualifier, body = _qualifier_of(body.strip())
    currency = None
    if kind == "value":
        currency, body = _currency_of(body.strip())
        if currency is None:
            raise _unreadable(text, kind, "(no currency: give an ISO 4217 code such as USD)")
        if not currency_is_known(currency):
            raise _unreadable(text, kind, f"({currency} is not an ISO 4217 currency code)")
        # "about USD 1bn" and "USD about 1bn" alike.
        if qualifier == Qualifier.EXACT:
            qualifier, body = _qualifier_of(body.strip())
    try:
        low, high = _numbers(body)
    except InvalidOperation:
        raise _unreadable(text, kind) from None
    if high is not None and qualifier not in (Qualifier.EXACT, Qualifier.ABOUT):
        raise _unreadable(text, kind, "(a range takes no qualifier but 'about')")
    if any(number is not None and abs(number) >= LARGEST[kind] for number in (low, high)):
        # Before any rounding: a sum of 27 digits cannot be rounded to cents (decimal's 28 digits).
        raise _unreadable(text, kind, f"(too large: at most {LARGEST[kind] - 1:,})")
    values = {"assertion_qualifier": qualifier, "assertion_is_estimate": estimate}
    if kind == "quantity":
        if low != low.to_integral_value() or (high is not None and high != high.to_integral_value()):
            raise _unreadable(text, kind, "(a quantity is a whole number)")
        values.update(assertion_quantity=int(low), assertion_quantity_max=None if high is None else int(high))
    else:
        cents = Decimal("0.01")
        if any(number is not None and number != number.quantize(cents) for number in (low, high)):
            # `$0.000001` was stored as 0.00: an amount is kept to the cent, never rounded to another.
            raise _unreadable(text, kind, "(an amount is in whole cents)")
        values.update(
            assertion_amount=low.quantize(cents),
            assertion_amount_max=None if high is None else high.quantize(cents),
            assertion_currency=currency,
        )
    return values


def _read_date(text):
    parts = re.split(r"\s*(?:/|\bto\b|–|—)\s*", text.strip())
    if len(parts) > 2:
        raise _unreadable(text, "date")
    try:
        dates = [parse_partial_date(part) for part in parts]
    except ValueError:
        raise _unreadable(text, "date") from None
    values = {"assertion_date": dates[0][0], "assertion_date_precision": dates[0][1]}
    if len(dates) == 2:
        values.update(assertion_date_end=dates[1][0], assertion_date_end_precision=dates[1][1])
    return values


_STATUS_WORDS = {
    **{status: status for status in AssertedStatus.values},
    "complete": "completed",
    "canceled": "cancelled",
}


def _read_status(text):
    words = text.strip().lower()
    negated = words.startswith("not ")
    status = _STATUS_WORDS.get(words.removeprefix("not ").strip())
    if status is None:
        raise _unreadable(text, "status")
    return {"assertion_status": status, "assertion_negated": negated}


def assertion_read(*, field, text):
    """The typed columns of `text` as a value of `field` (only those its kind takes).

    Raises AssertionUnreadable, whose message names the accepted forms.
    """
    kind = field_kind(field)
    if not isinstance(text, str) or not text.strip():
        raise AssertionUnreadable(f"Give the {AssertionField(field).label}: {ACCEPTED[kind]}.")
    if kind in ("quantity", "value"):
        return _read_number(text, kind)
    if kind == "date":
        return _read_date(text)
    if kind == "status":
        return _read_status(text)
    return {}


# --- Checking typed values ---------------------------------------------------------------------

_LABELS = {
    "assertion_quantity": "a quantity",
    "assertion_quantity_max": "an upper quantity",
    "assertion_amount": "an amount",
    "assertion_amount_max": "an upper amount",
    "assertion_currency": "a currency",
    "assertion_qualifier": "a qualifier",
    "assertion_is_estimate": "an estimate flag",
    "assertion_date": "a date",
    "assertion_date_end": "an end date",
    "assertion_status": "a status",
    "assertion_negated": "a negation",
}
# The columns that hold the value itself, per kind: when all are empty, the text is read.
_VALUE_COLUMNS = {
    "quantity": ("assertion_quantity", "assertion_quantity_max"),
    "value": ("assertion_amount", "assertion_amount_max"),
    "date": ("assertion_date", "assertion_date_end"),
    "status": ("assertion_status",),
}


def _is_empty(column, value):
    # A precision is only ever read with its date.
    return column.endswith("_precision") or value is None or value is False or value == ""


def assertion_cleaned(*, values):
    """(values, errors): the assertion columns made whole (its text read when no typed
    value is given, the qualifier of a number `exact` by default, the currency in
    capitals) and {column: message} for every rule it breaks."""
    values = {**EMPTY, **values}
    field = values["assertion_field"]
    kind = field_kind(field)
    if kind not in ("quantity", "value") and values["assertion_qualifier"] == Qualifier.EXACT:
        values["assertion_qualifier"] = ""  # "exactly" goes without saying for a date or a status
    if kind is None:
        given = [column for column in COLUMNS[1:] if not _is_empty(column, values[column])]
        return values, ({"assertion_field": "Say which field the assertion is about."} if given else {})
    takes = set(FIELD_COLUMNS[field])
    errors = {
        column: f"A {AssertionField(field).label} assertion takes no {_LABELS[column].split(' ', 1)[1]}."
        for column in TYPED_COLUMNS
        if column not in takes and not _is_empty(column, values[column])
    }
    if errors:
        return values, errors
    if kind != "other" and all(_is_empty(column, values[column]) for column in _VALUE_COLUMNS[kind]):
        if not values["assertion_value"].strip():
            column = _VALUE_COLUMNS[kind][0]
            return values, {column: f"Give {_LABELS[column]}: {ACCEPTED[kind]}."}
        try:
            read = assertion_read(field=field, text=values["assertion_value"])
        except AssertionUnreadable as exc:
            return values, {"assertion_value": str(exc)}
        # What was given beside the text still counts: a qualifier, an estimate, a negation.
        if values["assertion_qualifier"] not in ("", Qualifier.EXACT):
            read.pop("assertion_qualifier", None)
        for flag in ("assertion_is_estimate", "assertion_negated"):
            if flag in read:
                read[flag] = read[flag] or values[flag]
        if values["assertion_currency"] and read.get("assertion_currency") != values["assertion_currency"].upper():
            return values, {"assertion_currency": "The currency differs from the one in the text."}
        values.update(read)
    if kind in ("quantity", "value"):
        errors.update(_number_errors(values, kind))
    elif kind == "date":
        errors.update(_date_errors(values))
    elif kind == "status":
        if values["assertion_status"] not in AssertedStatus.values:
            errors["assertion_status"] = f"Give a status: {ACCEPTED['status']}."
        elif values["assertion_negated"] and values["assertion_status"] == AssertedStatus.REPORTED:
            errors["assertion_negated"] = "'Not reported' says nothing a claim could: negate another status."
    elif not values["assertion_value"].strip():
        errors["assertion_value"] = "An 'other' assertion is its text: write it."
    return values, errors


# The columns' limits: a 32-bit quantity, an amount of 18 digits with 2 decimals.
LARGEST = {"quantity": 2**31, "value": Decimal(10**16)}


def _number_errors(values, kind):
    errors = {}
    low_column, high_column = ("assertion_quantity", "assertion_quantity_max")
    if kind == "value":
        low_column, high_column = ("assertion_amount", "assertion_amount_max")
        currency = values["assertion_currency"] = (values["assertion_currency"] or "").upper()
        if not currency:
            errors["assertion_currency"] = "A value needs its currency (ISO 4217, e.g. USD)."
        elif not currency_is_known(currency):
            errors["assertion_currency"] = f"{currency} is not an ISO 4217 currency code (e.g. USD, EUR, RUB)."
    low, high = values[low_column], values[high_column]
    if low is None:
        errors[low_column] = f"Give {_LABELS[low_column]}: {ACCEPTED[kind]}."
    for column, number in ((low_column, low), (high_column, high)):
        if number is not None and number < 0:
            errors[column] = "A quantity or amount cannot be negative."
        elif number is not None and number >= LARGEST[kind]:
            errors[column] = f"Too large: at most {LARGEST[kind] - 1:,}."
    if high is not None and low is not None and high <= low:
        errors[high_column] = f"The upper end of a range must be above its lower end ({low})."
    if not values["assertion_qualifier"]:
        values["assertion_qualifier"] = Qualifier.EXACT
    if high is not None and values["assertion_qualifier"] not in (Qualifier.EXACT, Qualifier.ABOUT):
        errors["assertion_qualifier"] = "A range takes no qualifier but 'about'."
    return errors


def _date_errors(values):
    errors = {}
    start, end = values["assertion_date"], values["assertion_date_end"]
    upper = max_sane_year()
    for column, date in (("assertion_date", start), ("assertion_date_end", end)):
        if date is not None and not (MIN_YEAR <= date.year <= upper):
            errors[column] = f"Year {date.year} is outside the sane range {MIN_YEAR}-{upper}."
    if start is None:
        errors["assertion_date"] = f"Give a date: {ACCEPTED['date']}."
    elif end is not None and not errors:
        first = date_span(start, values["assertion_date_precision"])
        last = date_span(end, values["assertion_date_end_precision"])
        if last[0] <= first[0]:
            errors["assertion_date_end"] = "The end of a range of dates must come after its start."
    return errors


# --- Reading typed values back: display and comparison -----------------------------------------


def _value(claim, column):
    return claim[column] if isinstance(claim, dict) else getattr(claim, column)


def amount_display(amount, currency=""):
    """`USD 700,000,000`: cents only when there are any."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    number = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{currency} {number}" if currency else number


def date_range_display(start, start_precision, end=None, end_precision=None):
    """`2005-12`, or a range as ISO 8601 writes one: `2007-01-16/2007-01-17`."""
    text = format_partial_date(start, start_precision)
    if end is not None:
        text = f"{text}/{format_partial_date(end, end_precision)}"
    return text


def assertion_display(claim):
    """The typed value as a researcher reads it: `about 30`, `USD 700,000,000-1,000,000,000`,
    `2007-01-16/2007-01-17`, `not completed` ('' without an assertion)."""
    field = _value(claim, "assertion_field")
    kind = field_kind(field)
    if kind in ("quantity", "value"):
        if kind == "quantity":
            low, high = _value(claim, "assertion_quantity"), _value(claim, "assertion_quantity_max")
            text = str(low) if high is None else f"{low}-{high}"
        else:
            low, high = _value(claim, "assertion_amount"), _value(claim, "assertion_amount_max")
            currency = _value(claim, "assertion_currency")
            text = amount_display(low, currency)
            if high is not None:
                text = f"{text}-{amount_display(high)}"
        if low is None:
            return _value(claim, "assertion_value")
        qualifier = _value(claim, "assertion_qualifier")
        if qualifier and qualifier != Qualifier.EXACT:
            text = f"{Qualifier(qualifier).label} {text}"
        return f"{text} (estimate)" if _value(claim, "assertion_is_estimate") else text
    if kind == "date":
        if _value(claim, "assertion_date") is None:
            return _value(claim, "assertion_value")
        return date_range_display(
            _value(claim, "assertion_date"),
            _value(claim, "assertion_date_precision"),
            _value(claim, "assertion_date_end"),
            _value(claim, "assertion_date_end_precision"),
        )
    if kind == "status":
        status = _value(claim, "assertion_status")
        if not status:
            return _value(claim, "assertion_value")
        return f"not {status}" if _value(claim, "assertion_negated") else status
    return _value(claim, "assertion_value") if kind else ""


def date_span(date, precision):
    """(first day, last day) that a date at its precision covers: 2005-12 is 1 to 31 December."""
    if precision == Precision.YEAR:
        return datetime.date(date.year, 1, 1), datetime.date(date.year, 12, 31)
    if precision == Precision.MONTH:
        return date.replace(day=1), date.replace(day=calendar.monthrange(date.year, date.month)[1])
    return date, date


def date_range_span(start, start_precision, end=None, end_precision=None):
    """(first day, last day) of a date at its precision, or of a range of two."""
    first, last = date_span(start, start_precision)
    if end is not None:
        last = date_span(end, end_precision)[1]
    return first, last


# The tolerance of an approximate figure ("about 30", or a figure marked as an estimate).
ABOUT_TOLERANCE = Decimal("0.10")


@dataclass(frozen=True)
class Interval:
    """The values a figure allows: low..high (None: unbounded), each end open or closed."""

    low: Decimal | None
    high: Decimal | None
    low_open: bool = False
    high_open: bool = False

    def meets(self, other):
        """Whether the two have a value in common."""
        low, low_open = max((self.low, self.low_open), (other.low, other.low_open), key=_low_key)
        high, high_open = min((self.high, self.high_open), (other.high, other.high_open), key=_high_key)
        if low is None or high is None:
            return True
        return low < high or (low == high and not low_open and not high_open)

    def within(self, other):
        """Whether every value of this one is a value of `other`."""
        return _low_key((other.low, other.low_open)) <= _low_key((self.low, self.low_open)) and _high_key(
            (self.high, self.high_open)
        ) <= _high_key((other.high, other.high_open))

    def contains(self, value):
        return self.meets(Interval(value, value))

    def reaches_up_to(self, other):
        """Whether some value of this one is at most some value of `other` (a later total
        that is not below an earlier one)."""
        if self.low is None or other.high is None:
            return True
        return self.low < other.high or (self.low == other.high and not self.low_open and not other.high_open)


def _low_key(end):
    value, is_open = end
    # An unbounded low end comes first; an open end just after the same closed one.
    return (value is not None, value if value is not None else 0, is_open)


def _high_key(end):
    value, is_open = end
    return (value is None, value if value is not None else 0, not is_open)


def number_interval(claim):
    """The values a quantity or value assertion allows, by the documented rule:
    exact n is n; a range is its ends; about n (or an estimate) is n ± 10% (at least ± 1
    for quantities); at least n is n and above, more than n above n, up to n 0 to n,
    less than n below n (0 included). None without a figure."""
    kind = field_kind(_value(claim, "assertion_field"))
    if kind == "quantity":
        low, high = _value(claim, "assertion_quantity"), _value(claim, "assertion_quantity_max")
    elif kind == "value":
        low, high = _value(claim, "assertion_amount"), _value(claim, "assertion_amount_max")
    else:
        return None
    if low is None:
        return None
    low, high = Decimal(low), Decimal(high if high is not None else low)
    qualifier = _value(claim, "assertion_qualifier") or Qualifier.EXACT
    if qualifier == Qualifier.EXACT and _value(claim, "assertion_is_estimate"):
        qualifier = Qualifier.ABOUT
    if qualifier == Qualifier.ABOUT:
        margin = low * ABOUT_TOLERANCE
        upper_margin = high * ABOUT_TOLERANCE
        if kind == "quantity":
            margin, upper_margin = max(margin, 1), max(upper_margin, 1)
        return Interval(max(low - margin, 0), high + upper_margin)
    if qualifier == Qualifier.AT_LEAST:
        return Interval(low, None)
    if qualifier == Qualifier.MORE_THAN:
        return Interval(low + 1, None) if kind == "quantity" else Interval(low, None, low_open=True)
    if qualifier == Qualifier.UP_TO:
        return Interval(Decimal(0), low)
    if qualifier == Qualifier.LESS_THAN:
        if kind == "quantity":
            return Interval(Decimal(0), max(low - 1, Decimal(0)))
        return Interval(Decimal(0), low, high_open=True)
    return Interval(low, high)


def date_interval(claim):
    """The days a date assertion allows: a date at month precision its month, a range
    from the first day of its start to the last of its end. None without a date."""
    start = _value(claim, "assertion_date")
    if start is None:
        return None
    first, last = date_range_span(
        start,
        _value(claim, "assertion_date_precision"),
        _value(claim, "assertion_date_end"),
        _value(claim, "assertion_date_end_precision"),
    )
    return Interval(first, last)


# The deal's life, in order; `cancelled` can follow any state before completion.
LIFECYCLE = ["reported", "negotiating", "signed", "delivering", "completed"]
STATES = frozenset([*LIFECYCLE, "cancelled"])
# What each status says the deal's state is. Milestones stay true once reached: a deal
# said to be signed may since be delivering; `delivered` is "some or all delivered";
# `reported` only says that a deal was reported, so any state.
STATUS_STATES = {
    "reported": STATES,
    "negotiating": frozenset({"negotiating"}),
    "signed": frozenset({"signed", "delivering", "completed"}),
    "delivering": frozenset({"delivering"}),
    "completed": frozenset({"completed"}),
    "cancelled": frozenset({"cancelled"}),
    "delivered": frozenset({"delivering", "completed"}),
}


def status_states(status, *, negated):
    """The states a status allows; a negated one, all the others."""
    states = STATUS_STATES.get(status, STATES)
    return STATES - states if negated else states


def states_later(states):
    """The states a deal in one of `states` can be in later (itself included)."""
    later = set(states)
    for state in states:
        if state in LIFECYCLE:
            later.update(LIFECYCLE[LIFECYCLE.index(state) :])
            if state != "completed":
                later.add("cancelled")
    return frozenset(later)
