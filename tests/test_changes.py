"""The change feed (#15): every change to every record, with a cursor; a client that
applies it from the start holds what the API returns, and no change is missed or
repeated across pages, even while writes happen."""

import datetime
import io
import random
import re
import shlex
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from transfers.models import Actor, Change, Claim, Contract, Release

DATA = Path(__file__).parent / "data"
EARLIER = DATA / "sipri-release-2025-03-sample.csv"
LATER = DATA / "sipri-release-2026-05-sample.csv"

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="transactions in progress side by side need PostgreSQL"
)


def feed(api, since=None, limit=None, **params):
    """Every change after `since`, page by page: (entries, last cursor)."""
    entries, cursor = [], since
    while True:
        query = {**params, **({"since": cursor} if cursor else {}), **({"limit": limit} if limit else {})}
        response = api.get("/api/changes/", query)
        assert response.status_code == 200, response.content
        page = response.json()
        entries += page["results"]
        if page["results"]:
            assert page["cursor"] == page["results"][-1]["cursor"]
        elif cursor and cursor[0].isdigit() and "T" not in cursor:
            assert page["cursor"] == cursor  # nothing new: the same cursor
        cursor = page["cursor"]
        if not page["more"]:
            return entries, cursor


def import_file(path):
    call_command("import_sipri", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def all_pages(api, url, **params):
    rows, offset = [], 0
    while True:
        page = api.get(url, {**params, "limit": 1000, "offset": offset}).json()
        rows += page["results"]
        offset += 1000
        if offset >= page["count"]:
            return rows


# Committed, as a client sees them: the feed serves the changes of transactions that ended.
@pytest.mark.django_db(transaction=True)
def test_the_feed_replays_to_the_register_the_api_returns(seed, admin_user):
    call_command("load_countries", verbosity=0)
    import_file(EARLIER)
    import_file(LATER)
    editor = APIClient()
    editor.force_authenticate(admin_user)
    tor = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    assert editor.patch(f"/api/contracts/{tor.pk}/", {"status": "completed"}, format="json").status_code == 200
    claim = Claim.objects.filter(contract=tor).first()
    assert editor.delete(f"/api/claims/{claim.pk}/").status_code == 204

    api = APIClient()
    entries, cursor = feed(api, limit=37)
    # Each change once, in a stable order, as many as the history tables hold.
    assert len({e["cursor"] for e in entries}) == len(entries) == Change.objects.count()
    assert feed(api, limit=1000)[0] == entries
    assert feed(api, since=cursor)[0] == []

    # Replayed from the start: the records the API returns, with their values.
    state = {}
    for entry in entries:
        if entry["kind"] == "deleted":
            state.pop((entry["record_type"], entry["id"]), None)
        else:
            state[(entry["record_type"], entry["id"])] = entry["values"]
    contracts = all_pages(api, "/api/contracts/", absent="include")
    assert {pk for kind, pk in state if kind == "contract"} == {c["id"] for c in contracts}
    for contract in contracts:
        values = state[("contract", contract["id"])]
        assert (values["reference"], values["status"]) == (contract["reference"], contract["status"])
    transfers = all_pages(api, "/api/transfers/", absent="include")
    assert {pk for kind, pk in state if kind == "transfer"} == {t["id"] for t in transfers}
    for row in transfers:
        values = state[("transfer", row["id"])]
        assert (values["quantity_ordered"], values["tiv_order"], values["comments"]) == (
            row["quantity_ordered"],
            row["tiv_order"],
            row["comments"],
        )
    claims = all_pages(api, "/api/claims/")
    assert {pk for kind, pk in state if kind == "claim"} == {c["id"] for c in claims}
    assert {pk for kind, pk in state if kind == "actor"} == set(Actor.objects.values_list("pk", flat=True))

    # What each change says: its kind, key, channel, and for imports the release.
    assert {e["channel"] for e in entries} >= {"fixture", "import", "api"}
    edit = [e for e in entries if e["record_type"] == "contract" and e["channel"] == "api"]
    assert [(e["kind"], e["key"], e["values"]["status"]) for e in edit] == [
        ("updated", "rus-irn-2005-tor-m1", "completed")
    ]
    deleted = [e for e in entries if e["kind"] == "deleted"]
    assert [(e["record_type"], e["id"], e["key"]) for e in deleted] == [("claim", claim.pk, claim.key)]
    earlier, later = Release.objects.order_by("pk")
    imported = [e for e in entries if e["channel"] == "import" and e["record_type"] == "contract"]
    assert {e["release"] for e in imported} == {earlier.pk, later.pk}
    absent = [e for e in imported if e["values"]["absent_from_id"] is not None]
    assert {e["values"]["absent_from_id"] for e in absent} == {later.pk} and all(e["kind"] == "updated" for e in absent)
    assert all(e["release"] is None for e in entries if e["channel"] != "import")

    # Only some record types, and a cursor from another page of the feed.
    claims_only, _ = feed(api, record_type="claim,source")
    assert {e["record_type"] for e in claims_only} == {"claim", "source"}
    middle = entries[len(entries) // 2]["cursor"]
    assert feed(api, since=middle)[0] == entries[len(entries) // 2 + 1 :]


@pytest.mark.django_db
def test_bad_feed_parameters_are_a_400():
    api = APIClient()
    for params, name in [
        ({"since": "yesterday"}, "since"),
        ({"since": "1.2.3"}, "since"),
        ({"since": "-1.0"}, "since"),
        # Digits of other scripts are no cursor (an adversarial pass: `\d` took them).
        ({"since": "\u0660.\u0660"}, "since"),
        ({"since": "\uff10.\uff10"}, "since"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"since": "2026-13-40T00:00:00Z"}, "since"),
        ({"record_type": "planet"}, "record_type"),
        ({"limit": "0"}, "limit"),
        ({"offset": "10"}, "offset"),
        # Past the feed's end: no answer gave it, and a client would wait there past every change.
        ({"since": "999999999999999999.999999999999999999"}, "since"),
    ]:
        response = api.get("/api/changes/", params)
        assert response.status_code == 400, (params, response.content)
        assert name in response.json()
    assert api.get("/api/changes/", {"since": "0.0"}).status_code == 200  # as the two above, in ASCII
    assert api.post("/api/changes/", {}).status_code in (401, 403, 405)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/changes/"]["get"]
    assert {"since", "record_type", "limit"} <= {p["name"] for p in operation["parameters"]}
    assert {"200", "400"} <= set(operation["responses"])


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_served_in_order_not_skipped():
    api = APIClient()
    _, cursor = feed(api)
    written, go = threading.Event(), threading.Event()

    def slow():
        try:
            with transaction.atomic():
                Actor.objects.create(code="slow-writer", name="Slow", kind="other")
                written.set()
                go.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow)
    thread.start()
    assert written.wait(30)
    # Written after the slow transaction's change, committed before it.
    Actor.objects.create(code="fast-writer", name="Fast", kind="other")
    assert Actor.objects.filter(code="fast-writer").exists()
    # An id cursor would serve the fast change now and then step over the slow one.
    entries, waiting = feed(api, since=cursor)
    assert entries == [] and waiting == cursor
    go.set()
    thread.join(30)
    entries, _ = feed(api, since=cursor)
    assert [e["key"] for e in entries] == ["slow-writer", "fast-writer"]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_paging_while_writes_happen_misses_and_repeats_nothing():
    api = APIClient()
    _, cursor = feed(api)
    done = threading.Event()
    codes = [[f"w{writer}-{n}" for n in range(12)] for writer in range(3)]

    def writer(own):
        try:
            for code in own:
                with transaction.atomic():
                    Actor.objects.create(code=code, name=code, kind="other")
                    time.sleep(random.random() * 0.03)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(own,)) for own in codes]
    for thread in threads:
        thread.start()
    seen = []
    while not done.is_set():
        if not any(thread.is_alive() for thread in threads):
            done.set()  # one more round after the last write
        entries, cursor = feed(api, since=cursor, limit=3)
        seen += [e["key"] for e in entries]
        time.sleep(0.005)
    for thread in threads:
        thread.join(30)
    seen += [e["key"] for e in feed(api, since=cursor)[0]]
    assert sorted(seen) == sorted(code for own in codes for code in own)


