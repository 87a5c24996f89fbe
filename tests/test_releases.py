"""Releases (#15): each import of a SIPRI export is a release; what changed between two
releases; deals a newer release lacks. Small sample releases written for these tests."""

import csv
import io
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from transfers.models import Claim, Contract, Delivery, Release, Transfer

from .conftest import shared_data_fixtures

DATA = Path(__file__).parent / "data"
EARLIER = DATA / "sipri-release-2025-03-sample.csv"
LATER = DATA / "sipri-release-2026-05-sample.csv"
BY_YEAR = DATA / "sipri-by-delivery-year-sample.csv"


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_sipri", str(path), *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)


def state():
    return {m.__name__: (m.objects.count(), m.history.count()) for m in [Contract, Transfer, Delivery, Claim]} | {
        "releases": Release.objects.count()
    }


def _import_two_releases():
    call_command("load_countries", verbosity=0)
    assert run(EARLIER, "--user", "analyst")[0] == 0
    code, out, _ = run(LATER, "--user", "analyst")
    assert code == 0
    return out


two_releases, _two_releases_shared_by_module = shared_data_fixtures(
    "two_releases", _import_two_releases, "The earlier sample release imported, then the later one."
)


@pytest.fixture
def api():
    return APIClient()


def changes(api, release, **params):
    response = api.get(f"/api/releases/{release}/changes/", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_designation(rows):
    return {(row["change"], row["designation"], row["values"]["quantity_ordered"]): row for row in rows}


def test_each_import_records_a_release_with_its_counts(two_releases, api, django_user_model):
    out = two_releases
    assert "matched to release" in out
    assert "3 exactly, 3 by a weaker rule, 2 ambiguous (left unmatched)" in out
    assert "deals added 1, dropped 3 (marked absent, not deleted)" in out
    rows = api.get("/api/releases/").json()["results"]
    # Who ran an import is an editor's name: not for anonymous readers (an adversarial pass).
    assert [(r["format"], r["generated"], r["deals"], r["imported_by"]) for r in rows] == [
        ("legacy", "2025-03-13", 9, None),
        ("legacy", "2026-05-18", 9, None),
    ]
    editor = APIClient()
    editor.force_authenticate(django_user_model.objects.create_superuser("releases-editor", "", "pw-12345-x"))
    assert [r["imported_by"] for r in editor.get("/api/releases/").json()["results"]] == ["analyst", "analyst"]
    reader = APIClient()
    reader.force_authenticate(django_user_model.objects.create_user("releases-reader", "", "pw-12345-x"))
    assert [r["imported_by"] for r in reader.get("/api/releases/").json()["results"]] == [None, None]
    earlier, later = rows
    assert later["previous"] == earlier["id"] and earlier["previous"] is None
    assert (later["rows"], later["rejected"]) == (9, 0)
    assert (later["matched_exact"], later["matched_weaker"], later["ambiguous"]) == (3, 3, 2)
    assert (later["added"], later["dropped"]) == (1, 3)
    # What the import did to the register: 3 new contracts (HQ-17A, and the two ambiguous
    # Roland rows, never guessed onto the earlier ones), 4 updated, 2 as they were.
    assert (later["created"], later["updated"], later["unchanged"], later["kept"]) == (3, 4, 2, 0)
    assert len(later["sha256"]) == 64 and later["file_name"] == LATER.name
    assert later["source"] == "sipri-legacy-2026-05-18"
    detail = api.get(f"/api/releases/{later['id']}/")
    assert detail.status_code == 200 and detail.json() == later
    assert api.get("/api/releases/", {"generated_from": 2026}).json()["count"] == 1
    assert api.get("/api/releases/", {"file_format": "by-delivery-year"}).json()["count"] == 0
    assert api.get("/api/releases/", {"ordering": "-generated"}).json()["results"][0]["id"] == later["id"]


def test_reimporting_a_recorded_file_is_a_no_op_that_says_so(two_releases):
    before = state()
    for path in (EARLIER, LATER):
        code, out, _ = run(path)
        assert code == 0
        assert "already imported as release" in out and "nothing to do" in out
    assert state() == before


def test_the_diff_lists_added_dropped_and_revised_deals_field_by_field(two_releases, api):
    earlier, later = Release.objects.order_by("pk")
    data = changes(api, later.pk, since=earlier.pk)
    assert data["counts"] == {"added": 3, "dropped": 3, "revised": 4}
    assert data["count"] == 10
    rows = by_designation(data["results"])
    # A deal whose TIV changed: old and new.
    missiles = rows[("revised", "9M338", 750)]
    assert missiles["fields"] == [
        {"field": "tiv_per_unit", "old": "0.06", "new": "0.07"},
        {"field": "tiv_order", "old": "45", "new": "52.5"},
        {"field": "tiv_delivered", "old": "45", "new": "52.5"},
    ]
    assert missiles["supplier"] == "RUS" and missiles["recipient"] == "IRN" and missiles["match"] == "exact"
    # Rows sharing supplier, recipient, order year and designation, reshuffled: told apart
    # by their numbers and comments, each compared with itself.
    assert rows[("revised", "T-33A Shooting Star", 30)]["fields"][0] == {
        "field": "tiv_per_unit",
        "old": "2.5",
        "new": "2.6",
    }
    assert rows[("revised", "T-33A Shooting Star", 384)]["fields"] == [
        {"field": "description", "old": "trainer aircraft", "new": "(armed) trainer aircraft"}
    ]
    assert rows[("revised", "T-33A Shooting Star", 384)]["match"] == "weaker"
    # A designation spelled otherwise is the same deal (matched by a weaker rule).
    assert rows[("revised", "DA-42", 3)]["fields"] == [{"field": "designation", "old": "DA42", "new": "DA-42"}]
    assert ("added", "HQ-17A", 2) in rows and ("dropped", "T-55", 500) in rows
    # Two rows that could each be either earlier row: not guessed, listed as added and dropped.
    assert rows[("added", "Roland", 210)]["match"] == "ambiguous"
    assert ("dropped", "Roland", 200) in rows and ("dropped", "Roland", 3) in rows
    # Unchanged deals are not listed.
    assert not [r for r in data["results"] if r["designation"] == "Tor-M1"]
    totals = {t["supplier"]: t for t in data["totals"]}
    assert totals["RUS"] == {
        "supplier": "RUS",
        "added": 0,
        "dropped": 0,
        "revised": 1,
        "tiv_added": "0",
        "tiv_removed": "0",
        "tiv_revised": "7.5",
    }
    assert totals["CHN"]["tiv_added"] == "100" and totals["SUN"]["tiv_removed"] == "250"
    assert (totals["FRA"]["tiv_added"], totals["FRA"]["tiv_removed"]) == ("65.2", "54")

    # The other way round, added and dropped swap.
    back = changes(api, earlier.pk, since=later.pk)
    assert back["counts"] == {"added": 3, "dropped": 3, "revised": 4}


def test_the_diff_filters_and_pages(two_releases, api):
    earlier, later = Release.objects.order_by("pk")
    only_rus = changes(api, later.pk, since=earlier.pk, supplier="rus")
    assert [r["designation"] for r in only_rus["results"]] == ["9M338"]
    assert changes(api, later.pk, since=earlier.pk, recipient="IRN,SRB")["counts"] == {
        "added": 1,
        "dropped": 0,
        "revised": 1,
    }
    assert changes(api, later.pk, since=earlier.pk, category="aircraft")["counts"]["revised"] == 3
    tiv = changes(api, later.pk, since=earlier.pk, field="tiv_order")
    assert tiv["counts"] == {"added": 0, "dropped": 0, "revised": 2}
    assert {r["designation"] for r in tiv["results"]} == {"9M338", "T-33A Shooting Star"}
    assert changes(api, later.pk, since=earlier.pk, change="dropped")["count"] == 3
    first = changes(api, later.pk, since=earlier.pk, limit=4)
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 4 and second["previous"]
    keys = [r["key"] for r in first["results"] + second["results"]]
    assert len(set(keys)) == 8


def test_the_diff_as_csv(two_releases, api):
    earlier, later = Release.objects.order_by("pk")
    response = api.get(f"/api/releases/{later.pk}/changes/", {"since": earlier.pk, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    records = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(records[0])[:3] == ["change", "key", "reference"]
    tiv = [r for r in records if r["designation"] == "9M338" and r["field"] == "tiv_order"]
    assert [(r["change"], r["old"], r["new"]) for r in tiv] == [("revised", "45", "52.5")]
    assert sum(r["change"] == "added" for r in records) == 3
    # Errors stay JSON.
    bad = api.get(f"/api/releases/{later.pk}/changes/", {"format": "csv"})
    assert bad.status_code == 400 and "since" in bad.json()


def test_bad_input_is_a_400_naming_the_parameter(two_releases, api):
    earlier, later = Release.objects.order_by("pk")
    url = f"/api/releases/{later.pk}/changes/"
    for params, name in [
        ({}, "since"),
        ({"since": "abc"}, "since"),
        ({"since": 999999}, "since"),
        # Read as release 1 before: an integer is digits, as the schema says.
        ({"since": f"{earlier.pk}.0"}, "since"),
        ({"since": chr(0xFF10 + earlier.pk)}, "since"),  # a full-width digit
        ({"since": earlier.pk, "field": "price"}, "field"),
        ({"since": earlier.pk, "supplier": "XXX"}, "supplier"),
        ({"since": earlier.pk, "change": "moved"}, "change"),
        ({"since": earlier.pk, "limit": "x"}, "limit"),
        ({"since": earlier.pk, "suplier": "RUS"}, "suplier"),
    ]:
        response = api.get(url, params)
        assert response.status_code == 400, (params, response.content)
        assert name in response.json(), (params, response.json())
    assert api.get("/api/releases/abc/changes/", {"since": earlier.pk}).status_code == 404
    assert api.get("/api/releases/99999999999999999999/").status_code == 404
    assert api.get("/api/releases/", {"format": "csv"}).status_code == 400
    assert api.get("/api/releases/", {"search": "x"}).status_code == 400
    assert api.post("/api/releases/", {}).status_code in (401, 403, 405)
    run(BY_YEAR)  # a sample with bad rows: the good ones are imported
    by_year = Release.objects.get(format="by-delivery-year")
    response = api.get(url, {"since": by_year.pk})
    assert response.status_code == 400 and "compare releases of one format" in response.json()["since"][0]


def test_a_deal_the_newer_release_lacks_is_marked_absent_not_deleted(two_releases, api):
    earlier, later = Release.objects.order_by("pk")
    t55 = Contract.objects.get(transfers__system__designation="T-55")
    assert t55.absent_from == later
    assert t55.claims.exists() and t55.transfers.exists()
    entry = t55.history.order_by("-history_date", "-history_id").first()
    assert entry.absent_from_id == later.pk and entry.history_change_reason.startswith("SIPRI import")
    assert Contract.objects.filter(absent_from=later).count() == 3
    # Still in the API, with its history.
    assert api.get(f"/api/contracts/{t55.pk}/history/").status_code == 200


def test_the_register_hides_absent_deals_unless_asked(two_releases, api, tmp_path):
    later = Release.objects.order_by("pk").last()
    designations = lambda rows: sorted(r["system"]["designation"] for r in rows)  # noqa: E731
    shown = api.get("/api/transfers/", {"limit": 100}).json()
    assert shown["count"] == 9 and "T-55" not in designations(shown["results"])
    everything = api.get("/api/transfers/", {"absent": "include", "limit": 100}).json()
    assert everything["count"] == 12
    only = api.get("/api/transfers/", {"absent": "only"}).json()
    assert designations(only["results"]) == ["Roland", "Roland", "T-55"]
    assert api.get("/api/transfers/", {"absent": "only", "format": "csv"}).status_code == 200
    contracts = api.get("/api/contracts/", {"absent": "only"}).json()
    assert contracts["count"] == 3 and {c["absent_from"] for c in contracts["results"]} == {later.pk}
    csv_text = api.get("/api/contracts/", {"absent": "only", "format": "csv"})
    assert f",{later.pk}" in b"".join(csv_text.streaming_content).decode()
    assert api.get("/api/contracts/").json()["count"] == 9
    assert api.get("/api/contracts/", {"absent": "include"}).json()["count"] == 12
    # The summary, under the same filter, whichever way it is computed.
    for params in ({}, {"supplier": "SUN"}, {"category": "armoured-vehicles"}):
        rows = api.get("/api/transfers/summary/", {"group_by": "supplier", **params}).json()
        assert "SUN" not in {r["group"]["supplier"]["code"] for r in rows}, params
        rows = api.get("/api/transfers/summary/", {"group_by": "supplier", "absent": "only", **params}).json()
        assert {r["group"]["supplier"]["code"] for r in rows} <= {"SUN", "FRA"}, params
    bad = api.get("/api/transfers/", {"absent": "maybe"})
    assert bad.status_code == 400 and "absent" in bad.json()
    # The register's copy of the mark follows its contract.
    t55 = Transfer.objects.get(system__designation="T-55")
    assert t55.cached_absent_from_id == later.pk
    # A deal back in a later release is shown again.
    text = EARLIER.read_bytes().decode("latin-1").replace("13 Mar 2025", "1 Jun 2026")
    again = tmp_path / "again.csv"
    again.write_bytes(text.encode("latin-1"))
    assert run(again)[0] == 0
    t55.refresh_from_db()
    assert t55.cached_absent_from_id is None and t55.contract.absent_from is None
    assert "T-55" in designations(api.get("/api/transfers/", {"limit": 100}).json()["results"])


def test_the_admin_shows_releases_read_only(two_releases, admin_client):
    release = Release.objects.order_by("pk").last()
    listing = admin_client.get("/admin/transfers/release/")
    assert listing.status_code == 200 and release.file_name in listing.content.decode()
    page = admin_client.get(f"/admin/transfers/release/{release.pk}/change/")
    assert page.status_code == 200
    assert b'name="sha256"' not in page.content and release.sha256.encode() in page.content
    assert admin_client.get("/admin/transfers/release/add/").status_code == 403
    assert admin_client.post(f"/admin/transfers/release/{release.pk}/delete/").status_code == 403


def test_the_contract_admin_shows_which_release_a_deal_is_absent_from(two_releases, admin_client):
    later = Release.objects.order_by("pk").last()
    t55 = Contract.objects.get(transfers__system__designation="T-55")
    page = admin_client.get(f"/admin/transfers/contract/{t55.pk}/change/").content.decode()
    assert "Absent from" in page and str(later) in page
    assert 'name="absent_from"' not in page  # set by imports only
    absent = admin_client.get("/admin/transfers/contract/?absent_from__isempty=0").content.decode()
    present = admin_client.get("/admin/transfers/contract/?absent_from__isempty=1").content.decode()
    assert t55.reference in absent and t55.reference not in present
    assert "3 contracts" in absent


def test_the_schema_documents_the_releases(db, api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/releases/{id}/changes/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"since", "supplier", "recipient", "category", "field", "change", "limit", "offset"} <= names
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert "/api/releases/" in schema["paths"]


def test_the_readme_spring_commands(db, api):
    """The README's block for a new release, as written but for the file and the ids."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = next(
        b for b in re.findall(r"```sh\n(.*?)```", readme, flags=re.S) if b.startswith("# Import the new release")
    )
    call_command("load_countries", verbosity=0)
    assert run(EARLIER)[0] == 0
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert commands[0] == ".venv/bin/python manage.py import_sipri trade-register-2026.csv"
    code, out, _ = run(LATER)
    assert code == 0 and "matched to release" in out
    earlier, later = Release.objects.order_by("pk")
    for command in commands[1:]:
        url = shlex.split(command)[-1].replace("http://127.0.0.1:8000", "")
        url = url.replace("/releases/2/", f"/releases/{later.pk}/").replace("since=1", f"since={earlier.pk}")
        response = api.get(url)
        assert response.status_code == 200, (url, response.content)
    assert "9M338" in response.content.decode() or "T-55" in response.content.decode()


def test_newer_format_releases_match_on_the_deal_id(db, api, tmp_path):
    call_command("load_countries", verbosity=0)
    first = DATA / "sipri-by-delivery-year-2026-02-sample.csv"
    assert run(first)[0] == 0
    text = first.read_text().replace("Data generated: 12 Feb 2026", "Data generated: 9 Mar 2026")
    # Tor-M1: a delivery revised; the HQ-17A deal dropped; the designation of the DA-42 respelt.
    text = text.replace("2005,No,14,Yes,2007,No,New,12.5,12.5,175", "2005,No,13,Yes,2007,No,New,12.5,12.5,162.5")
    text = "".join(line for line in text.splitlines(True) if not line.startswith("67384,"))
    text = text.replace("56950,Austria,Argentina,DA-42,", "56950,Austria,Argentina,DA42,")
    newer = tmp_path / "newer.csv"
    newer.write_text(text)
    code, out, _ = run(newer)
    assert code == 0 and "0 by a weaker rule, 0 ambiguous" in out
    earlier, later = Release.objects.order_by("pk")
    assert (later.format, later.matched_exact, later.dropped, later.added) == ("by-delivery-year", 10, 1, 0)
    data = changes(api, later.pk, since=earlier.pk)
    assert data["counts"] == {"added": 0, "dropped": 1, "revised": 2}
    rows = {row["key"]: row for row in data["results"]}
    assert rows["sipri-67384"]["change"] == "dropped"
    assert rows["sipri-31785"]["fields"] == [
        {"field": "delivered", "old": 29, "new": 28},
        {"field": "tiv_delivered", "old": "362.5", "new": "350"},
    ]
    assert rows["sipri-56950"]["fields"] == [{"field": "designation", "old": "DA-42", "new": "DA42"}]
    assert Contract.objects.get(sipri_deal_id="67384").absent_from == later


def _variant(tmp_path, name, *, date="18 May 2026", edit=lambda lines: lines):
    """The later sample as another export: its date, and its lines edited."""
    text = LATER.read_bytes().decode("latin-1").replace("18 May 2026", date)
    path = tmp_path / name
    path.write_bytes("".join(edit(text.splitlines(True))).encode("latin-1"))
    return path


def _data_lines(lines):
    header = next(n for n, line in enumerate(lines) if line.startswith("Recipient,Supplier"))
    return header, lines


@pytest.mark.parametrize(
    "name,edit,why",
    [
        # A row of a deal the earlier release held, rejected: it may be one of the "dropped".
        (
            "rejected",
            lambda ls: [line.replace("Iran,Russia,2005,", "Iran,Russia,20x5,") for line in ls],
            "2 rows rejected",
        ),
        ("header-only", lambda ls: ls[: _data_lines(ls)[0] + 1], "no deals"),
        (
            "russia-only",
            lambda ls: [line.replace("from All countries  to", "from Russia  to") for line in ls],
            "from Russia to All countries only",
        ),
        ("no-preamble", lambda ls: ls[_data_lines(ls)[0] :], "no preamble naming its suppliers and recipients"),
    ],
)
def test_a_partial_export_marks_no_deal_absent_and_is_no_baseline(db, api, tmp_path, name, edit, why):
    """Deals a partial export lacks are not known to be dropped: a rejected row may be one,
    or the export was limited to some countries. Hiding them hid 9 deals after a file whose
    only row was bad."""
    call_command("load_countries", verbosity=0)
    assert run(EARLIER)[0] == 0
    shown = api.get("/api/contracts/").json()["count"]
    code, out, err = run(_variant(tmp_path, f"{name}.csv", edit=edit))
    assert f"partial release ({why}): no deal marked absent" in out, out + err
    assert "(not marked absent)" in out
    earlier, partial = Release.objects.order_by("pk")
    assert partial.partial == why and partial.previous == earlier
    assert api.get(f"/api/releases/{partial.pk}/").json()["partial"] == why
    assert not Contract.objects.filter(absent_from__isnull=False).exists()
    assert api.get("/api/contracts/").json()["count"] >= shown
    # The next whole release is matched against the last whole one, and marks what it lacks.
    code, out, _ = run(_variant(tmp_path, "whole.csv", date="19 May 2026"))
    assert code == 0 and "partial release" not in out
    whole = Release.objects.order_by("pk").last()
    assert whole.partial == "" and whole.previous == earlier and whole.dropped == 3
    assert Contract.objects.filter(absent_from=whole).count() == 3


@pytest.mark.django_db
def test_an_undated_release_is_not_the_baseline_of_dated_ones(api, tmp_path):
    """PostgreSQL sorts no date first in a descending order: an undated release had been
    every later release's previous one."""
    call_command("load_countries", verbosity=0)
    undated = _variant(tmp_path, "undated.csv", edit=lambda ls: [line for line in ls if "Data generated" not in line])
    assert run(undated)[0] == 0
    assert Release.objects.get().generated is None
    assert run(EARLIER)[0] == 0
    assert run(LATER)[0] == 0
    first, earlier, later = Release.objects.order_by("pk")
    assert (earlier.generated.isoformat(), later.generated.isoformat()) == ("2025-03-13", "2026-05-18")
    assert later.previous == earlier and earlier.previous == first


def test_an_export_of_fewer_delivery_years_than_the_last_whole_one_is_partial(db, api, tmp_path):
    """SIPRI's form takes a range of delivery years: an export of 2006-2010 after one of
    every year lacks the deals delivered outside it, which are not dropped."""
    call_command("load_countries", verbosity=0)
    assert run(EARLIER)[0] == 0
    ranged = "year range '2006' to '2010'"
    narrow = _variant(
        tmp_path,
        "narrow.csv",
        edit=lambda ls: [line.replace("year range 'Not specified' to 'Not specified'", ranged) for line in ls],
    )
    code, out, _ = run(narrow)
    earlier, partial = Release.objects.order_by("pk")
    assert partial.partial == f"deliveries 2006-2010 only, where release {earlier.pk} covered every year", out
    assert (partial.years_from, partial.years_to) == (2006, 2010)
    assert api.get(f"/api/releases/{partial.pk}/").json()["years_from"] == 2006
    assert not Contract.objects.filter(absent_from__isnull=False).exists()
    # Releases of one range follow each other as whole ones; a wider one covers a narrower.
    by_year = DATA / "sipri-by-delivery-year-2026-02-sample.csv"
    assert run(by_year)[0] == 0
    text = by_year.read_text().replace("Data generated: 12 Feb 2026", "Data generated: 9 Mar 2026")
    for n, (name, years, partial_reason) in enumerate(
        [
            ("same.csv", "'1995' to '2025'", ""),
            ("wider.csv", "'1990' to '2026'", ""),
            ("narrower.csv", "'2000' to '2026'", "deliveries 2000-2026 only"),
        ]
    ):
        path = tmp_path / name
        path.write_text(text.replace("'1995' to '2025'", years).replace("9 Mar 2026", f"{n + 1} Apr 2026"))
        assert run(path)[0] == 0
        release = Release.objects.order_by("pk").last()
        assert release.partial.startswith(partial_reason) and bool(release.partial) == bool(partial_reason), name
