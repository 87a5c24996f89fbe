"""HTTP caching: ETags made from the data version, 304s without the page's queries, and
Cache-Control that lets shared caches keep anonymous reads only (transfers/http_cache.py).

The data version is bumped by database triggers at commit (PostgreSQL) or at once
(SQLite): tests that write and then read run in committed transactions."""

import threading
import time

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from transfers import data_version
from transfers.api.filters import TransferFilterSet
from transfers.bulk import bulk_insert, new_row
from transfers.models import Actor, Claim, Contract, DataVersion, Source, Transfer

from .test_concurrency import needs_postgres, run_together

committed = pytest.mark.django_db(transaction=True)


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def editor(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("cacher", "", "pw-cacher-123"))
    return client


def seeded():
    call_command("loaddata", "seed", verbosity=0)
    return Contract.objects.get(reference="rus-irn-2005-tor-m1")


def revalidate(client, url, **headers):
    """The first response, and the answer to the same request made conditional on its ETag."""
    first = client.get(url, **headers)
    assert first.status_code == 200, first.content[:300]
    assert first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], **headers)
    return first, second, queries


# --- The data version: bumped by every kind of write -----------------------------------


@pytest.mark.django_db
def test_every_table_of_the_app_but_the_bookkeeping_has_the_trigger():
    tracked = set(data_version.tracked_tables(global_apps))
    assert {"transfers_transfer", "transfers_contract", "transfers_historicaltransfer", "transfers_claim"} <= tracked
    assert not tracked & data_version.UNTRACKED
    assert tracked <= data_version.tables_with_triggers(connection)


@committed
def test_every_kind_of_write_bumps_the_version():
    contract = seeded()
    seen = [data_version.current()]

    def changed():
        seen.append(data_version.current())
        return seen[-1] > seen[-2]

    contract.notes = "saved"
    contract.save()
    assert changed()
    Transfer.objects.filter(contract=contract).update(comments="a queryset update")
    assert changed()
    Actor.objects.bulk_create([Actor(code="ZZA", name="Bulk one", kind="state")])
    assert changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE transfers_actor SET name = 'Raw SQL' WHERE code = 'ZZA'")
    assert changed()
    Actor.objects.filter(code="ZZA").delete()
    assert changed()
    call_command("loaddata", "seed", verbosity=0)  # a fixture load, even of the same rows
    assert changed()
    # The imports' bulk path: COPY on PostgreSQL, multi-row INSERT on SQLite.
    with transaction.atomic():
        bulk_insert(
            Actor,
            [new_row(Actor, code="ZZB", name="Copied in", kind="state", aliases="[]")],
            reason="test",
            history=False,
        )
    assert changed()
    # A transaction that writes several tables bumps it once, at commit.
    with transaction.atomic():
        contract.notes = "in a transaction"
        contract.save()
        Transfer.objects.filter(contract=contract).update(comments="again")
    assert changed()


@committed
def test_reads_and_bookkeeping_writes_do_not_bump_it(anon):
    seeded()
    before = data_version.current()
    for url in ("/api/transfers/", "/api/transfers/summary/", "/api/contracts/", "/"):
        assert anon.get(url).status_code == 200
    assert data_version.current() == before


@committed
def test_a_rolled_back_write_does_not_bump_it_and_a_savepoint_is_followed():
    contract = seeded()
    before = data_version.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        contract.notes = "rolled back"
        contract.save()
        raise RuntimeError
    assert data_version.current() == before
    # The first write rolled back to a savepoint, the second kept: one bump at commit.
    with transaction.atomic():
        try:
            with transaction.atomic():
                contract.notes = "rolled back"
                contract.save()
                raise RuntimeError
        except RuntimeError:
            pass
        contract.notes = "kept"
        contract.save()
    assert data_version.current() > before


@committed
def test_the_version_never_goes_back_even_when_its_row_is_lost():
    contract = seeded()
    contract.save()
    high = data_version.current()
    DataVersion.objects.all().delete()  # as a restore of an old backup, or a flush, would
    contract.save()
    assert data_version.current() > high


# --- 304s ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/transfers/",
        "/api/transfers/?supplier=RUS&ordering=-order_date",
        "/api/transfers/?format=csv",
        "/api/transfers/summary/?group_by=supplier,delivery_year",
        "/api/transfers/summary/?group_by=recipient&format=csv",
        "/api/contracts/rus-irn-2005-tor-m1/",
        "/api/contracts/rus-irn-2005-tor-m1/timeline/",
        "/api/actors/RUS/",
        "/api/claims/",
        "/",
        "/?supplier=RUS",
        "/deals/rus-irn-2005-tor-m1/",
        "/actors/RUS/",
        "/flows/",
        "/search/?search=tor",
    ],
)
def test_a_conditional_get_with_the_current_etag_is_a_304_without_the_page_query(seed, anon, url):
    first, second, queries = revalidate(anon, url)
    assert second.status_code == 304
    assert second.content == b""
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == first["Cache-Control"]
    # The data version, nothing else (throttles are off in tests; on they add one each).
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "transfers_dataversion" in queries[0]["sql"]


