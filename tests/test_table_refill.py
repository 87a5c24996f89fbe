"""A table rewritten in bulk (transfers.bulk.table_refilled), as a rebuild of the yearly
totals rewrites theirs. On PostgreSQL the rows go into a new table, indexed once full and
put in the old one's place: it must come out as the migrations made it (indexes,
constraints, sequence, storage options) with its grants, leave the old table whole when
the rebuild fails, fall back to rewriting in place for a role that does not own the table,
and never fail a reader that comes while it is swapped."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from rest_framework.test import APIClient

from transfers.bulk import table_refilled
from transfers.models import Transfer
from transfers.totals import maintain
from transfers.totals.models import YearlyTotal

from .api.conftest import build_register
from .api.test_yearly_totals import assert_totals_right

TABLE = YearlyTotal._meta.db_table
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="a table is refilled on PostgreSQL only")


@pytest.fixture
def api():
    return APIClient()


def _one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _all(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _oid():
    return _one("SELECT %s::regclass::oid", [TABLE])


def _definition():
    """Everything of the table a migration made or a later one would alter, by name."""
    return {
        "indexes": _all("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [TABLE]),
        "constraints": _all(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "ORDER BY 1",
            [TABLE],
        ),
        "columns": _all(
            "SELECT column_name, data_type, is_nullable, column_default, is_identity, identity_generation "
            "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            [TABLE],
        ),
        "options": _one("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [TABLE]),
        "sequence": _one("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE]),
        "owner": _one("SELECT relowner::regrole::text FROM pg_class WHERE oid = %s::regclass", [TABLE]),
    }


def _role(name, *grants):
    """A role, rolled back with the test, and what it is granted."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOLOGIN")
        for grant in grants:
            cursor.execute(f"GRANT {grant} TO {name}")


def _left_over():
    return _all("SELECT relname FROM pg_class WHERE relname LIKE %s", [f"{TABLE}_refill%"])


@postgresql
@pytest.mark.django_db
def test_a_rebuild_refills_the_totals_table_as_its_migrations_made_it(api, monkeypatch):
    build_register()
    _role("tracker_refill_reader", f"SELECT ON {TABLE}")  # a reporting role a deployment granted reads to
    before, oid = _definition(), _oid()
    assert before["options"] == ["fillfactor=70"] and before["sequence"]

    call_command("refresh_totals", "--rebuild", verbosity=0)

    assert _oid() != oid, "the rows were written into a new table"
    assert _definition() == before
    assert _one("SELECT has_table_privilege('tracker_refill_reader', %s, 'SELECT')", [TABLE])
    assert not _one("SELECT has_table_privilege('tracker_refill_reader', %s, 'INSERT')", [TABLE])
    assert _left_over() == []
    assert_totals_right(api, monkeypatch, "after a rebuild into a new table")
    # New rows take their ids from the new table's own sequence, past the rebuilt ones.
    highest = YearlyTotal.objects.order_by("-pk").values_list("pk", flat=True).first()
    line = Transfer.objects.filter(contract__reference="tor").first()
    Transfer.objects.filter(pk=line.pk).update(quantity_ordered=(line.quantity_ordered or 0) + 5)
    maintain.refresh()
    assert YearlyTotal.objects.filter(pk__gt=highest).exists()
    assert_totals_right(api, monkeypatch, "after an edit refreshed into the new table")


@pytest.mark.django_db
def test_a_refill_that_fails_leaves_the_table_as_it_was():
    build_register()
    kept = list(YearlyTotal.objects.order_by("pk").values())
    oid = _oid() if connection.vendor == "postgresql" else None
    with pytest.raises(RuntimeError, match="computation failed"):
        with table_refilled(YearlyTotal) as table:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (grain, kind, supplier_id, recipient_id, category, order_year, "  # noqa: S608
                    "absent, currency) VALUES (0, 0, 0, 0, '', 0, false, '')"
                )
            raise RuntimeError("the computation failed")
    assert list(YearlyTotal.objects.order_by("pk").values()) == kept
    if connection.vendor == "postgresql":
        assert _oid() == oid and _left_over() == []


@postgresql
@pytest.mark.django_db
def test_a_role_that_does_not_own_the_totals_rebuilds_them_in_place(api, monkeypatch):
    build_register()
    _role("tracker_refill_app", "ALL ON ALL TABLES IN SCHEMA public", "ALL ON ALL SEQUENCES IN SCHEMA public")
    oid, kept = _oid(), YearlyTotal.objects.count()
    line = Transfer.objects.filter(contract__reference="tor").first()
    Transfer.objects.filter(pk=line.pk).update(quantity_ordered=(line.quantity_ordered or 0) + 3)
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE tracker_refill_app")
    try:
        maintain.rebuild()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert _oid() == oid, "rewritten in place: this role may not drop the table"
    assert YearlyTotal.objects.count() >= kept
    assert_totals_right(api, monkeypatch, "after a rebuild in place")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_summaries_read_while_the_totals_are_refilled_never_fail(api):
    """A reader asks for summaries from the totals while another connection rebuilds them
    again and again: each answer is the same, none an error (a query that met the swap
    waits for it, then reads the new table under the old name)."""
    build_register()
    queries = ["group_by=supplier", "group_by=recipient,order_year", "group_by=delivery_year&supplier=RUS"]
    expected = {query: api.get(f"/api/transfers/summary/?{query}").json() for query in queries}
    stop, answers, errors = threading.Event(), [], []

    def read(barrier):
        client = APIClient()
        try:
            barrier.wait()
            while not stop.is_set():
                for query in queries:
                    response = client.get(f"/api/transfers/summary/?{query}")
                    answers.append((query, response.status_code, response.json()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def rebuild(barrier):
        try:
            barrier.wait()
            for _ in range(12):
                maintain.rebuild()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            stop.set()
            connection.close()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=work, args=(barrier,)) for work in (read, rebuild)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(answers) > len(queries)
    for query, status, body in answers:
        assert status == 200 and body == expected[query], query
    assert _left_over() == []
    with transaction.atomic():
        assert not maintain.TotalsDirty.objects.exists()


@postgresql
@pytest.mark.django_db
def test_a_table_that_a_trigger_or_a_view_holds_on_to_is_rebuilt_in_place(api, monkeypatch):
    """What CREATE TABLE ... LIKE would not bring along stays where it is: the table too."""
    build_register()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION tracker_refill_noop() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER tracker_refill_watch AFTER INSERT ON {TABLE} FOR EACH STATEMENT "
            "EXECUTE FUNCTION tracker_refill_noop()"
        )
    oid = _oid()
    maintain.rebuild()
    assert _oid() == oid
    assert _one("SELECT count(*) FROM pg_trigger WHERE tgname = 'tracker_refill_watch'") == 1
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER tracker_refill_watch ON {TABLE}")
        cursor.execute(f"CREATE VIEW tracker_refill_view AS SELECT grain, kind FROM {TABLE}")  # noqa: S608
    maintain.rebuild()
    assert _oid() == oid
    assert _one("SELECT count(*) FROM tracker_refill_view") == YearlyTotal.objects.count()
    assert_totals_right(api, monkeypatch, "after rebuilds in place")
