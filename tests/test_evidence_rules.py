"""The tolerance rule of transfers.evidence, claim against claim (no database)."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from transfers.assertions import EMPTY, assertion_cleaned, assertion_display
from transfers.evidence import claims_disagree, field_conflicts

_ids = iter(range(1, 10_000))


def claim(field, text, *, stance="asserts", rank="normal", stated=None, delivery=None, **typed):
    values, errors = assertion_cleaned(values={**EMPTY, "assertion_field": field, "assertion_value": text, **typed})
    assert not errors, errors
    return SimpleNamespace(
        pk=next(_ids),
        stance=stance,
        rank=rank,
        delivery_id=delivery,
        stated_date=stated,
        stated_date_precision="day",
        stated_date_end=None,
        stated_date_end_precision="day",
        source_published_date=None,
        source_published_precision="day",
        **values,
    )


def day(text):
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    "field,a,b,disagree",
    [
        # Figures: units and ranges normalised; about is ±10% (at least ±1 for quantities).
        ("value", "USD 700m", "$1 billion", True),
        ("value", "USD 700,000,000", "$0.7bn", False),
        ("value", "about $1bn", "USD 950 million", False),
        ("value", "about $1bn", "USD 700 million", True),
        ("value", "USD 700m-1bn", "$900m", False),
        ("value", "USD 700m", "EUR 700m", False),  # another currency: not compared
        ("value", "at least $1bn", "$900m", True),
        ("value", "more than $1bn", "$1bn", True),
        ("value", "up to $1bn", "$900m", False),
        ("value", "less than $1bn", "$1bn", True),
        ("quantity_ordered", "29", "about 30", False),
        ("quantity_ordered", "29", "30", True),
        ("quantity_ordered", "29", "29?", False),
        ("quantity_ordered", "29", "35?", True),
        ("quantity_ordered", "about 5", "6", False),
        ("quantity_ordered", "29-30", "30", False),
        ("quantity_ordered", "29-30", "31", True),
        ("quantity_ordered", "at least 20", "29", False),
        ("quantity_ordered", "more than 29", "29", True),
        ("quantity_ordered", "less than 30", "29", False),
        ("quantity_ordered", "less than 29", "29", True),
        # Dates cover their precision or range.
        ("order_date", "2005-12", "2005-12-05", False),
        ("order_date", "2005", "2006-01", True),
        ("order_date", "2005-11/2005-12", "2005-12-24", False),
        # Statuses: what each allows.
        ("status", "delivering", "completed", True),
        ("status", "delivering", "not completed", False),
        ("status", "completed", "not completed", True),
        ("status", "signed", "delivering", False),
        ("status", "delivered", "completed", False),
        ("status", "delivered", "not delivered", True),
        ("status", "negotiating", "signed", True),
        ("status", "reported", "cancelled", False),
    ],
)
def test_two_claims_agree_or_not(field, a, b, disagree):
    assert claims_disagree(claim(field, a), claim(field, b)) is disagree
    assert claims_disagree(claim(field, b), claim(field, a)) is disagree


def test_statuses_are_read_in_time():
    # Signed in 2005, delivering in 2007, completed in 2008: a deal's life, not a dispute.
    signed = claim("status", "negotiating", stated=day("2004-05-01"))
    delivering = claim("status", "delivering", stated=day("2007-01-16"))
    completed = claim("status", "completed", stated=day("2008-03-01"))
    assert not field_conflicts([signed, delivering, completed])
    # Backwards is a dispute: completed in 2007, then only negotiating in 2008.
    assert claims_disagree(claim("status", "completed", stated=day("2007-01-01")), signed) is False
    later = claim("status", "negotiating", stated=day("2008-01-01"))
    assert claims_disagree(claim("status", "completed", stated=day("2007-01-01")), later)
    # The same day, or undated: they must share a state.
    assert claims_disagree(claim("status", "completed"), claim("status", "delivering", stated=day("2007-01-16")))


def test_totals_delivered_only_grow():
    early = claim("quantity_delivered", "15", stated=day("2006-06-01"))
    late = claim("quantity_delivered", "29", stated=day("2007-06-01"))
    assert not claims_disagree(early, late)
    fewer_later = claim("quantity_delivered", "10", stated=day("2007-06-01"))
    assert claims_disagree(early, fewer_later)
    # One delivery's own quantity is not a running total.
    assert claims_disagree(
        claim("quantity_delivered", "15", stated=day("2006-06-01"), delivery=7),
        claim("quantity_delivered", "29", stated=day("2007-06-01"), delivery=7),
    )


def test_delivery_dates_are_compared_per_delivery():
    assert claims_disagree(
        claim("delivery_date", "2007-01-16", delivery=3), claim("delivery_date", "2006-12", delivery=3)
    )
    assert not claims_disagree(
        claim("delivery_date", "2007-01-16", delivery=3), claim("delivery_date", "2007-01-16/2007-01-17", delivery=3)
    )
    # A line's delivery dates as a whole: several deliveries, nothing to compare.
    assert not claims_disagree(claim("delivery_date", "2006"), claim("delivery_date", "2007"))


def test_denials_and_deprecated_claims():
    denies = claim("value", "$1bn", stance="denies")
    assert claims_disagree(denies, claim("value", "USD 1,000,000,000"))
    assert not claims_disagree(denies, claim("value", "USD 700m"))
    assert not claims_disagree(denies, claim("value", "$1.2bn", stance="denies"))
    assert claims_disagree(claim("status", "completed", stance="denies"), claim("status", "completed"))
    wrong = claim("value", "$1bn", rank="deprecated")
    assert field_conflicts([claim("value", "USD 700m"), wrong]) == []


@pytest.mark.parametrize(
    "field,text,shown",
    [
        ("quantity_ordered", "about 30", "about 30"),
        ("quantity_ordered", "29 to 30", "29-30"),
        ("quantity_ordered", "29?", "29 (estimate)"),
        ("value", "$1 billion", "USD 1,000,000,000"),
        ("value", "700-800 million USD", "USD 700,000,000-800,000,000"),
        ("value", "EUR 1.25bn", "EUR 1,250,000,000"),
        ("order_date", "2007-01-16 to 2007-01-17", "2007-01-16/2007-01-17"),
        ("status", "Not Completed", "not completed"),
    ],
)
def test_values_as_written_are_read_and_shown_one_way(field, text, shown):
    assert assertion_display(claim(field, text)) == shown


def test_amounts_are_kept_to_the_cent():
    assert claim("value", "$1.5bn").assertion_amount == Decimal("1500000000.00")
