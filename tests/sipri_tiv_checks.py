"""TIV in the summary against the real SIPRI exports of ../shared/data/sipri/ (#13 item 5),
checked by tests/test_sipri_real.py right after its imports (one import of each file for all
the questions asked of it):
the summary's TIV delivered per supplier and per recipient equals each file's own column
sums, computed here by a plain csv reading; by delivery year, a by-delivery-year deal's
TIV per year equals its rows, and what cannot be placed is reported. Each file is imported
once (15-20 s each); timings of the summaries print with -s. The two formats merged are
checked on the project's samples (test_summary_tiv.py): the shared exports' merge takes a
minute of import."""

import csv
import io
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from transfers.models import Actor, Transfer

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sipri"
LEGACY = SHARED / "trade-register-2026-05-18.csv"
EARLIER = SHARED / "trade-register-2025-03-13.csv"
NEW = SHARED / "trade-register-by-delivery-year-2026-02-12.csv"
SUMMARY = "/api/transfers/summary/"
CENT = Decimal("0.01")


def legacy_file_rows(path):
    """The legacy register's data rows (16 cells); a row split over two physical lines by
    an unquoted line break (the 2025 release has four) is read with its next line."""
    lines = path.read_bytes().decode("latin-1").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Recipient,Supplier,Year of order")) + 1
    rows, pending = [], None
    for line in lines[start:]:
        cells = next(csv.reader([line]), [""])
        if pending is not None:
            # The line break was inside the last cell of the line before.
            cells = [*pending[:-1], pending[-1] + "\n" + cells[0], *cells[1:]]
        if len(cells) < 16:
            pending = cells
            continue
        pending = None
        rows.append(cells)
    assert pending is None
    return rows


def by_year_file_rows():
    lines = NEW.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SIPRI AT Database ID")) + 1
    return [r for r in csv.reader(io.StringIO("\n".join(line.rstrip(";") for line in lines[start:]))) if r]


def tiv(text):
    return Decimal(text.strip()) if text.strip() else Decimal(0)


def names():
    """A party's name in the files -> its actor's code (names and aliases, as the import maps them)."""
    index = {}
    for actor in Actor.objects.all():
        for name in [actor.name, *actor.aliases]:
            index[name] = actor.code
    return index


def deal_query(deal_id):
    """Summary parameters that select the one line of this SIPRI deal, by delivery year."""
    transfer = Transfer.objects.select_related("system", "cached_supplier", "cached_recipient").get(
        contract__sipri_deal_id=deal_id
    )
    return (
        f"group_by=delivery_year&supplier={transfer.cached_supplier.code}&recipient={transfer.cached_recipient.code}"
        f"&system={transfer.system.slug}"
    )


def summary(query):
    response = APIClient().get(f"{SUMMARY}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def timed(query):
    start = time.perf_counter()
    rows = summary(query)
    return rows, time.perf_counter() - start


def per_party(rows, key):
    out = defaultdict(Decimal)
    for row in rows:
        out[row["group"][key]["code"]] += Decimal(row["tiv_delivered"] or "0")
    return out


def assert_close(actual, expected):
    assert set(actual) | set(expected) == set(actual) | {k for k, v in expected.items() if v}
    wrong = {k: (actual.get(k, 0), expected.get(k, 0)) for k in set(actual) | set(expected)}
    wrong = {k: v for k, v in wrong.items() if abs(v[0] - v[1]) > CENT}
    assert not wrong


def legacy_sums(rows, code):
    supplier, recipient = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        supplier[code[row[1].strip()]] += tiv(row[15])
        recipient[code[row[0].strip()]] += tiv(row[15])
    return supplier, recipient


def check_tiv_of_the_by_delivery_year_export():
    """After importing the by-delivery-year export alone."""
    rows = by_year_file_rows()
    code = names()
    supplier, recipient, supplier_year = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        supplier[code[row[1]]] += tiv(row[15])
        recipient[code[row[2]]] += tiv(row[15])
        supplier_year[code[row[1]], int(row[10])] += tiv(row[15])

    by_supplier, seconds = timed("group_by=supplier")
    print(f"\nby-delivery-year export: summary by supplier {seconds * 1000:.0f} ms")
    assert_close(per_party(by_supplier, "supplier"), supplier)
    assert sum(row["tiv_delivered_share"] for row in by_supplier if row["tiv_delivered_share"]) == pytest.approx(1)
    assert_close(per_party(summary("group_by=recipient"), "recipient"), recipient)
    # Every row of the file is a (deal, year): each year's TIV placed exactly, nothing left over.
    by_year, seconds = timed("group_by=supplier,delivery_year")
    print(f"by-delivery-year export: summary by supplier and delivery year {seconds * 1000:.0f} ms")
    assert not [row for row in by_year if row["unplaced"]]
    placed = {(row["group"]["supplier"]["code"], row["group"]["delivery_year"]): row for row in by_year}
    assert_close(
        {key: Decimal(row["tiv_delivered"] or "0") for key, row in placed.items()},
        dict(supplier_year),
    )

    # A deal's TIV per year is its rows: Tor-M1 (15 x 12.5), and a second-hand deal whose
    # rows are not the rounded TIV deal unit x number (18 x 0.3 = 5.4; the row says 5.35).
    for deal_id in ("31785", "24488"):
        deal_rows = [r for r in rows if r[0] == deal_id]
        expected = {int(r[10]): tiv(r[15]) for r in deal_rows}
        # The filters select this deal alone.
        assert not [r for r in rows if tuple(r[1:5]) == tuple(deal_rows[0][1:5]) and r[0] != deal_id]
        query = deal_query(deal_id)
        got = {row["group"]["delivery_year"]: Decimal(row["tiv_delivered"]) for row in summary(query)}
        assert got == expected
    tor = summary(deal_query("31785"))
    assert [(r["group"]["delivery_year"], r["tiv_delivered"]) for r in tor] == [(2006, "187.500"), (2007, "175.000")]


def check_tiv_of_a_legacy_release_per_party_and_year(path, deals):
    """After importing this release of the legacy register alone."""
    rows = legacy_file_rows(path)
    assert len(rows) == deals
    release = path.stem.rsplit("-", 3)[-3]
    supplier, recipient = legacy_sums(rows, names())
    by_supplier, seconds = timed("group_by=supplier")
    print(f"\n{release} legacy release: summary by supplier {seconds * 1000:.0f} ms")
    assert_close(per_party(by_supplier, "supplier"), supplier)
    assert_close(per_party(summary("group_by=recipient"), "recipient"), recipient)

    # By delivery year: a row delivered in one year has all its TIV there; a row over
    # several years has no per-year figures, and is reported unplaced, whole.
    single, spread, lines = defaultdict(Decimal), Decimal(0), 0
    for row in rows:
        years = {int(y) for y in row[10].replace(",", ";").split(";") if y.strip()}
        if len(years) == 1:
            single[years.pop()] += tiv(row[15])
        elif tiv(row[15]):
            spread += tiv(row[15])
            lines += 1
    by_year, seconds = timed("group_by=delivery_year")
    print(f"{release} legacy release: summary by delivery year {seconds * 1000:.0f} ms")
    placed = {
        row["group"]["delivery_year"]: Decimal(row["tiv_delivered"] or "0") for row in by_year if not row["unplaced"]
    }
    assert_close(placed, dict(single))
    (unplaced,) = [row for row in by_year if row["unplaced"]]
    assert abs(Decimal(unplaced["tiv_delivered"]) - spread) <= CENT and unplaced["transfers"] == lines
    print(f"{release} legacy release: {spread} million TIV on {lines} lines not placed in a year")