@pytest.mark.django_db(transaction=True)
def test_the_readme_feed_command(seed):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = next(
        b
        for b in re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
        if b.startswith("# Everything since the last cursor")
    )
    url = shlex.split(block.strip().splitlines()[-1])[-1].replace("http://127.0.0.1:8000", "")
    page = APIClient().get(url).json()
    assert len(page["results"]) == Change.objects.count() == 36 and not page["more"]
    assert page["cursor"] == page["results"][-1]["cursor"]
    assert {e["channel"] for e in page["results"]} == {"fixture"}


@pytest.mark.django_db
def test_migrate_puts_back_a_history_tables_lost_trigger():
    # SQLite rebuilds a table for many schema changes, and its triggers go with it.
    table = Actor.history.model._meta.db_table
    with connection.cursor() as cursor:
        on = f' ON "{table}"' if connection.vendor == "postgresql" else ""
        cursor.execute(f'DROP TRIGGER "transfers_change_actor"{on}')
    Actor.objects.create(code="unfed", name="Unfed", kind="other")
    assert not Change.objects.filter(record_type="actor", history_id=Actor.history.latest("history_id").history_id)
    call_command("migrate", verbosity=0)
    Actor.objects.create(code="fed", name="Fed", kind="other")
    entry = Actor.history.get(code="fed")
    assert Change.objects.filter(record_type="actor", history_id=entry.history_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_feed_starts_at_a_date_and_time(seed):
    api = APIClient()
    moment = timezone.now()
    Actor.objects.create(code="after-moment", name="After", kind="other")
    entries, cursor = feed(api, since=moment.isoformat())
    assert [e["key"] for e in entries] == ["after-moment"]
    naive = moment.replace(tzinfo=None).isoformat()  # read as UTC
    assert [e["key"] for e in feed(api, since=naive)[0]] == ["after-moment"]
    # Nothing since: the answer waits at the end, and goes on from there.
    later, end = feed(api, since=(moment + datetime.timedelta(days=1)).isoformat())
    assert later == [] and end == cursor
    Actor.objects.create(code="next", name="Next", kind="other")
    assert [e["key"] for e in feed(api, since=end)[0]] == ["next"]
