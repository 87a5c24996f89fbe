"""import_sipri on sample files written for these tests: both formats, every quirk, bad rows."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from transfers.models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem

DATA = Path(__file__).parent / "data"
LEGACY = DATA / "sipri-legacy-sample.csv"
NEW = DATA / "sipri-by-delivery-year-sample.csv"
MODELS = [Actor, WeaponSystem, Contract, Transfer, Delivery, Source, Claim]


def state():
    return {m.__name__: (m.objects.count(), m.history.count()) for m in MODELS}


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_sipri", str(path), *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)


@pytest.mark.django_db
def test_legacy_import_maps_every_row(countries):
    code, out, err = run(LEGACY)
    # Bad rows make the command fail, after importing the good ones.
    assert code == 1
    assert "3 of 12 rows rejected" in err
    assert "line 20: expected 16 columns, found 10" in err
    assert "line 21: Year of order '19x5' is not a year" in err
    assert "line 22: Number ordered -3 is negative" in err
    # More delivered than ordered, as SIPRI publishes some deals: imported and flagged, not rejected.
    assert "line 23" not in err
    assert "imported as published and flagged (hand entry would refuse them): 1" in out
    assert "line 23: Number delivered 8 above Number ordered 5" in out
    assert "contracts: 9 created" in out
    assert Contract.objects.count() == 9
    c701 = Transfer.objects.get(system__designation="C-701")
    assert (c701.quantity_ordered, c701.reported_delivered, c701.quantity_delivered) == (5, 8, 8)
    assert c701.published_inconsistency == "delivered-above-ordered"
    assert Transfer.objects.exclude(published_inconsistency="").count() == 1

    tor = Transfer.objects.get(system__slug="tor-m1", contract__supplier__code="RUS")
    assert (tor.quantity_ordered, tor.quantity_ordered_is_estimate) == (29, True)
    assert tor.quantity_delivered == 29
    assert tor.delivery_years == [2006, 2007]
    assert tor.tiv_per_unit == Decimal("12.5") and tor.tiv_order == Decimal("362.5")
    assert tor.comments.startswith("$700m deal")
    assert tor.system.category == "air-defence"
    assert tor.contract.order_date.year == 2005 and tor.contract.order_date_precision == "year"
    assert tor.contract.status == "completed"
    claim = Claim.objects.get(contract=tor.contract)
    assert claim.source.kind == "register" and claim.source.published_date.isoformat() == "2026-03-03"
    assert "29 (estimate) Tor-M1" in claim.summary

    rafale = Transfer.objects.get(system__designation="Rafale-M")
    assert rafale.quantity_ordered is None and not rafale.deliveries.exists()
    assert rafale.contract.status == "signed"
    assert rafale.system.category == "aircraft"

    t55 = Transfer.objects.get(system__slug="t-55")
    assert t55.condition == "second-hand" and t55.contract.order_date_is_estimate
    assert t55.deliveries.get().quantity == 500
    assert t55.system.category == "armoured-vehicles"
    assert t55.contract.supplier.kind == "historical-state" and t55.contract.supplier.code == "SUN"

    kornet = Transfer.objects.get(system__designation="9M133 Kornet")
    assert kornet.contract.recipient.kind == "non-state" and kornet.contract.recipient.name == "Hezbollah (Lebanon)"
    assert kornet.contract.supplier.kind == "unknown" and kornet.contract.supplier.code == "unknown-supplier"
    assert kornet.system.category == "missiles"

    hawk = Transfer.objects.get(system__designation="RQ-4 Global Hawk")
    assert hawk.contract.recipient.kind == "organisation" and hawk.contract.recipient.name == "NATO"
    assert hawk.licensed_production and hawk.condition == "second-hand-modernised"
    assert hawk.comments == "Produced under licence in Italy, with Italian sensors"

    meko = Transfer.objects.get(system__designation="MEKO-200")
    assert meko.contract.recipient.code == "TUR" and meko.comments.startswith("Frégate")
    assert meko.system.category == "ships"
    # Two deals that share supplier, recipient, year and designation stay two deals.
    assert Transfer.objects.filter(system__slug="9m338").count() == 2


@pytest.mark.django_db
def test_api_answers_like_sipri_after_import(countries):
    run(LEGACY)
    api = APIClient()
    rows = api.get("/api/transfers/?supplier=RUS&recipient=IRN&system=tor-m1").json()["results"]
    (row,) = rows
    assert row["quantity_ordered"] == 29 and row["quantity_ordered_is_estimate"] is True
    assert row["delivery_years"] == [2006, 2007] and row["quantity_delivered"] == 29
    assert row["tiv_per_unit"] == "12.500"
    assert "nuclear plant" in row["comments"]
    assert row["claim_count"] == 1
    assert api.get("/api/transfers/?source=sipri-legacy-2026-03-03").json()["count"] == 9


@pytest.mark.django_db
def test_reimport_changes_nothing(countries):
    run(LEGACY)
    before = state()
    code, out, _ = run(LEGACY, "--reimport")
    assert "contracts: 0 created, 0 updated, 9 unchanged" in out
    assert state() == before


@pytest.mark.django_db
def test_strict_mode_writes_nothing(countries):
    before = state()
    code, out, err = run(LEGACY, "--strict")
    assert code == 1 and "nothing was written" in err and "line 21" in err
    assert state() == before


@pytest.mark.django_db
def test_dry_run_writes_nothing(countries):
    before = state()
    code, out, _ = run(NEW, "--dry-run")
    assert "DRY RUN" in out and "contracts: 3 created" in out
    assert state() == before


@pytest.mark.django_db
def test_a_file_that_is_not_a_sipri_export_is_refused(countries, tmp_path):
    before = state()
    for content in [b"name,value\na,1\n", b"\x00\x01\x02binary", b""]:
        path = tmp_path / "other.csv"
        path.write_bytes(content)
        code, _, err = run(path)
        assert code == 1 and "not a SIPRI trade-register export" in err
    code, _, err = run(tmp_path / "missing.csv")
    assert code == 1 and "cannot read" in err
    assert state() == before


@pytest.mark.django_db
def test_encodings_and_line_endings(countries, tmp_path):
    text = LEGACY.read_bytes().decode("latin-1")
    variants = {
        "utf8-bom.csv": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf8-crlf.csv": text.replace("\n", "\r\n").encode("utf-8"),
        "trailing-newline.csv": (text + "\n\n").encode("latin-1"),
    }
    for name, content in variants.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, out, err = run(path)
        assert "rows read 12, deals 9, rejected 3" in out, name
    assert Transfer.objects.get(system__designation="MEKO-200").comments.startswith("Frégate")
    assert Contract.objects.count() == 9


def _resaved(path, *, delimiter, encoding, line_end="\r\n"):
    """A sample as a spreadsheet saves it again: each row re-quoted with another separator
    (and with semicolons, the TIVs' decimal point a comma, as that locale writes it)."""
    import csv
    import re

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    for line in path.read_bytes().decode("latin-1").splitlines():
        cells = next(csv.reader([line]), [])
        if delimiter == ";":
            cells = [re.sub(r"^(\d+)\.(\d+)$", r"\1,\2", c) if i in (13, 14, 15) else c for i, c in enumerate(cells)]
        writer.writerow(cells)
    return out.getvalue().encode(encoding)


@pytest.mark.django_db
def test_an_export_saved_again_with_semicolons_or_as_unicode_text_reads_alike(countries, tmp_path):
    """Excel set for a European locale saves the register with semicolons (quoting the cells
    that hold one: '2006; 2007') and decimal commas (TIV 12,5); its "Unicode text" is
    tab-separated UTF-16. Both were
    refused ("no header found", "a binary file"); they read as the export itself does, and the
    summary says how the file was read."""

    def register():
        return sorted(
            (t.system.designation, t.quantity_ordered, t.comments, t.tiv_per_unit, t.delivery_years)
            for t in Transfer.objects.select_related("system")
        )

    code, out, err = run(LEGACY)
    expected = register()
    variants = {
        "semicolons.csv": (_resaved(LEGACY, delimiter=";", encoding="cp1252"), "latin-1, semicolon-separated"),
        "unicode.txt": (_resaved(LEGACY, delimiter="\t", encoding="utf-16"), "utf-16, tab-separated"),
    }
    for name, (content, read_as) in variants.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, out, err = run(path, "--reimport")
        assert "rows read 12, deals 9, rejected 3" in out, (name, out, err)
        assert read_as in out, out
        assert "line 21: Year of order '19x5' is not a year" in err
        assert register() == expected, name
    # A Comments cell holding a line break, quoted as Excel quotes it, in the same file.
    broken = tmp_path / "broken.csv"
    broken.write_bytes(
        _resaved(LEGACY, delimiter=";", encoding="cp1252")
        + b'Chile;France;1998;;2;;Scorpene;submarine;2;;"2005; 2006";New;'
        + b'"first line\r\nsecond line";300,5;601;601\r\n'
    )
    code, out, err = run(broken, "--reimport")
    assert "rows read 13, deals 10, rejected 3" in out, (out, err)
    scorpene = Transfer.objects.get(system__designation="Scorpene")
    assert (scorpene.tiv_per_unit, scorpene.comments) == (Decimal("300.5"), "first line\nsecond line")
    new = tmp_path / "new-semicolons.csv"
    new.write_bytes(_resaved(NEW, delimiter=";", encoding="utf-8", line_end="\n"))
    code, out, err = run(new)
    assert "line 18: Numbers delivered 'six' is not a whole number" in err, (out, err)
    assert Contract.objects.get(sipri_deal_id="31785").transfers.get().quantity_delivered == 29


@pytest.mark.django_db
def test_by_delivery_year_format(countries):
    code, out, err = run(NEW)
    assert code == 1
    assert "line 17: Armament category 'Submarines'" in err
    assert "line 18: Numbers delivered 'six' is not a whole number" in err
    tor = Contract.objects.get(sipri_deal_id="31785")
    line = tor.transfers.get()
    assert line.quantity_ordered is None
    assert [(d.date.year, d.quantity, d.quantity_is_estimate) for d in line.deliveries.order_by("date")] == [
        (2006, 15, True),
        (2007, 14, True),
    ]
    assert line.quantity_delivered == 29
    assert line.tiv_per_unit == Decimal("12.5") and line.tiv_delivered == Decimal("362.5")
    assert line.system.category == "air-defence"
    f35 = Transfer.objects.get(system__slug="f-35a")
    assert f35.licensed_production and f35.deliveries.get().date_is_estimate
    mortar = Transfer.objects.get(contract__sipri_deal_id="55238")
    assert mortar.condition == "second-hand" and mortar.contract.order_date_is_estimate
    assert mortar.contract.supplier.code == "ALB" and mortar.contract.recipient.code == "BFA"


@pytest.mark.django_db
def test_newer_export_updates_in_place(countries, tmp_path):
    run(NEW)
    contract = Contract.objects.get(sipri_deal_id="31785")
    history_before = contract.history.count()
    newer = tmp_path / "newer.csv"
    text = NEW.read_text().replace("Data generated: 12 Feb 2026", "Data generated: 1 Jun 2026")
    text = text.replace(
        "31785,Russia,Iran,Tor-M1,mobile SAM system,Air-defence systems,2005,No,14,Yes,2007",
        "31785,Russia,Iran,Tor-M1,mobile SAM system,Air-defence systems,2005,No,13,Yes,2007",
    ).replace("31785,Russia,Iran,", "31785,Russia,Syria,")
    newer.write_text(text)
    code, out, _ = run(newer)
    assert "contracts: 0 created, 1 updated, 2 unchanged" in out
    assert Contract.objects.filter(sipri_deal_id="31785").count() == 1
    line = Contract.objects.get(sipri_deal_id="31785").transfers.get()
    assert line.quantity_delivered == 28
    # The register follows the update: new recipient, new total.
    rows = APIClient().get("/api/transfers/?recipient=SYR&category=air-defence").json()["results"]
    assert [(row["id"], row["quantity_delivered"]) for row in rows] == [(line.pk, 28)]
    assert not APIClient().get("/api/transfers/?recipient=IRN&system=tor-m1").json()["results"]
    assert contract.history.count() == history_before + 1
    # Both exports stand behind the deal, as two claims of two sources.
    assert Claim.objects.filter(contract=contract).count() == 2


@pytest.mark.django_db
def test_hand_edits_are_not_overwritten(countries, tmp_path):
    run(LEGACY)
    tor = Transfer.objects.get(system__slug="tor-m1", contract__supplier__code="RUS")
    tor.comments = "Checked against Rosoboronexport statement"
    tor.save()
    newer = tmp_path / "newer.csv"
    text = LEGACY.read_bytes().decode("latin-1").replace("Data generated: 3 Mar 2026", "Data generated: 1 Jun 2026")
    text = text.replace(
        "Iran,Russia,2005,,29,?,Tor-M1,mobile surface-to-air missile system,29,?,2006; 2007,New,$700m",
        "Iran,Russia,2005,,30,?,Tor-M1,mobile surface-to-air missile system,29,?,2006; 2007,New,$700m",
    )
    newer.write_bytes(text.encode("latin-1"))
    code, out, _ = run(newer)
    assert "1 kept (edited by hand since the last import)" in out
    assert tor.contract.reference in out
    tor.refresh_from_db()
    assert tor.comments == "Checked against Rosoboronexport statement"
    assert tor.quantity_ordered == 29
    # The newer export's figure is kept beside it, as a claim of the newer source.
    assert Claim.objects.filter(contract=tor.contract, summary__contains="30 (estimate)").exists()


@pytest.mark.django_db
def test_importing_twice_reuses_existing_actors_and_systems(countries):
    call_command("loaddata", "seed", verbosity=0)
    seed_tor = WeaponSystem.objects.get(slug="tor-m1")
    run(LEGACY)
    assert Transfer.objects.filter(system=seed_tor).count() == 2  # the seed's line and the imported one
    assert Actor.objects.filter(code__iexact="rus").count() == 1


def test_sample_files_are_ours():
    # The shared real exports are never copied into the project.
    for path in DATA.iterdir():
        assert path.stat().st_size < 20_000, path


@pytest.mark.django_db
def test_summary_counts_register_totals_when_deliveries_have_no_numbers(countries):
    run(LEGACY)
    api = APIClient()
    rows = api.get("/api/transfers/summary/?group_by=system&supplier=RUS").json()
    by_system = {row["group"]["system"]["slug"]: row for row in rows}
    # Tor-M1: two delivery years without per-year numbers; SIPRI's total of 29 counts.
    assert by_system["tor-m1"]["quantity_delivered"] == 29
    # 9M338: 750 (reported over two years) + 50 (one year, so on the delivery itself).
    assert by_system["9m338"]["quantity_delivered"] == 800
    assert by_system["9m338"]["transfers"] == 2 and by_system["9m338"]["quantity_ordered"] == 800


@pytest.mark.django_db
def test_rows_the_actors_or_the_csv_module_refuse_are_rejected_naming_the_line(countries, tmp_path):
    """A lone '*' for a party, a name longer than an actor's and a 1 MB cell each aborted the
    whole import with a traceback; each is now its row's error, and the rest is imported."""
    text = LEGACY.read_bytes().decode("latin-1").rstrip("\n") + "\n"
    long_org = "United Nations Organization Stabilization Mission in the Democratic Republic of the Congo**"
    rows = [
        "Iran,*,2004,,3,,Igla,portable SAM,3,,2005,New,,0.1,0.3,0.3",
        "**,Russia,2004,,3,,Igla-S,portable SAM,3,,2005,New,,0.1,0.3,0.3",
        f"Iran,Very long {'n' * 290},2004,,3,,Strela,portable SAM,3,,2005,New,,0.1,0.3,0.3",
        f"Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,{'x' * 1_000_000},0.1,0.3,0.3",
        f"{long_org},France,2010,,2,,Mistral,portable SAM,2,,2011,New,,0.1,0.2,0.2",
    ]
    first = len(text.splitlines()) + 1
    path = tmp_path / "bad-parties.csv"
    path.write_bytes((text + "\n".join(rows) + "\n").encode("latin-1"))
    code, out, err = run(path)
    assert code == 1 and "Traceback" not in err
    assert f"line {first}: Supplier '*' names no party" in err, err
    assert f"line {first + 1}: Recipient '**' names no party" in err
    assert f"line {first + 2}: Supplier is 300 characters long; a party's name has at most 200" in err
    assert f"line {first + 3}: unreadable as CSV (field larger than field limit" in err
    assert "rows read 17, deals 10, rejected 7" in out
    # A name past an actor code's 64 characters: a code cut with a digest, the name whole.
    mission = Actor.objects.get(name=long_org.removesuffix("**"))
    assert len(mission.code) == 64 and mission.code.startswith("united-nations-organization-stabilization-mission")
    assert Transfer.objects.filter(contract__recipient=mission, system__designation="Mistral").exists()


@pytest.mark.django_db
def test_a_bom_before_bytes_that_are_not_utf8_is_refused_naming_the_line(countries, tmp_path):
    text = LEGACY.read_bytes()  # Latin-1: "Frégate" is one byte 0xe9
    path = tmp_path / "bom-latin1.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text)
    before = state()
    code, _, err = run(path)
    line = text[: text.index(b"\xe9")].count(b"\n") + 1
    assert code == 1 and "Traceback" not in err
    assert f"line {line}: byte 0xe9 is not UTF-8, though the file starts with UTF-8's byte order mark" in err
    assert state() == before


def _with_rows(rows):
    """The legacy sample with these rows added after its own (text: encoded by the caller),
    and the line number of the first of them."""
    text = LEGACY.read_bytes().decode("latin-1").rstrip("\n") + "\n"
    return text + "\n".join(rows) + "\n", text.count("\n") + 1


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_a_line_ends_only_at_a_line_end_and_a_comments_control_characters_stay_in_it(countries, tmp_path, encoding):
    """Python's splitlines() also ended a line at \\x0b, \\x0c, \\x1c to \\x1e and (UTF-8) \\x85,
    \\u2028, \\u2029: the row was cut (and rejoined with a newline instead), and every line
    number after it was wrong. A line ends where csv and editors say: \\n, \\r\\n or \\r."""
    breaks = "\x0b\x0c\x1c\x1d\x1e" + ("\x85\u2028\u2029" if encoding == "utf-8" else "")
    text, first = _with_rows(
        [
            f"Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,Batch 1{breaks}batch 2,0.1,0.3,0.3",
            "Iran,China,19x5,,12,,C-704,anti-ship missile,12,,1996,New,,0.5,6,6",
        ]
    )
    path = tmp_path / "breaks.csv"
    path.write_bytes(text.encode(encoding))
    code, out, err = run(path)
    assert code == 1 and "Traceback" not in err
    # The bad row is named by the line an editor shows, not one further on per break.
    assert f"line {first + 1}: Year of order '19x5' is not a year" in err, err
    assert "rows read 14, deals 10, rejected 4" in out
    assert "rejoined" not in out
    assert Transfer.objects.get(system__designation="Kornet-E").comments == f"Batch 1{breaks}batch 2"


@pytest.mark.django_db
def test_a_register_saved_on_windows_reads_its_punctuation_as_windows_wrote_it(countries, tmp_path):
    """Windows-1252 is Latin-1 but for 0x80-0x9f, where Latin-1 has control characters no text
    uses: '€', '’', '–' and '…' were stored as invisible controls, and '…' (0x85, Latin-1's
    next-line control) also ended the line in the middle of its row."""
    comment = "€300m deal; Rosoboronexport’s offer – with training …"
    text, first = _with_rows(
        [
            f"Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,{comment},0.1,0.3,0.3",
            "Iran,China,19x5,,12,,C-704,anti-ship missile,12,,1996,New,,0.5,6,6",
        ]
    )
    path = tmp_path / "windows.csv"
    path.write_bytes(text.encode("cp1252"))
    assert b"\x80" in path.read_bytes() and b"\x85" in path.read_bytes()
    code, out, err = run(path)
    assert f"{path}: legacy format, windows-1252, data generated" in out, out
    assert f"line {first + 1}: Year of order '19x5' is not a year" in err, err
    assert "rows read 14, deals 10, rejected 4" in out
    assert Transfer.objects.get(system__designation="Kornet-E").comments == comment
    # Latin-1's own letters read the same either way.
    assert Transfer.objects.get(system__designation="MEKO-200").comments.startswith("Frégate")


@pytest.mark.django_db
def test_a_byte_windows_leaves_undefined_reads_the_file_as_latin1(countries, tmp_path):
    text, _ = _with_rows(["Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,Odd \x81 byte,0.1,0.3,0.3"])
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    code, out, err = run(path)
    assert ": legacy format, latin-1, data generated" in out, out
    assert "rows read 13, deals 10, rejected 3" in out
    assert Transfer.objects.get(system__designation="Kornet-E").comments == "Odd \x81 byte"


@pytest.mark.django_db
def test_rows_in_utf8_and_rows_in_windows_1252_each_read_in_their_own(countries, tmp_path):
    """Two files joined, one saved as UTF-8 and one by Excel on Windows: the whole file was read
    as Windows-1252, so every UTF-8 letter of the first became two ('Frégate' 'FrÃ©gate',
    'Côte d'Ivoire' a new party 'CÃ´te d'Ivoire'). Each line is read in its own encoding, and
    the summary says which lines were not UTF-8."""
    text, first = _with_rows(["Côte d'Ivoire,France,2003,,3,,Mistral,portable SAM,3,,2004,New,,0.1,0.3,0.3"])
    later = "Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,€300m; Rosoboronexport’s offer,0.1,0.3,0.3"
    path = tmp_path / "joined.csv"
    path.write_bytes(text.encode("utf-8") + later.encode("cp1252") + b"\n")
    code, out, err = run(path)
    assert f": legacy format, utf-8 with line {first + 1} in windows-1252, data generated" in out, out
    assert Transfer.objects.get(system__designation="MEKO-200").comments.startswith("Frégate")
    assert Transfer.objects.get(system__designation="Mistral").contract.recipient.code == "CIV"
    assert Transfer.objects.get(system__designation="Kornet-E").comments == "€300m; Rosoboronexport’s offer"
    assert not Actor.objects.filter(name__contains="Ã").exists()


@pytest.mark.django_db
def test_a_quoted_comment_with_line_breaks_is_one_cell_as_csv_reads_it(countries, tmp_path):
    """A register saved again by Excel quotes a Comments cell that holds a line break, as CSV
    does. The row was cut at the break: rejected as two short rows, or rejoined with the
    closing quote left in the comment."""
    text, first = _with_rows(
        [
            'Iran,Russia,2003,,3,,Kornet-E,anti-tank missile,3,,2004,New,"Batch 1, first\nbatch 2, second",0.1,0.3,0.3',
            'Iran,Russia,2004,,3,,Igla,portable SAM,3,,2005,New,"Line one\n\nline ""three""",0.1,0.3,0.3',
            # A quote left open takes in no other row: the row is as before, the next one whole.
            'Iran,Russia,2005,,3,,Igla-S,portable SAM,3,,2006,New,"Never closed,0.1,0.3,0.3',
            'Iran,Russia,2006,,3,,Strela,portable SAM,3,,2007,New,"Quoted, closed",0.1,0.3,0.3',
            "Iran,China,19x5,,12,,C-704,anti-ship missile,12,,1996,New,,0.5,6,6",
        ]
    )
    path = tmp_path / "quoted.csv"
    path.write_bytes(text.encode("latin-1"))
    code, out, err = run(path)
    assert code == 1 and "Traceback" not in err
    comments = dict(Transfer.objects.values_list("system__designation", "comments"))
    assert comments["Kornet-E"] == "Batch 1, first\nbatch 2, second"
    assert comments["Igla"] == 'Line one\n\nline "three"'
    assert comments["Strela"] == "Quoted, closed"
    assert "Igla-S" not in comments
    assert f"line {first + 5}: expected 16 columns, found 13" in err, err
    assert f"line {first + 7}: Year of order '19x5' is not a year" in err, err
    assert "rows read 17, deals 12, rejected 5" in out, out
    assert "rejoined" not in out


@pytest.mark.django_db
def test_a_round_tiv_per_unit_is_written_as_sipri_writes_it(countries, tmp_path):
    """Found by an adversarial pass: Decimal.normalize() wrote a TIV per unit of 10 as `1E+1`
    in every such claim's summary (and its CSV)."""
    header = LEGACY.read_bytes().decode("latin-1").splitlines()[:12]
    rows = [
        "Qatar,France,1986,,3,,Roland,mobile SAM system,3,?,1987,New,,10,30,30",
        "Egypt,United States,1990,,2,,C-130H Hercules,transport aircraft,2,,1991,New,,100,200,200",
    ]
    path = tmp_path / "round.csv"
    path.write_bytes("\n".join([*header, *rows]).encode("latin-1"))
    code, out, err = run(path)
    assert code == 0, err
    summaries = " ".join(Claim.objects.values_list("summary", flat=True))
    assert "TIV per unit 10." in summaries and "TIV per unit 100." in summaries, summaries
    assert "E+" not in summaries


def _legacy_file(tmp_path, name, rows):
    header = LEGACY.read_bytes().decode("latin-1").splitlines()[:12]
    path = tmp_path / name
    path.write_bytes("\n".join([*header, *rows]).encode("utf-8"))
    return path


def _new_file(tmp_path, name, rows):
    header = NEW.read_bytes().decode("latin-1").splitlines()[:12]
    path = tmp_path / name
    path.write_bytes("\r\n".join([*header, *rows]).encode("utf-8"))
    return path


GOOD_ROW = "Qatar,France,1986,,3,,Roland,mobile SAM system,3,?,1987,New,,10,30,30"


@pytest.mark.django_db
def test_hostile_cells_are_rejected_by_line_and_break_nothing_later(countries, tmp_path):
    """Found by an adversarial pass over the command: a TIV that rounds past its column was
    stored (and every later import of that format, the register's admin and /api/transfers/
    then failed); 5,000 digits were a traceback; a NUL late in the file was stored (PostgreSQL
    refuses it)."""
    rows = [
        GOOD_ROW,
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,99999999999.9999,,",
        "Iran,Russia,2005,," + "9" * 5000 + ",,Tor-M1,mobile SAM system,29,,2006,New,,12.5,,",
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,a\x00b,12.5,,",
    ]
    code, out, err = run(_legacy_file(tmp_path, "hostile.csv", rows))
    assert code == 1 and "Traceback" not in err
    assert "line 14: SIPRI TIV per unit '99999999999.9999' is implausibly large" in err
    assert "line 15: Number ordered 99999999999999999999... is implausibly large" in err
    assert "line 16: holds a NUL character" in err
    assert Transfer.objects.count() == 1
    new_rows = [
        "1,Russia,Iran,Tor-M1,mobile SAM system,Air-defence systems,2005,No,15,No,2006,No,New,1,12.5,99999999999,No;",
        "1,Russia,Iran,Tor-M1,mobile SAM system,Air-defence systems,2005,No,14,No,2007,No,New,1,12.5,99999999999,No;",
    ]
    code, out, err = run(_new_file(tmp_path, "sum.csv", new_rows))
    assert code == 1 and "TIV delivery values add up to 199999999998" in err
    # Later imports of both formats still work, and so do the register's pages.
    for sample in (LEGACY, NEW):
        code, out, err = run(sample)
        assert "Traceback" not in err and "rows read" in out, err
    assert APIClient().get("/api/transfers/").status_code == 200


@pytest.mark.django_db
def test_numbers_are_read_in_ascii_digits_only(countries, tmp_path):
    """Python reads '1_000', '１９８６' and '١٩٨٦' as numbers (int(), Decimal(), regex \\d), and
    Decimal reads '1e3' and 'NaN': none is how SIPRI writes a figure, so each is refused by line
    rather than stored as a value nobody wrote."""
    rows = [
        GOOD_ROW,
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,1_000,,",
        "Iran,Russia,\uff12\uff10\uff10\uff15,,29,,Tor-M1,mobile SAM system,29,,2006,New,,12.5,,",
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,\u0662\u0660\u0660\u0666,New,,12.5,,",
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,1e3,,",
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,NaN,,",
        "Iran,Russia,2005,,2_9,,Tor-M1,mobile SAM system,29,,2006,New,,12.5,,",
        "Iran,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,0.000" + "0" * 5000 + "1,,",
    ]
    code, out, err = run(_legacy_file(tmp_path, "digits.csv", rows))
    assert code == 1 and "Traceback" not in err, err
    assert "line 14: SIPRI TIV per unit '1_000' is not a number" in err
    assert "line 15: Year of order '２００５' is not a year" in err
    assert "line 16: Year of delivery '٢٠٠٦' is not a year" in err
    assert "line 17: SIPRI TIV per unit '1e3' is not a number" in err
    assert "line 18: SIPRI TIV per unit 'NaN' is not a number" in err
    assert "line 19: Number ordered '2_9' is not a whole number" in err
    assert "line 20" not in err  # a tiny TIV is a number: it rounds to 0.000
    assert Transfer.objects.count() == 2
    code, out, err = run(
        _new_file(
            tmp_path,
            "digits-new.csv",
            ["1,Russia,Iran,Tor-M1,mobile SAM system,Air-defence systems,2005,No,15,No,2006,No,New,1,12.5,1_875,No;"],
        )
    )
    assert code == 1 and "line 13: TIV delivery values '1_875' is not a number" in err, err


@pytest.mark.django_db
def test_a_misspelt_party_never_takes_the_name_of_a_recorded_one(countries, tmp_path):
    """`Ir'an` is a new party coded `iran`; `Iran` in a later file is still Iran (IRN), and a
    byte order mark inside the file is no part of a name."""
    run(_legacy_file(tmp_path, "typo.csv", ["Ir'an,Russia,2005,,29,,Tor-M1,mobile SAM system,29,,2006,New,,12.5,,"]))
    assert Actor.objects.filter(code="iran").exists()
    run(_legacy_file(tmp_path, "plain.csv", ["\ufeffIran,Russia,2006,,3,,S-300,SAM system,,,,New,,50,,"]))
    deal = Contract.objects.get(transfers__system__designation="S-300")
    assert deal.recipient.code == "IRN"
    assert "\ufeffIran" not in Actor.objects.get(code="IRN").aliases


@pytest.mark.django_db
def test_the_release_fingerprint_is_of_the_bytes_imported(countries, tmp_path, monkeypatch):
    """The sha256 was read from the file a second time: a file replaced while it was imported
    (or a pipe, read empty the second time) recorded another file's fingerprint, and that
    other file was then skipped as already imported."""
    import hashlib

    from transfers.models import Release
    from transfers.sipri import importer

    path = _legacy_file(tmp_path, "moving.csv", [GOOD_ROW])
    first = path.read_bytes()
    real = importer.sipri_read

    def read_then_replace(p):
        export = real(p)
        path.write_bytes(first.replace(b"Qatar", b"Oman"))
        return export

    monkeypatch.setattr(importer, "sipri_read", read_then_replace)
    assert run(path)[0] == 0
    assert Release.objects.get().sha256 == hashlib.sha256(first).hexdigest()
    monkeypatch.undo()
    code, out, err = run(path)  # the file now there is another export: imported, not skipped
    assert code == 0 and "already imported" not in out and Release.objects.count() == 2


@pytest.mark.django_db
def test_a_designation_or_description_past_its_column_is_refused_by_line_never_cut(countries, tmp_path):
    """Two designations that differ only after their 200th character were cut alike and
    imported as one weapon system (and a description past 300 lost its end): now each row
    is refused naming its line, in both formats, and an empty designation too."""
    long = "Tor-M1 " + "x" * 200
    rows = [
        GOOD_ROW,
        f"Iran,Russia,2005,,29,,{long}A,mobile SAM system,29,,2006,New,,12.5,,",
        f"Iran,Russia,2005,,29,,{long}B,mobile SAM system,29,,2006,New,,12.5,,",
        f"Iran,Russia,2005,,29,,Tor-M1,{'y' * 301},29,,2006,New,,12.5,,",
        "Iran,Russia,2005,,29,,  ,mobile SAM system,29,,2006,New,,12.5,,",
    ]
    code, out, err = run(_legacy_file(tmp_path, "long.csv", rows))
    assert code == 1 and "Traceback" not in err
    assert "line 14: Weapon designation is 208 characters long; a designation has at most 200" in err
    assert "line 15: Weapon designation is 208 characters long" in err
    assert "line 16: Weapon description is 301 characters long; a description has at most 300" in err
    assert "line 17: Weapon designation is empty" in err
    assert not WeaponSystem.objects.filter(designation__startswith="Tor-M1 x").exists()
    assert Transfer.objects.count() == 1
    new_row = f"7,Russia,Iran,{long}C,mobile SAM system,Air-defence systems,2005,No,15,No,2006,No,New,1,12.5,187.5,No;"
    code, out, err = run(_new_file(tmp_path, "long-new.csv", [new_row]))
    assert code == 1 and "line 13: Designation is 208 characters long" in err, err
    assert Transfer.objects.count() == 1


@pytest.mark.django_db
def test_a_row_whose_parties_are_one_under_two_spellings_is_refused_by_its_line(countries, tmp_path):
    """An adversarial pass: `Turkey` selling to `Turkiye` reached the database, which refused the
    whole batch (contract_supplier_not_recipient); the import stopped there, on every run,
    with a message about another import. Now it is the row's error and the rest is imported."""
    text, first = _with_rows(
        [
            "Turkiye,Turkey,2005,,29,,Tor-M1Z,mobile SAM system,29,,2006; 2007,New,,12.5,362.5,362.5",
            "United Arab Emirates,UAE,2006,,2,,Igla-Z,portable SAM,2,,2007,New,,0.1,0.2,0.2",
        ]
    )
    path = tmp_path / "one-party.csv"
    path.write_bytes(text.encode("latin-1"))
    before = state()
    code, _, err = run(path, "--strict")  # refused whole
    assert code == 1 and "nothing was written" in err and state() == before, err
    code, out, err = run(path)
    assert code == 1 and "Traceback" not in err and "at the same time" not in err, err
    assert f"line {first}: supplier 'Turkey' and recipient 'Turkiye' are one party (TUR)" in err, err
    assert f"line {first + 1}: supplier 'UAE' and recipient 'United Arab Emirates' are one party (ARE)" in err
    assert "deals 9, rejected 5" in out, out
    assert not WeaponSystem.objects.filter(designation__in=["Tor-M1Z", "Igla-Z"], transfers__isnull=False).exists()
    # The good rows are all there.
    assert Contract.objects.filter(reference__startswith="sipri-").count() == 9


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "message"),
    [
        # A date SIPRI cannot have written: in 2150 it became every later release's previous one.
        ({10: "Data generated: 01 Jan 2150 at 09:00:00"}, "line 11: 'Data generated' 01 Jan 2150 cannot be"),
        ({10: "Data generated: 01 Jan 1850 at 09:00:00"}, "line 11: 'Data generated' 01 Jan 1850 cannot be"),
    ],
)
def test_a_preamble_sipri_cannot_have_written_is_refused(countries, tmp_path, lines, message):
    rows = LEGACY.read_bytes().decode("latin-1").split("\n")
    assert rows[10].startswith("Data generated"), rows[10]
    for index, line in lines.items():
        rows[index] = line
    path = tmp_path / "preamble.csv"
    path.write_bytes("\n".join(rows).encode("latin-1"))
    before = state()
    code, _, err = run(path)
    assert code == 1 and "Traceback" not in err and message in err, err
    assert state() == before


