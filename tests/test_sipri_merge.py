"""The legacy register and the by-delivery-year export describe the same deals: imported
together, each deal is one contract, with the legacy row's figures and the other export's
deal id and numbers per year. Either order gives the same register, and the same totals
as the legacy register alone."""

import csv
import io
from pathlib import Path

from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from transfers.models import Claim, Contract, Delivery, Release, Source, Transfer, WeaponSystem

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "sipri-legacy-2026-05-sample.csv"
NEW = DATA / "sipri-by-delivery-year-2026-02-sample.csv"
LEGACY_DEALS, NEW_DEALS, NEW_ONLY = 22, 11, 1


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_sipri", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        raise AssertionError(err.getvalue() + str(exc)) from exc
    return out.getvalue()


def csv_rows(api, query=""):
    response = api.get(f"/api/transfers/?format=csv{query}")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]


def summary(api, group_by):
    rows = api.get(f"/api/transfers/summary/?group_by={group_by}").json()
    return {
        str(row["group"][group_by]["code"] if isinstance(row["group"][group_by], dict) else row["group"][group_by]): (
            row["transfers"],
            row["quantity_ordered"],
            row["quantity_delivered"],
        )
        for row in rows
    }


def register():
    """Every deal as the register holds it, whatever the ids."""
    deals = []
    for transfer in Transfer.objects.select_related("contract__supplier", "contract__recipient", "system"):
        contract = transfer.contract
        deals.append(
            (
                contract.reference,
                contract.sipri_deal_id,
                contract.supplier.code,
                contract.recipient.code,
                contract.order_date,
                contract.status,
                transfer.system.designation,
                transfer.system.category,
                transfer.quantity_ordered,
                transfer.reported_delivered,
                transfer.quantity_delivered,
                transfer.tiv_delivered,
                tuple((d.date.year, d.quantity, d.quantity_is_estimate) for d in transfer.deliveries.order_by("date")),
                tuple(sorted(contract.claims.values_list("source__key", flat=True))),
            )
        )
    return sorted(deals, key=repr)


def deal(sipri_id):
    return Contract.objects.get(sipri_deal_id=sipri_id).transfers.get()


def test_legacy_then_by_delivery_year_makes_one_deal_each(countries):
    run(LEGACY)
    api = APIClient()
    legacy_totals = summary(api, "supplier")
    assert len(csv_rows(api)) == LEGACY_DEALS

    out = run(NEW)
    assert f"contracts: {NEW_ONLY} created, {NEW_DEALS - NEW_ONLY} updated" in out
    assert "one deal with its copy from the legacy register: 10 of this file's deals" in out
    assert (
        "matched now: 10 (6 same designation, 1 designation spelled differently, "
        "1 designation with more detail, deliveries that fit, 1 same category and deliveries, "
        "1 order year revised, same designation and deliveries)"
    ) in out
    assert "per-year numbers: 9 applied, 1 per-year numbers for some of the years only" in out
    assert "not matched: 1 (1 no deal between these parties ordered that year)" in out
    assert "Algeria to Western Sahara, BTR-60PB, ordered 2016" in out

    # Deals in both files are counted once: the register has the legacy deals plus the one
    # deal only the newer export has.
    assert Contract.objects.count() == len(csv_rows(api)) == LEGACY_DEALS + NEW_ONLY
    assert api.get("/api/contracts/").json()["count"] == LEGACY_DEALS + NEW_ONLY
    totals = summary(api, "supplier")
    assert totals.pop("DZA") == (1, None, 3)
    assert totals == legacy_totals

    # One deal, enriched: the legacy figures, the deal id, the numbers per year, both sources.
    tor = deal("31785")
    assert tor.contract.reference.startswith("sipri-l-") and tor.contract.title.startswith("Tor-M1: mobile surface")
    assert (tor.quantity_ordered, tor.reported_delivered, tor.quantity_delivered) == (29, 29, 29)
    assert [(d.date.year, d.quantity) for d in tor.deliveries.order_by("date")] == [(2006, 15), (2007, 14)]
    assert Claim.objects.filter(contract=tor.contract).count() == 2
    # Spelled differently ("DA-42"), or with the newer export's dash marks ("AIFV -"): the same deal.
    assert deal("56950").system.designation == "DA42"
    assert [d.quantity for d in deal("25220").deliveries.order_by("date")] == [15, 29]
    # "HoR (Libya)*" and "UAE" are the legacy register's parties under other names.
    assert deal("60001").contract.recipient.name == "House of Representatives (Libya)"
    # Numbers for every year but one: that year takes the rest of the legacy total.
    assert [(d.date.year, d.quantity) for d in deal("60002").deliveries.order_by("date")] == [
        (1994, 10),
        (1995, 10),
        (1996, 10),
    ]
    # Numbers for 1995 on only, deliveries since 1990: the legacy total stays, years without numbers.
    aifv = deal("18494")
    assert aifv.quantity_delivered == 1698 and not aifv.deliveries.exclude(quantity=None).exists()
    # The order year SIPRI revised between the releases: the legacy register's, the newer release's id.
    assert deal("64172").contract.order_date.year == 2020

    # The deliveries list and the by-delivery-year summary see the numbers per year.
    rows = api.get(f"/api/deliveries/?contract={tor.contract.reference}").json()["results"]
    assert sorted((r["date"], r["quantity"]) for r in rows) == [("2006", 15), ("2007", 14)]
    by_year = api.get("/api/transfers/summary/?group_by=delivery_year&supplier=RUS").json()
    assert {row["group"]["delivery_year"]: row["quantity_delivered"] for row in by_year} == {2006: 15, 2007: 14}

    # Re-importing either file changes nothing.
    history = [m.history.count() for m in (Contract, Transfer, Delivery, Claim)]
    assert f"{NEW_DEALS} unchanged" in run(NEW, "--reimport") and f"{LEGACY_DEALS} unchanged" in run(
        LEGACY, "--reimport"
    )
    assert [m.history.count() for m in (Contract, Transfer, Delivery, Claim)] == history
    assert Contract.objects.count() == LEGACY_DEALS + NEW_ONLY


