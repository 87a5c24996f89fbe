"""A row SIPRI published is imported as published: figures that break a hand-entry rule
are flagged, not rejected, and rows the export broke over two lines are put back
together. Hand entry (the API, the admin's validation) still refuses such figures."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from transfers.models import Contract, Delivery, Transfer

from .conftest import shared_data_fixtures

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "sipri-legacy-2026-05-sample.csv"
FLAG = "delivered-above-ordered"


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_sipri", str(path), *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)


def _import_legacy():
    call_command("load_countries", verbosity=0)
    code, out, err = run(LEGACY)
    assert code == 0, err
    return out


imported, _imported_shared_by_module = shared_data_fixtures(
    "imported", _import_legacy, "The legacy sample register imported into an empty register."
)


@pytest.fixture
def editor(imported, admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_published_inconsistent_rows_are_imported_and_flagged(imported):
    assert "rows read 22, deals 22, rejected 0" in imported
    assert "imported as published and flagged (hand entry would refuse them): 2" in imported
    assert "line 29: Number delivered 12 above Number ordered 0" in imported
    assert "line 30: Number delivered 4 above Number ordered 0" in imported

    # Stored as published: 0 ordered, 12 delivered over two years (a register total).
    dauphin = Transfer.objects.get(system__designation="AS-365 Dauphin")
    assert (dauphin.quantity_ordered, dauphin.reported_delivered, dauphin.quantity_delivered) == (0, 12, 12)
    assert dauphin.delivery_years == [1985, 1986] and dauphin.published_inconsistency == FLAG
    # One delivery year: the 4 delivered are on the delivery itself, above the 0 ordered.
    exocet = Transfer.objects.get(system__designation="MM-38 Exocet")
    assert [d.quantity for d in exocet.deliveries.all()] == [4] and exocet.published_inconsistency == FLAG
    assert exocet.contract.status == "completed"
    # Only those two carry the flag.
    assert set(Transfer.objects.exclude(published_inconsistency="").values_list("pk", flat=True)) == {
        dauphin.pk,
        exocet.pk,
    }
    assert "more delivered than ordered, as published" in exocet.contract.claims.get().summary

    # The API shows the flag on the register's rows, in its detail and in its CSV.
    api = APIClient()
    row = api.get(f"/api/transfers/{exocet.pk}/").json()
    assert row["published_inconsistency"] == FLAG and row["quantity_delivered"] == 4
    listed = {r["id"]: r["published_inconsistency"] for r in api.get("/api/transfers/?limit=100").json()["results"]}
    assert listed[exocet.pk] == FLAG and listed[Transfer.objects.get(system__designation="Tor-M1").pk] == ""
    response = api.get("/api/transfers/?format=csv&system=mm-38-exocet")
    csv_text = b"".join(response.streaming_content).decode()
    header, line = csv_text.splitlines()[:2]
    assert "published_inconsistency" in header.split(",") and FLAG in line


def test_reimport_of_flagged_rows_changes_nothing(imported):
    history = Transfer.history.count(), Delivery.history.count()
    code, out, _ = run(LEGACY, "--reimport")
    assert code == 0 and "contracts: 0 created, 0 updated, 22 unchanged" in out
    assert (Transfer.history.count(), Delivery.history.count()) == history


def test_a_newer_release_that_corrects_the_figures_clears_the_flag(imported, tmp_path):
    text = LEGACY.read_bytes().decode("latin-1").replace("Data generated: 18 May 2026", "Data generated: 1 Jun 2026")
    text = text.replace("Peru,France,1980,,0,,MM-38 Exocet", "Peru,France,1980,,4,,MM-38 Exocet")
    newer = tmp_path / "newer.csv"
    newer.write_bytes(text.encode("latin-1"))
    code, out, _ = run(newer)
    assert code == 0 and "1 updated" in out and "flagged (hand entry would refuse them): 1" in out
    exocet = Transfer.objects.get(system__designation="MM-38 Exocet")
    assert (exocet.quantity_ordered, exocet.published_inconsistency) == (4, "")
    # Back to 0 ordered in a later release: flagged again, the delivery of 4 kept.
    later = tmp_path / "later.csv"
    later.write_bytes(LEGACY.read_bytes().replace(b"Data generated: 18 May 2026", b"Data generated: 1 Jul 2026"))
    code, out, _ = run(later)
    assert code == 0, out
    exocet.refresh_from_db()
    assert (exocet.quantity_ordered, exocet.published_inconsistency) == (0, FLAG)
    assert exocet.quantity_delivered == 4


def test_hand_entry_still_refuses_more_delivered_than_ordered(editor):
    tor = Transfer.objects.get(system__designation="Tor-M1")
    response = editor.patch(f"/api/transfers/{tor.pk}/", {"quantity_ordered": 20}, format="json")
    assert response.status_code == 400 and "cannot exceed the quantity ordered" in str(response.json())
    response = editor.patch(f"/api/transfers/{tor.pk}/", {"reported_delivered": 30}, format="json")
    assert response.status_code == 400
    # The flag is the import's: a client cannot set it.
    response = editor.patch(f"/api/transfers/{tor.pk}/", {"published_inconsistency": FLAG}, format="json")
    tor.refresh_from_db()
    assert tor.published_inconsistency == ""


def test_a_flagged_row_stays_editable_but_its_gap_cannot_widen(editor):
    exocet = Transfer.objects.get(system__designation="MM-38 Exocet")
    url = f"/api/transfers/{exocet.pk}/"
    # Fields other than the figures: fine.
    assert editor.patch(url, {"comments": "Checked against the Peruvian navy's list"}, format="json").status_code == 200
    # Raising the order towards the deliveries narrows the gap: fine (and still flagged as published).
    assert editor.patch(url, {"quantity_ordered": 2}, format="json").status_code == 200
    # Lowering it again below what was stored widens it: refused.
    response = editor.patch(url, {"quantity_ordered": 1}, format="json")
    assert response.status_code == 400 and "quantity_ordered" in response.json()
    # A new delivery on top: refused, as for any transfer.
    response = editor.post("/api/deliveries/", {"transfer": exocet.pk, "date": "1982", "quantity": 1}, format="json")
    assert response.status_code == 400 and "would exceed" in str(response.json())
    delivery = exocet.deliveries.get()
    # The published delivery keeps its quantity, or lower; never higher.
    response = editor.patch(f"/api/deliveries/{delivery.pk}/", {"notes": "As published"}, format="json")
    assert response.status_code == 200
    response = editor.patch(f"/api/deliveries/{delivery.pk}/", {"quantity": 5}, format="json")
    assert response.status_code == 400
    assert editor.patch(f"/api/deliveries/{delivery.pk}/", {"quantity": 3}, format="json").status_code == 200


def test_model_validation_the_admin_uses_refuses_it_too(imported):
    tor = Transfer.objects.get(system__designation="Tor-M1")
    tor.reported_delivered = 30
    with pytest.raises(ValidationError, match="cannot exceed the quantity ordered"):
        tor.full_clean()
    dauphin = Transfer.objects.get(system__designation="AS-365 Dauphin")
    dauphin.full_clean()  # as published: valid
    dauphin.reported_delivered = 13
    with pytest.raises(ValidationError, match="cannot exceed the quantity ordered"):
        dauphin.full_clean()


def test_the_database_exempts_only_flagged_rows(imported):
    exocet = Transfer.objects.get(system__designation="MM-38 Exocet")
    tor = Transfer.objects.get(system__designation="Tor-M1")
    # Paths that skip validation: a flagged row takes more, an unflagged one does not.
    Delivery.objects.create(transfer=exocet, date=datetime.date(1982, 1, 1), quantity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(transfer=tor, date=datetime.date(2008, 1, 1), quantity=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=tor.pk).update(reported_delivered=30)
    # Clearing the flag brings the rule back, at once.
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=exocet.pk).update(published_inconsistency="")


def test_rows_split_over_two_lines_are_rejoined(imported):
    assert "lines 31-32 rejoined" in imported and "lines 33-34 rejoined" in imported
    engine = Transfer.objects.get(contract__recipient__code="CIV")
    assert engine.comments == "Diesel engine for 12 APC from South Africa"
    assert (engine.quantity_ordered, engine.tiv_order) == (12, Decimal("0.36"))
    # A break inside the comment stays where SIPRI put it.
    submarine = Transfer.objects.get(system__designation="Type-209/1400")
    assert submarine.comments == "Modernized before delivery;\n for the navy"
    assert submarine.tiv_per_unit == 300 and submarine.delivery_years == [2021, 2022]
    assert Contract.objects.count() == 22


def test_only_what_cannot_be_rejoined_is_rejected(db, tmp_path):
    call_command("load_countries", verbosity=0)
    lines = LEGACY.read_bytes().decode("latin-1").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Recipient,Supplier"))
    broken = [
        *lines[: header + 1],
        # A row cut short, followed by a whole row: not joined to it.
        "Iran,China,2001,,7,,C-802,anti-ship",
        "Iran,China,2002,,6,,C-802,anti-ship missile,6,,2003,New,,0.5,3,3",
        # Two pieces that together have too many columns.
        "Iran,China,2004,,7,,C-802,anti-ship missile,7,,2005,New,a",
        "b,c,0.5,3.5,3.5,9",
        # Two pieces that make one row, but not a valid one.
        "Iran,China,20x6,,7,,C-802,anti-ship missile,7,,2007,New,a",
        "b,0.5,3.5,3.5",
    ]
    path = tmp_path / "broken.csv"
    path.write_bytes("\n".join(broken).encode("latin-1"))
    code, out, err = run(path)
    assert code == 1
    assert "rows read 6, deals 1, rejected 5" in out
    assert "line 13: expected 16 columns, found 8" in err
    assert "line 15: expected 16 columns, found 13" in err and "line 16: expected 16 columns, found 6" in err
    assert "line 17: expected 16 columns, found 13" in err and "line 18: expected 16 columns, found 4" in err
    assert "rejoined" not in out
    assert Contract.objects.count() == 1


def test_the_admin_shows_the_flag_and_filters_by_it(imported, admin_client):
    exocet = Transfer.objects.get(system__designation="MM-38 Exocet")
    page = admin_client.get(f"/admin/transfers/transfer/{exocet.pk}/change/").content.decode()
    assert "more delivered than ordered, as published" in page
    assert 'name="published_inconsistency"' not in page  # shown, not editable
    listing = admin_client.get(f"/admin/transfers/transfer/?published_inconsistency={FLAG}").content.decode()
    assert "2 transfers" in listing or "2 results" in listing