@pytest.mark.django_db
def test_hostile_files_are_refused_quickly_and_whole(countries, tmp_path):
    """An adversarial pass: /dev/zero was read until memory ran out, a FIFO blocked the open,
    a 20 KB preamble line backtracked for minutes, a 130,000-character designation took two."""
    import os

    before = state()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, message in [("/dev/zero", "is not a regular file"), (fifo, "is not a regular file")]:
        code, _, err = run(path)
        assert code == 1 and message in err, err
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(64 * 2**20 + 1)
    code, _, err = run(big)
    assert code == 1 and "is larger than 64 MB" in err, err

    rows = LEGACY.read_bytes().decode("latin-1").split("\n")
    rows[0] = "Transfers of major conventional arms " + "from a to b " * 1500
    text, first = _with_rows([f"Iran,Russia,2005,,29,,a{' ' * 130_000}b,mobile SAM system,29,,2006,New,,1,29,29"])
    path = tmp_path / "slow.csv"
    path.write_bytes(("\n".join(rows[:1]) + "\n" + text.split("\n", 1)[1]).encode("latin-1"))
    code, out, err = run(path)
    assert code == 1 and "Traceback" not in err
    assert f"line {first}: Weapon designation is 130,002 characters long" in err, err
    assert state() != before  # the good rows imported; within a test's time, not minutes