def test_either_order_gives_the_same_register(countries):
    run(LEGACY)
    run(NEW)
    first = register()
    assert len(first) == LEGACY_DEALS + NEW_ONLY
    Claim.objects.all().delete()
    Delivery.objects.all().delete()
    Transfer.objects.all().delete()
    Contract.objects.all().delete()
    WeaponSystem.objects.all().delete()
    Release.objects.all().delete()
    Source.objects.all().delete()

    run(NEW)
    out = run(LEGACY)
    assert "one deal with its copy from the by-delivery-year export: 10 of this file's deals" in out
    assert "stored by-delivery-year export deals still without a copy here: 1" in out
    assert register() == first
    assert f"{LEGACY_DEALS} unchanged" in run(LEGACY, "--reimport") and f"{NEW_DEALS} unchanged" in run(
        NEW, "--reimport"
    )


def test_a_newer_release_of_either_export_updates_the_one_deal(countries, tmp_path):
    run(LEGACY)
    run(NEW)
    newer = tmp_path / "newer.csv"
    text = NEW.read_text().replace("Data generated: 12 Feb 2026", "Data generated: 1 Mar 2026")
    text = text.replace("2005,No,15,Yes,2006,No,New,12.5,12.5,187.5", "2005,No,16,Yes,2006,No,New,12.5,12.5,200")
    text = text.replace("2005,No,14,Yes,2007,No,New,12.5,12.5,175", "2005,No,13,Yes,2007,No,New,12.5,12.5,162.5")
    newer.write_bytes(text.encode())
    out = run(newer)
    assert "contracts: 0 created, 1 updated" in out and "deliveries: 0 created, 2 updated, 0 replaced" in out
    tor = deal("31785")
    assert [d.quantity for d in tor.deliveries.order_by("date")] == [16, 13]
    assert Claim.objects.filter(contract=tor.contract).count() == 3
    # A newer legacy release that changes the delivery years drops the numbers per year
    # it can no longer place (until the by-delivery-year export is imported again).
    later = tmp_path / "later.csv"
    text = LEGACY.read_bytes().decode("latin-1").replace("Data generated: 18 May 2026", "Data generated: 1 Jun 2026")
    text = text.replace("29,?,2006; 2007,New,$700m deal", "29,?,2006; 2007; 2008,New,$700m deal")
    later.write_bytes(text.encode("latin-1"))
    run(later)
    tor = deal("31785")
    assert [(d.date.year, d.quantity) for d in tor.deliveries.order_by("date")] == [
        (2006, None),
        (2007, None),
        (2008, None),
    ]
    assert tor.quantity_delivered == 29 and Contract.objects.count() == LEGACY_DEALS + NEW_ONLY


def test_a_deal_edited_by_hand_is_matched_but_kept(countries):
    run(LEGACY)
    tor = Transfer.objects.get(system__designation="Tor-M1")
    tor.comments = "Checked against the ministry's statement"
    tor.save()
    out = run(NEW)
    assert "1 kept" in out and tor.contract.reference in out
    tor.refresh_from_db()
    assert tor.contract.sipri_deal_id is None and tor.comments == "Checked against the ministry's statement"
    # Not created a second time: the newer export's figures stand beside it as a claim.
    assert Transfer.objects.filter(system__designation="Tor-M1").count() == 1
    assert Claim.objects.filter(contract=tor.contract).count() == 2
    assert Contract.objects.count() == LEGACY_DEALS + NEW_ONLY


def test_a_dry_run_of_the_merge_reports_it_and_writes_nothing(countries):
    run(LEGACY)
    before = register()
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sipri", str(NEW), "--dry-run", stdout=out, stderr=err)
    assert "DRY RUN" in out.getvalue() and "matched now: 10" in out.getvalue()
    assert register() == before and Contract.objects.count() == LEGACY_DEALS
