"""The real SIPRI exports of ../shared/data/sipri/, when present: counts checked against the files themselves.

Importing a legacy release takes 15-40 s, so each file is imported once per state asked
about, and every question about that state is asked right after: completeness here, TIV
against the files' column sums (sipri_tiv_checks), what changed between two releases
(sipri_release_checks)."""

import csv
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from transfers.models import Actor, Claim, Contract, Delivery, Transfer
from transfers.sipri.parser import category_from_description

from .sipri_release_checks import check_two_releases_diff_as_the_files_do
from .sipri_tiv_checks import check_tiv_of_a_legacy_release_per_party_and_year, check_tiv_of_the_by_delivery_year_export

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sipri"
LEGACY = SHARED / "trade-register-2026-05-18.csv"
EARLIER = SHARED / "trade-register-2025-03-13.csv"
NEW = SHARED / "trade-register-by-delivery-year-2026-02-12.csv"

pytestmark = [
    pytest.mark.skipif(
        not all(path.exists() for path in (LEGACY, EARLIER, NEW)), reason="shared SIPRI exports not present"
    ),
    # The imports' own SQLite path (multi-row INSERT where PostgreSQL has COPY) is tested on
    # the project's samples; the shared exports take minutes, so they run once, here.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the shared exports are imported on PostgreSQL"),
]


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sipri", str(path), *args, stdout=out, stderr=err)  # fails on any rejected row
    return out.getvalue()


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
    check_tiv_of_the_by_delivery_year_export()


@pytest.mark.django_db
def test_the_earlier_release_then_the_later_one():
    call_command("load_countries", verbosity=0)
    out = run(EARLIER)
    assert "rows read 29515, deals 29515, rejected 0" in out
    for first, last in [(5432, 5433), (21488, 21489), (25178, 25179), (27955, 27956)]:
        assert f"lines {first}-{last} rejoined" in out
    assert Contract.objects.count() == 29515
    engine = Transfer.objects.get(
        contract__supplier__code="USA", contract__recipient__code="CIV", system__designation="vehicle engine"
    )
    assert engine.comments == "Cummins (275hp) diesel engine for 12 Puma M-36 APC from South Africa"
    assert (engine.quantity_ordered, str(engine.tiv_order)) == (12, "0.360")
    check_tiv_of_a_legacy_release_per_party_and_year(EARLIER, 29515)
    # The next spring's release over it: what changed, as the files say.
    check_two_releases_diff_as_the_files_do(run(LEGACY))


def assert_the_legacy_register_imported_completely():
    rows = legacy_rows()
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

    # One system per designation and category: the P-15 air-search radars and the P-15
    # anti-ship missiles are two systems, each with its own category.
    p15 = {
        t.contract.title.split(": ", 1)[1]: (t.system.slug, t.system.category)
        for t in Transfer.objects.filter(contract__title__startswith="P-15: ").select_related("system", "contract")
    }
    assert p15["air-search radar"] != p15["anti-ship missile"]
    assert (p15["air-search radar"][1], p15["anti-ship missile"][1]) == ("sensors", "missiles")
    assert len({s for s, _ in p15.values()}) == len(set(p15.values()))
    # Every deal's system has the deal's own category (SIPRI's, from its description).
    mismatched = [
        t.contract.title
        for t in Transfer.objects.select_related("system", "contract")
        if t.system.category != category_from_description(t.contract.title.split(": ", 1)[1])
    ]
    assert mismatched == []
    assert {"Cobra", "COBRA", "Daphné", "Daphne"} <= set(Transfer.objects.values_list("system__designation", flat=True))

    row = APIClient().get("/api/transfers/?supplier=RUS&recipient=IRN&system=tor-m1").json()["results"]
    assert len(row) == 1
    assert row[0]["quantity_ordered"] == 29 and row[0]["quantity_ordered_is_estimate"]
    assert row[0]["delivery_years"] == [2006, 2007] and row[0]["tiv_per_unit"] == "12.500"
    assert row[0]["comments"].startswith("$700m deal")


# One import of each file for both questions (an import of the legacy register takes 15-40 s):
# the legacy register alone, complete; then the newer export merged into it, each deal once;
# then both again, which changes nothing.
@pytest.mark.django_db
def test_legacy_register_then_the_newer_export_each_deal_once():
    call_command("load_countries", verbosity=0)
    assert "rejected 0" in run(LEGACY)
    assert_the_legacy_register_imported_completely()
    check_tiv_of_a_legacy_release_per_party_and_year(LEGACY, 29916)
    api = APIClient()
    summary = "/api/transfers/summary/?group_by=supplier"
    legacy_summary = api.get(summary).json()
    out = run(NEW)
    assert "rows read 25024, deals 12571, rejected 0" in out
    merged = int(re.search(r"one deal with its copy from the legacy register: (\d+)", out).group(1))
    unmatched = int(re.search(r"not matched: (\d+)", out).group(1))
    assert merged + unmatched == 12571
    assert merged > 12000  # 97%; the rest are deals the two releases disagree on (reasons in the report)
    deal_ids = {r[0] for r in new_rows()}
    assert Contract.objects.filter(sipri_deal_id__in=deal_ids).count() == 12571

    # Counted once: the register holds the legacy register's deals plus the unmatched ones.
    assert Contract.objects.count() == 29916 + unmatched
    response = api.get("/api/transfers/?format=csv")
    assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) - 1 == 29916 + unmatched
    # Totals: the legacy register's, plus those of the deals only the newer export has.
    only_new = Counter()
    for transfer in Transfer.objects.filter(contract__reference__regex=r"^sipri-[0-9]+$").select_related(
        "cached_supplier"
    ):
        only_new[transfer.cached_supplier.code, "transfers"] += 1
        only_new[transfer.cached_supplier.code, "quantity_delivered"] += transfer.quantity_delivered or 0
    assert sum(n for (_, what), n in only_new.items() if what == "transfers") == unmatched
    merged_summary = {row["group"]["supplier"]["code"]: row for row in api.get(summary).json()}
    for row in legacy_summary:
        code = row["group"]["supplier"]["code"]
        again = merged_summary[code]
        assert again["transfers"] - only_new[code, "transfers"] == row["transfers"]
        assert again["quantity_ordered"] == row["quantity_ordered"]
        assert (again["quantity_delivered"] or 0) - only_new[code, "quantity_delivered"] == (
            row["quantity_delivered"] or 0
        )
    tor = Contract.objects.get(sipri_deal_id="31785").transfers.get()
    assert tor.contract.reference.startswith("sipri-l-") and tor.quantity_ordered == 29
    assert sorted((d.date.year, d.quantity) for d in tor.deliveries.all()) == [(2006, 15), (2007, 14)]

    counts = [m.history.count() for m in (Contract, Transfer, Delivery, Claim)]
    assert "12571 unchanged" in run(NEW, "--reimport") and "29916 unchanged" in run(LEGACY, "--reimport")
    assert [m.history.count() for m in (Contract, Transfer, Delivery, Claim)] == counts
