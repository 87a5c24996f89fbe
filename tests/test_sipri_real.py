"""The real SIPRI exports of ../shared/data/sipri/, when present: counts checked against the files themselves."""

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from transfers.models import Actor, Contract, Delivery, Transfer
from transfers.sipri.parser import category_from_description

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sipri"
LEGACY = SHARED / "trade-register-2026-05-18.csv"
NEW = SHARED / "trade-register-by-delivery-year-2026-02-12.csv"

pytestmark = pytest.mark.skipif(not LEGACY.exists() or not NEW.exists(), reason="shared SIPRI exports not present")


def legacy_rows():
    text = LEGACY.read_bytes().decode("latin-1")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Recipient,Supplier,Year of order"))
    return list(csv.reader(io.StringIO("\n".join(lines[start + 1 :]))))


def new_rows():
    lines = NEW.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SIPRI AT Database ID"))
    return [r for r in csv.reader(io.StringIO("\n".join(line.rstrip(";") for line in lines[start + 1 :]))) if r]


def actor_for_name():
    index = {}
    for actor in Actor.objects.all():
        for name in [actor.name, *actor.aliases]:
            index[name] = actor.pk
    return index


def test_category_rules_reproduce_the_newer_exports_categories():
    labels = {
        "Air-defence systems": "air-defence",
        "Armoured vehicles": "armoured-vehicles",
        "Naval weapons": "naval-weapons",
    }
    mismatches = Counter()
    for row in new_rows():
        expected = labels.get(row[5], row[5].lower())
        if category_from_description(row[4]) != expected:
            mismatches[(row[4], expected)] += 1
    assert not mismatches


@pytest.mark.django_db(transaction=False)
def test_legacy_register_imports_completely_and_idempotently():
    rows = legacy_rows()
    call_command("load_countries", verbosity=0)
    call_command("import_sipri", str(LEGACY), verbosity=0)
    assert len(rows) == 29916
    assert Contract.objects.count() == len(rows)
    assert Transfer.objects.count() == len(rows)
    undelivered = sum(1 for r in rows if not r[10].strip())
    assert undelivered == 1220
    assert Transfer.objects.filter(deliveries__isnull=True).count() == undelivered
    assert Delivery.objects.count() == sum(len([y for y in r[10].split(";") if y.strip()]) for r in rows)

    names = actor_for_name()
    file_counts = Counter(names[r[1]] for r in rows)
    db_counts = Counter(Contract.objects.values_list("supplier_id", flat=True))
    assert db_counts == file_counts
    assert len(file_counts) == 138
    assert len({r[0] for r in rows}) == 255
    recipients = Counter(names[r[0]] for r in rows)
    assert Counter(Contract.objects.values_list("recipient_id", flat=True)) == recipients
    # 'North Yemen' and 'Yemen Arab Republic (North Yemen)' are one state.
    assert len(recipients) == 254

    row = APIClient().get("/api/transfers/?supplier=RUS&recipient=IRN&system=tor-m1").json()["results"]
    assert len(row) == 1
    assert row[0]["quantity_ordered"] == 29 and row[0]["quantity_ordered_is_estimate"]
    assert row[0]["delivery_years"] == [2006, 2007] and row[0]["tiv_per_unit"] == "12.500"
    assert row[0]["comments"].startswith("$700m deal")

    history = Contract.history.count()
    call_command("import_sipri", str(LEGACY), verbosity=0)
    assert Contract.objects.count() == len(rows)
    assert Contract.history.count() == history


@pytest.mark.django_db
def test_by_delivery_year_export_imports_completely():
    rows = new_rows()
    call_command("load_countries", verbosity=0)
    call_command("import_sipri", str(NEW), verbosity=0)
    deal_ids = {r[0] for r in rows}
    assert len(deal_ids) == 12571
    assert Contract.objects.filter(sipri_deal_id__isnull=False).count() == len(deal_ids)
    assert Delivery.objects.count() == len(rows) == 25024
    tor = Contract.objects.get(sipri_deal_id="31785").transfers.get()
    assert sorted((d.date.year, d.quantity) for d in tor.deliveries.all()) == [(2006, 15), (2007, 14)]
    names = actor_for_name()
    assert Counter(Contract.objects.values_list("supplier_id", flat=True)) == Counter(
        names[r[1]] for r in {r[0]: r for r in rows}.values()
    )