@pytest.mark.django_db
def test_a_source_title_longer_than_a_title_is_refused_before_anything_is_written(countries):
    before = state()
    code, _, err = run(LEGACY, "--source-title", "x" * 501)
    assert code == 1 and "--source-title is 501 characters long; a title has at most 500" in err, err
    assert state() == before


@pytest.mark.django_db
def test_a_recorded_file_with_rejected_rows_fails_again_and_strict_refuses_it(countries, tmp_path):
    """A file whose rows were rejected was recorded as a release, and running it again said
    "already imported ... nothing to do" and succeeded, --strict too: the bad rows were
    then taken for done. Now each run lists them again and fails; nothing is written."""
    bad = GOOD_ROW.replace("1986", "19x6")
    one_party = GOOD_ROW.replace("Qatar,France", "Turkey,Turkiye").replace("Roland", "Rapier")
    path = _legacy_file(tmp_path, "bad.csv", [GOOD_ROW, bad, one_party])
    code, _, err = run(path)
    assert code == 1 and "2 of 3 rows rejected" in err
    before = state()
    for args in ([], ["--strict"]):
        code, out, err = run(path, *args)
        assert code == 1, (args, out, err)
        assert "already imported as release" in out + err
        assert "Year of order '19x6' is not a year" in err and "2 of 3 rows (listed above)" in err
        assert ("--strict, so nothing was written" in err) == bool(args)
        assert state() == before
    clean = _legacy_file(tmp_path, "clean.csv", [GOOD_ROW.replace("Roland", "Crotale")])
    assert run(clean)[0] == 0
    code, out, _ = run(clean)
    assert code == 0 and "nothing to do" in out
    code, out, _ = run(clean, "--strict")
    assert code == 0 and "nothing to do" in out


