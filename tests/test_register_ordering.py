"""Ordering the register by supplier, recipient or system reads an index: the sort keys are
copies on the transfer row (Transfer.COPIES: the parties' codes, the system's designation),
kept when an actor or a system is renamed or a contract changes party."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from transfers.cache import transfer_cache_stale
from transfers.models import Actor, Contract, Transfer, WeaponSystem


@pytest.fixture
def register(db):
    call_command("loaddata", "seed", verbosity=0)
    usa = Actor.objects.get(code="USA")
    isr = Actor.objects.get(code="ISR")
    contract = Contract.objects.create(reference="usa-isr-test", supplier=usa, recipient=isr, status="signed")
    system = WeaponSystem.objects.create(designation="AAA test gun", slug="aaa-test-gun", category="artillery")
    Transfer.objects.create(contract=contract, system=system, quantity_ordered=3)
    return contract


def order(key):
    response = APIClient().get(f"/api/transfers/?ordering={key}")
    assert response.status_code == 200
    rows = response.json()["results"]
    field = {"supplier": "supplier", "recipient": "recipient", "system": "system"}[key.lstrip("-")]
    return [row[field]["code"] if "code" in row[field] else row[field]["designation"] for row in rows]


def test_the_copies_hold_the_codes_and_designation(register):
    line = Transfer.objects.get(contract=register)
    assert (line.cached_supplier_code, line.cached_recipient_code, line.cached_system_designation) == (
        "USA",
        "ISR",
        "AAA test gun",
    )
    assert transfer_cache_stale(transfers=Transfer.objects.all()) == []


def test_renaming_an_actor_reorders_the_register(register):
    assert order("supplier") == ["RUS", "RUS", "USA"]
    assert order("-supplier") == ["USA", "RUS", "RUS"]
    russia = Actor.objects.get(code="RUS")
    russia.code = "ZRU"
    russia.save()
    assert order("supplier") == ["USA", "ZRU", "ZRU"]
    assert order("recipient") == ["IRN", "IRN", "ISR"]
    iran = Actor.objects.get(code="IRN")
    iran.code = "ZIR"
    iran.save()
    assert order("recipient") == ["ISR", "ZIR", "ZIR"]
    assert transfer_cache_stale(transfers=Transfer.objects.all()) == []


def test_renaming_a_system_and_changing_a_party_follow(register):
    first = order("system")[0]
    assert first == "AAA test gun"
    system = WeaponSystem.objects.get(slug="aaa-test-gun")
    system.designation = "ZZZ test gun"
    system.save()
    assert order("system")[-1] == "ZZZ test gun"
    register.supplier = Actor.objects.get(code="ISR")
    register.recipient = Actor.objects.get(code="USA")
    register.save()
    line = Transfer.objects.get(contract=register)
    assert (line.cached_supplier_code, line.cached_recipient_code) == ("ISR", "USA")
    assert transfer_cache_stale(transfers=Transfer.objects.all()) == []


def test_bulk_writers_get_the_sort_keys(db):
    call_command("load_countries", verbosity=0)
    call_command("generate_demo_data", transfers=300, seed=7, verbosity=0)
    assert not Transfer.objects.filter(cached_supplier_code__isnull=True).exists()
    assert transfer_cache_stale(transfers=Transfer.objects.all()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("supplier", "register_by_supplier"),
        ("-recipient", "register_by_recipient"),
        ("system", "register_by_system"),
    ],
)
def test_the_page_query_reads_the_index_in_order(ordering, index):
    call_command("load_countries", verbosity=0)
    call_command("generate_demo_data", transfers=3000, seed=11, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE transfers_transfer")
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(f"/api/transfers/?ordering={ordering}").status_code == 200
    page = next(q["sql"] for q in queries if "transfers_transfer" in q["sql"] and "LIMIT" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + page)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
    assert "Sort" not in plan.split(index)[0], plan