@pytest.mark.django_db
def test_head_requests_are_conditional_too(seed, anon):
    etag = anon.get("/api/transfers/")["ETag"]
    assert anon.head("/api/transfers/", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db
def test_another_etag_or_a_weak_or_listed_one(seed, anon):
    etag = anon.get("/api/transfers/")["ETag"]
    assert anon.get("/api/transfers/", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert anon.get("/api/transfers/", HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    assert anon.get("/api/transfers/", HTTP_IF_NONE_MATCH="\x00,,,").status_code == 200


@pytest.mark.django_db
def test_if_none_match_star_is_a_304_when_the_resource_exists(seed, anon):
    """`*` holds for any current representation (RFC 9110, 13.1.2): 304 for a record or list
    that exists, with its ETag; still 404 and 400 for one that does not or a bad request."""
    for url in ("/api/contracts/rus-irn-2005-tor-m1/", "/api/transfers/?supplier=RUS"):
        etag = anon.get(url)["ETag"]
        response = anon.get(url, HTTP_IF_NONE_MATCH="*")
        assert response.status_code == 304 and response["ETag"] == etag, url
    assert anon.get("/api/contracts/no-such-deal/", HTTP_IF_NONE_MATCH="*").status_code == 404
    assert anon.get("/api/transfers/?suplier=RUS", HTTP_IF_NONE_MATCH="*").status_code == 400


@pytest.mark.django_db
def test_the_etag_differs_by_url_format_and_who_asks(seed, anon, editor):
    tags = {
        anon.get("/api/transfers/")["ETag"],
        anon.get("/api/transfers/?supplier=RUS")["ETag"],
        anon.get("/api/transfers/?format=csv")["ETag"],
        anon.get("/api/transfers/", HTTP_ACCEPT="text/csv")["ETag"],
        editor.get("/api/transfers/")["ETag"],
    }
    assert len(tags) == 5
    # One client's ETag is not another's: the anonymous one does not validate an editor's.
    public = anon.get("/api/transfers/")["ETag"]
    assert editor.get("/api/transfers/", HTTP_IF_NONE_MATCH=public).status_code == 200


@pytest.mark.django_db
def test_bad_requests_are_still_400_with_any_if_none_match(seed, anon):
    etag = anon.get("/api/transfers/")["ETag"]
    response = anon.get("/api/transfers/?suplier=RUS", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert anon.get("/api/contracts/99999/", HTTP_IF_NONE_MATCH=etag).status_code == 404


# --- A write is seen on the next request ---------------------------------------------------


@committed
@pytest.mark.parametrize(
    "url",
    [
        "/api/contracts/{pk}/",
        "/api/contracts/",
        "/api/transfers/?format=csv",
        "/api/transfers/summary/?group_by=supplier",
        "/deals/{reference}/",
    ],
)
def test_after_a_write_the_conditional_get_is_a_200_with_the_new_data(anon, editor, url):
    contract = seeded()
    url = url.format(pk=contract.pk, reference=contract.reference)
    first = anon.get(url)
    response = editor.patch(f"/api/contracts/{contract.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 200
    again = anon.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    body = b"".join(again.streaming_content) if again.streaming else again.content
    assert b"completed" in body or url.startswith("/api/transfers/summary/")
    assert anon.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


@committed
def test_a_write_to_a_related_record_changes_the_etag_of_a_list_that_shows_it(anon):
    seeded()
    first = anon.get("/api/transfers/?supplier=RUS")
    Actor.objects.filter(code="IRN").update(name="Iran, renamed")
    assert anon.get("/api/transfers/?supplier=RUS", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@committed
def test_the_count_of_the_whole_register_is_cached_under_the_version(anon):
    contract = seeded()
    with override_settings(API_COUNT_CACHE_SECONDS=300):
        before = anon.get("/api/transfers/").json()["count"]
        Transfer.objects.create(contract=contract, system=contract.transfers.first().system, quantity_ordered=1)
        assert anon.get("/api/transfers/").json()["count"] == before + 1


def actor_lookups(queries):
    return [q["sql"] for q in queries.captured_queries if 'FROM "transfers_actor"' in q["sql"] and "UPPER" in q["sql"]]


@committed
def test_actor_codes_are_looked_up_once_per_data_version(anon):
    seeded()
    url = "/api/transfers/?supplier=RUS&recipient=IRN"
    with CaptureQueriesContext(connection) as first_queries:
        first = anon.get(url)
    assert first.status_code == 200 and first.json()["count"] >= 1
    assert len(actor_lookups(first_queries)) == 1
    # The same codes at the same version: remembered, the same answer.
    with CaptureQueriesContext(connection) as queries:
        again = anon.get("/api/transfers/?recipient=irn&supplier=RUS")
    assert actor_lookups(queries) == [] and again.json() == first.json()
    # A renamed actor changes the version: the old code names nothing, the new one the same rows.
    Actor.objects.filter(code="RUS").update(code="RUX")
    stale = anon.get(url)
    assert stale.status_code == 400 and "RUS" in str(stale.json()["supplier"])
    renamed = anon.get("/api/transfers/?supplier=RUX&recipient=IRN").json()
    assert renamed["count"] == first.json()["count"]
    assert [row["id"] for row in renamed["results"]] == [row["id"] for row in first.json()["results"]]


@committed
def test_codes_are_not_remembered_inside_a_transaction(anon):
    """Inside a transaction, its own writes have not changed the version yet (PostgreSQL
    bumps it at commit): a lookup there is neither answered from nor remembered."""
    seeded()
    assert anon.get("/api/transfers/?supplier=RUS").status_code == 200
    with transaction.atomic():
        Actor.objects.filter(code="RUS").update(code="RUY")
        assert anon.get("/api/transfers/?supplier=RUS").status_code == 400
        assert anon.get("/api/transfers/?supplier=RUY").status_code == 200
        transaction.set_rollback(True)
    assert anon.get("/api/transfers/?supplier=RUS").status_code == 200
    assert anon.get("/api/transfers/?supplier=RUY").status_code == 400


@committed
def test_a_repeated_filtered_list_reads_the_version_and_its_page_only(anon):
    """Throttles off (tests): the data version and the page (on PostgreSQL its ids, then
    their rows by a prepared statement); the codes and the count (cached under the
    version) are not read again."""
    seeded()
    url = "/api/transfers/?supplier=RUS&recipient=IRN&category=air-defence"
    with override_settings(API_COUNT_CACHE_SECONDS=30):
        assert anon.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert anon.get(url).status_code == 200
    page = 2 if connection.vendor == "postgresql" else 1
    assert len(queries) == 1 + page, [q["sql"][:80] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert queries.captured_queries[-1]["sql"].startswith("EXECUTE tracker_rows_")


@committed
def test_a_list_asked_again_is_filtered_once_per_data_version(anon, monkeypatch):
    """Another page of a list, or the same page, at the same version reuses its filtered
    queryset (transfers.api.mixins.FilteredLists); after a write, or in a transaction, it
    is filtered again."""
    contract = seeded()
    filtered = []
    original = TransferFilterSet.filter_queryset

    def counted(self, queryset):
        filtered.append(self.data.get("supplier"))
        return original(self, queryset)

    monkeypatch.setattr(TransferFilterSet, "filter_queryset", counted)
    url = "/api/transfers/?supplier=RUS&ordering=-order_date"
    whole = anon.get(f"{url}&limit=2").json()
    pages = [anon.get(f"{url}&limit=1&offset={offset}").json() for offset in (0, 1)]
    assert filtered == ["RUS"]
    assert len(whole["results"]) == 2
    assert [row["id"] for page in pages for row in page["results"]] == [row["id"] for row in whole["results"]]
    # Other filters or another order: another list.
    assert anon.get("/api/transfers/?supplier=IRN&ordering=-order_date").status_code == 200
    assert anon.get("/api/transfers/?supplier=RUS&ordering=order_date").status_code == 200
    assert filtered == ["RUS", "IRN", "RUS"]
    # A write changes the version: filtered again, and the list shows it.
    Transfer.objects.create(contract=contract, system=contract.transfers.first().system, quantity_ordered=1)
    assert anon.get(f"{url}&limit=2").json()["count"] == whole["count"] + 1
    assert len(filtered) == 4
    with transaction.atomic():
        anon.get(f"{url}&limit=2")
        anon.get(f"{url}&limit=2")
    assert len(filtered) == 6


# --- Who may keep a response ---------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_reads_are_public_for_the_configured_time(seed, anon):
    for url in ("/api/transfers/", "/api/transfers/?format=csv", "/api/contracts/rus-irn-2005-tor-m1/", "/"):
        response = anon.get(url)
        assert response["Cache-Control"] == "public, max-age=60"
        vary = {v.strip() for v in response["Vary"].split(",")}
        assert {"Accept", "Authorization", "Cookie"} <= vary
    with override_settings(HTTP_CACHE_SECONDS=0):
        assert anon.get("/api/transfers/")["Cache-Control"] == "public, max-age=0"


@pytest.mark.django_db
def test_authenticated_reads_are_private_and_writes_and_errors_are_not_stored(seed, anon, editor):
    response = editor.get("/api/transfers/")
    assert response["Cache-Control"] == "private, no-cache"
    etag = response["ETag"]
    assert editor.get("/api/transfers/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # A token, even a wrong one, is never answered from the public entry.
    assert anon.get("/api/transfers/", HTTP_AUTHORIZATION="Token nope")["Cache-Control"] == "no-store"
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    write = editor.patch(f"/api/contracts/{contract.pk}/", {"notes": "x"}, format="json")
    assert write.status_code == 200 and write["Cache-Control"] == "no-store"
    assert anon.patch(f"/api/contracts/{contract.pk}/", {"notes": "x"}, format="json")["Cache-Control"] == "no-store"
    assert anon.get("/api/nothing-here/")["Cache-Control"] == "no-store"
    assert anon.get("/deals/no-such-deal/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_session_user_is_private_on_pages_too(seed, client, admin_user):
    client.force_login(admin_user)
    response = client.get("/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db
def test_if_match_takes_the_etag_of_a_get(seed, editor):
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    url = f"/api/contracts/{contract.pk}/"
    etag = editor.get(url)["ETag"]
    assert editor.patch(url, {"notes": "first"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert editor.patch(url, {"notes": "second"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    # Another record's write changes the GET's validator, not the record's version: still current.
    Source.objects.update(notes="elsewhere")
    etag = editor.get(url)["ETag"]
    Claim.objects.update(summary="unrelated")
    assert editor.patch(url, {"notes": "third"}, format="json", HTTP_IF_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_the_schema_documents_304_and_if_none_match_on_reads(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "get":
                assert "304" in operation["responses"], path
                assert "If-None-Match" in {p["name"] for p in operation.get("parameters", [])}, path
            elif method in ("post", "put", "patch", "delete"):
                assert "304" not in operation["responses"], path


# --- Replicas: the version comes from the database the data comes from ---------------------


@needs_postgres
@pytest.mark.django_db(databases=["default", "replica_test"], transaction=True)
def test_the_version_is_read_from_the_replica_that_serves_the_page(anon):
    seeded()
    with (
        override_settings(DATABASE_REPLICAS=["replica_test"]),
        CaptureQueriesContext(connections["replica_test"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        assert anon.get("/api/transfers/?supplier=RUS").status_code == 200
    read = [q["sql"] for q in replica if "pg_is_in_recovery" not in q["sql"]]
    # The version first, then the page, both from the replica.
    assert "transfers_dataversion" in read[0] and any("transfers_transfer" in sql for sql in read[1:])
    assert not [q for q in primary if "transfers_dataversion" in q["sql"] or "transfers_transfer" in q["sql"]]


# --- Concurrency: writers bump one row at commit, without waiting on each other or deadlocking --


@needs_postgres
@committed
@pytest.mark.parametrize("attempt", range(3))
def test_parallel_writers_all_commit_and_each_bumps_the_version(attempt, django_user_model):
    contract = seeded()
    before = data_version.current()
    clients = []
    for i in range(6):
        client = APIClient()
        client.force_authenticate(django_user_model.objects.create_superuser(f"w{attempt}{i}", "", "pw-12345-x"))
        clients.append(client)
    transfer = contract.transfers.first()

    def write(client, i):
        if i % 2:
            body = {"transfer": transfer.pk, "date": "2008", "quantity": None, "notes": f"parallel {i}"}
            return lambda: client.post("/api/deliveries/", body, format="json").status_code
        return lambda: client.patch(f"/api/contracts/{contract.pk}/", {"notes": f"parallel {i}"}).status_code

    codes = run_together(*(write(client, i) for i, client in enumerate(clients)))
    assert sorted(codes) == [200, 200, 200, 201, 201, 201]
    assert data_version.current() >= before + 6


@needs_postgres
@committed
def test_the_counter_is_the_last_lock_a_committing_writer_takes():
    """A writer's commit checks its foreign keys (deferred), which waits for a row another
    transaction locked; that one then commits, bumping the counter. Had the first taken the
    counter before its foreign-key check, each would wait for the other (a deadlock)."""
    contract = seeded()
    source = Source.objects.first()
    locked, errors = threading.Event(), []

    def holder():
        try:
            with transaction.atomic():
                Source.objects.select_for_update().get(pk=source.pk)  # FOR UPDATE: blocks key-share checks
                locked.set()
                time.sleep(1.0)  # the other is now waiting in its commit
                Contract.objects.filter(pk=contract.pk).update(notes="holder")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    def claimant():
        try:
            locked.wait(5)
            with transaction.atomic():
                Actor.objects.filter(code="RUS").update(notes="first write of the transaction")
                Claim.objects.create(source=source, contract=contract, summary="checked at commit")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=claimant)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Claim.objects.filter(summary="checked at commit").exists()