@pytest.mark.django_db
def test_party_names_that_spell_a_code_or_no_letter_do_not_merge_parties(countries, tmp_path):
    """An adversarial pass: `RUS*` (a non-state group by SIPRI's mark) became Russia, `840`
    the United States (an ISO number), and `!!!*` and `???*` one actor."""
    rows = [
        GOOD_ROW.replace("Qatar,France", "RUS*,France"),
        GOOD_ROW.replace("Qatar,France", "Хезболла*,France").replace("Roland", "Crotale"),
        GOOD_ROW.replace("Qatar,France", "Хамас*,France").replace("Roland", "Mistral"),
        GOOD_ROW.replace("Qatar,France", "840,France").replace("Roland", "Rapier"),
        GOOD_ROW.replace("Qatar,France", "!!!*,France").replace("Roland", "Javelin"),
        GOOD_ROW.replace("Qatar,France", "???*,France").replace("Roland", "Starstreak"),
    ]
    path = _legacy_file(tmp_path, "parties.csv", rows)
    code, _, err = run(path)
    first = 13  # the header's 12 lines
    assert code == 1 and "3 of 6 rows rejected" in err, err
    for line, name in [(first + 3, "840"), (first + 4, "!!!*"), (first + 5, "???*")]:
        assert f"line {line}: Recipient {name!r} names no party" in err, err
    russia = Actor.objects.get(code="RUS")
    assert "RUS*" not in russia.aliases and not Contract.objects.filter(recipient=russia).exists()
    group = Contract.objects.get(title__startswith="Roland").recipient
    assert (group.kind, group.name, group.code) == (Actor.Kind.NON_STATE, "RUS", "rus-non-state")
    two = {Contract.objects.get(title__startswith=s).recipient for s in ("Crotale", "Mistral")}
    assert len(two) == 2 and {a.name for a in two} == {"Хезболла", "Хамас"}
    assert not Contract.objects.filter(recipient__code="USA").exists()


@pytest.mark.django_db
def test_an_export_older_than_an_imported_release_of_its_format_is_refused(countries, tmp_path):
    """An older export imported after a newer one put its older figures over the newer ones
    without a word. Now it is refused, naming the newer release, and nothing is written;
    --allow-older imports it. Another format's release is not compared with."""

    def export(name, generated, ordered):
        text = LEGACY.read_bytes().decode("latin-1").replace("Data generated: 3 Mar 2026", generated)
        path = tmp_path / name
        path.write_bytes(
            text.replace("Turkiye,Germany,1998,,4,,MEKO-200", f"Turkiye,Germany,1998,,{ordered},,MEKO-200").encode(
                "latin-1"
            )
        )
        return path

    def meko():
        return Transfer.objects.get(system__designation="MEKO-200").quantity_ordered

    newer, older = (
        export("newer.csv", "Data generated: 1 Jun 2026", 6),
        export("older.csv", "Data generated: 2 Mar 2025", 5),
    )
    assert run(newer)[0] == 1 and meko() == 6  # (the sample's own bad rows)
    before = state()
    for args in ([], ["--reimport"], ["--strict"]):
        code, out, err = run(older, *args)
        assert code == 1 and "data generated 2025-03-02, older than release" in err, (args, out, err)
        assert "(legacy, data generated 2026-06-01" in err and "--allow-older imports it anyway" in err
        assert state() == before and meko() == 6
    code, out, _ = run(older, "--allow-older")
    assert "1 updated" in out and meko() == 5, out
    # The by-delivery-year export of February 2026 meets no release of its own format.
    assert "older than release" not in run(NEW)[2]


@pytest.mark.django_db
def test_a_cell_with_a_control_character_is_refused_by_line(countries, tmp_path):
    """An adversarial pass: an escape code in a party's or a system's name was stored and
    replayed by every terminal and log that printed it."""
    rows = [
        GOOD_ROW.replace("Qatar", "Qatar\x1b[2J"),
        GOOD_ROW.replace("Roland", "Rol\x07and"),
        GOOD_ROW.replace("Roland", "Crotale"),
    ]
    code, _, err = run(_legacy_file(tmp_path, "controls.csv", rows))
    assert code == 1 and "2 of 3 rows rejected" in err, err
    assert "line 13: holds a control character (U+001B)" in err and "line 14: holds a control character (U+0007)" in err
    assert Contract.objects.get().title.startswith("Crotale") and not Actor.objects.filter(name__contains="\x1b")


@pytest.mark.django_db
def test_an_interrupted_import_says_what_is_kept_without_a_traceback(countries, monkeypatch):
    """Ctrl-C during an import printed a traceback; what was written and what to do was left
    to guess. The command now says both, and exits 130 as an interrupted command does."""
    from transfers.management.commands import import_sipri

    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(import_sipri, "sipri_import", interrupted)
    with pytest.raises(CommandError) as raised:
        call_command("import_sipri", str(LEGACY), stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 130
    assert "interrupted. Deals written so far are kept, each whole; run the same command again" in str(raised.value)
    with pytest.raises(CommandError) as raised:
        call_command("import_sipri", str(LEGACY), "--strict", stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 130 and "interrupted. Nothing was written (--strict" in str(raised.value)


# --- Found by an adversarial pass with files as spreadsheets and users leave them --------------


@pytest.mark.django_db
def test_trailing_separators_blank_rows_and_a_users_own_column_are_not_sipris_rows(countries, tmp_path):
    """A spreadsheet saves a row with trailing separators and an empty row as separators only;
    a user adds a column of notes after SIPRI's. Every row was rejected for its column count
    (and blank rows for an empty Recipient), and the release recorded as partial."""
    header = LEGACY.read_bytes().decode("latin-1").splitlines()[:12]
    header[-1] += ",My notes"
    rows = [GOOD_ROW + ",", "," * 15, GOOD_ROW.replace("Qatar", "Oman") + ",checked by hand", " , , "]
    path = tmp_path / "resaved.csv"
    path.write_text("\n".join([*header, *rows]), encoding="utf-8")
    code, out, err = run(path)
    assert code == 0, err
    assert "deals 2, rejected 0" in out and "columns after SIPRI's, not read: 'My notes'" in out
    assert set(Contract.objects.values_list("recipient__code", flat=True)) == {"QAT", "OMN"}
    # Cells past SIPRI's columns that no header names are still refused, by their line.
    code, out, err = run(_legacy_file(tmp_path, "more.csv", [GOOD_ROW.replace("1986", "1990") + ",x,y"]))
    assert code == 1 and "line 13: expected 16 columns, found 18" in err


@pytest.mark.django_db
def test_a_deals_rows_sorted_apart_are_one_deal_and_rows_that_disagree_are_refused(countries, tmp_path):
    """The newer export sorted by delivery year in a spreadsheet parts a deal's rows: its later
    rows were refused and the deal stored with its first year only. Rows of one deal that
    disagree on what is the deal's (its status, order date, TIV), or figures without a year,
    were read silently from the first row."""
    tor = NEW.read_text(encoding="latin-1").splitlines()[12:14]
    other = "40001,France,Qatar,Roland,mobile SAM system,Air-defence systems,1986,No,3,No,2006,No,New,1,10,30,No;"
    code, out, err = run(_new_file(tmp_path, "sorted.csv", [tor[0], other, tor[1]]))
    assert code == 0, err
    deal = Transfer.objects.get(system__slug="tor-m1")
    assert deal.delivery_years == [2006, 2007] and deal.quantity_delivered == 29
    assert deal.tiv_delivered == Decimal("362.5")

    other_status = tor[1].replace(",New,", ",Second hand,")
    no_year = "40002,France,Qatar,Roland,mobile SAM system,Air-defence systems,1987,No,3,No,,No,New,1,10,30,No;"
    rows = [tor[0], other_status, no_year.replace(",3,No,,", ",,No,2007,"), no_year]
    code, out, err = run(_new_file(tmp_path, "disagree.csv", rows))
    assert code == 1
    assert "line 13: line 14 has deal id 31785 but Status 'Second hand', where line 13 has 'New'" in err, err
    assert "line 15: line 16: Numbers delivered or TIV delivery values without a Delivery year" in err, err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.replace("Supplier,Recipient", "Recipient,Supplier"), "column 2 is 'Recipient' where SIPRI's"),
        (lambda h: h.replace(",Local production;", ";"), "'Local production' is missing"),
    ],
)
@pytest.mark.django_db
def test_a_header_changed_names_its_first_different_column(countries, tmp_path, change, message):
    lines = NEW.read_text(encoding="latin-1").splitlines()
    lines[11] = change(lines[11])
    path = tmp_path / "changed.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = run(path)
    assert code == 1 and message in err, err
    assert Contract.objects.count() == 0


@pytest.mark.django_db
def test_a_header_in_other_case_is_read_and_two_exports_joined_are_refused(countries, tmp_path):
    lines = LEGACY.read_text(encoding="latin-1").splitlines()
    lines[11] = lines[11].replace("status", "Status").replace("Recipient", "RECIPIENT")
    path = tmp_path / "recased.csv"
    path.write_text("\n".join(lines[:14]), encoding="utf-8")
    code, out, err = run(path)
    assert code == 0 and "deals 2, rejected 0" in out, err + out
    joined = tmp_path / "joined.csv"
    joined.write_text("\n".join(lines[:14] + lines[:14]), encoding="utf-8")
    code, out, err = run(joined)
    assert code == 1 and "line 26 is a header again, as on line 12: two exports joined" in err, err


@pytest.mark.django_db
def test_a_file_of_which_no_row_is_read_records_no_release(countries, tmp_path):
    from transfers.models import Release

    code, out, err = run(_legacy_file(tmp_path, "bad.csv", ["Qatar;France;1986", "Oman;France;1987"]))
    assert code == 1 and "none of its 2 rows could be read (line 13: expected 16 columns, found 1" in err, err
    assert not Release.objects.exists() and not Source.objects.exists()


@pytest.mark.django_db
def test_a_party_in_capitals_or_with_a_curly_apostrophe_is_the_state_sipri_means(db, tmp_path):
    """Without the countries loaded, `RUSSIA` in one row became a party of its own (kind
    other) that `Russia` in every other row was then taken for; `Cote d’Ivoire` with a curly
    apostrophe became a second Côte d'Ivoire."""
    rows = [
        GOOD_ROW.replace("Qatar,France", "Iran,RUSSIA"),
        GOOD_ROW.replace("Qatar,France", "Syria,Russia").replace("1986", "1990"),
        GOOD_ROW.replace("Qatar", "Cote d’Ivoire"),
        GOOD_ROW.replace("Qatar", "Cote d'Ivoire").replace("1986", "1991"),
        GOOD_ROW.replace("France", "UNKNOWN SUPPLIER(S)"),
    ]
    code, out, err = run(_legacy_file(tmp_path, "case.csv", rows))
    assert code == 0, err
    suppliers = dict(Contract.objects.values_list("recipient__name", "supplier__code").distinct())
    assert suppliers["Iran"] == suppliers["Syria"] == "RUS", suppliers
    assert set(Contract.objects.filter(supplier__code="FRA").values_list("recipient__code", flat=True)) == {"CIV"}
    assert Contract.objects.filter(supplier__code="unknown-supplier").count() == 1
    assert not Actor.objects.filter(kind=Actor.Kind.OTHER).exists()
