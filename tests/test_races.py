"""Races that two clients can start at the same moment, on PostgreSQL with real concurrency.

Each scenario is repeated: the races shown here appeared one run in two or less
before they were fixed, so a single run could pass by luck.
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from transfers.models import Contract, Delivery, Transfer, WeaponSystem

from .test_concurrency import run_together

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

REPEAT = 8


@pytest.fixture
def clients(django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    made = []
    for i in range(20):
        client = APIClient()
        client.force_authenticate(django_user_model.objects.create_superuser(f"racer{i}", "", "pw-12345-x"))
        made.append(client)
    return made


def new_transfer(quantity_ordered):
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    return Transfer.objects.create(
        contract=contract, system=WeaponSystem.objects.get(slug="tor-m1"), quantity_ordered=quantity_ordered
    )


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_two_deliveries_at_once_never_exceed_the_quantity_ordered(attempt, clients):
    transfer = new_transfer(10)

    def post(client, line):
        body = {"transfer": transfer.pk, "line": line, "date": "2008", "quantity": 6}
        return lambda: client.post("/api/deliveries/", body, format="json")

    responses = run_together(post(clients[0], 1), post(clients[1], 2))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 400], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 400).json()
    assert "would exceed the 10 ordered" in refused["quantity"][0]
    transfer.refresh_from_db()
    assert transfer.cached_delivered_sum == 6
    assert Delivery.objects.filter(transfer=transfer).count() == 1


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_lowering_the_quantity_ordered_while_a_delivery_is_added(attempt, clients):
    transfer = new_transfer(10)
    Delivery.objects.create(transfer=transfer, date=datetime.date(2007, 1, 1), quantity=5)

    def lower():
        return clients[0].patch(f"/api/transfers/{transfer.pk}/", {"quantity_ordered": 6}, format="json")

    def deliver():
        body = {"transfer": transfer.pk, "date": "2008", "quantity": 4}
        return clients[1].post("/api/deliveries/", body, format="json")

    responses = run_together(lower, deliver)
    # Each is valid alone; together 9 would be delivered of 6 ordered: one must lose.
    assert sorted(r.status_code for r in responses) in ([200, 400], [201, 400]), [r.content for r in responses]
    transfer.refresh_from_db()
    delivered = sum(d.quantity for d in transfer.deliveries.all())
    assert delivered <= transfer.quantity_ordered
    assert transfer.cached_delivered_sum == delivered


@pytest.mark.parametrize("attempt", range(3))
def test_parallel_lines_on_one_contract_all_succeed_with_distinct_numbers(attempt, clients):
    contract = Contract.objects.create(
        reference=f"race-{Contract.objects.count()}",
        supplier=Contract.objects.get(reference="rus-irn-2005-tor-m1").supplier,
        recipient=Contract.objects.get(reference="rus-irn-2005-tor-m1").recipient,
    )

    def post(client):
        body = {"contract": contract.reference, "system": "tor-m1", "quantity_ordered": 2}
        return lambda: client.post("/api/transfers/", body, format="json")

    responses = run_together(*(post(client) for client in clients))
    assert [r.status_code for r in responses] == [201] * len(clients), [r.content for r in responses]
    lines = sorted(Transfer.objects.filter(contract=contract).values_list("line", flat=True))
    assert lines == list(range(1, len(clients) + 1))
    contract.refresh_from_db()
    assert contract.line_count == len(clients)

    transfer = Transfer.objects.filter(contract=contract).first()

    def deliver(client):
        return lambda: client.post("/api/deliveries/", {"transfer": transfer.pk, "date": "2009"}, format="json")

    responses = run_together(*(deliver(client) for client in clients))
    assert [r.status_code for r in responses] == [201] * len(clients), [r.content for r in responses]
    assert sorted(transfer.deliveries.values_list("line", flat=True)) == list(range(1, len(clients) + 1))


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_lines_added_at_once_past_the_highest_number_take_distinct_free_ones(attempt, clients):
    """A line numbered 32767 by hand: the next lines take the first free numbers below it
    (save_with_next_line), and clients adding them at once still get distinct ones, while
    others save that line without a number (it keeps its own)."""
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    top = Transfer.objects.filter(contract=contract).order_by("line").last()
    Transfer.objects.filter(pk=top.pk).update(line=32767)
    taken = set(Transfer.objects.filter(contract=contract).values_list("line", flat=True))

    def post(client):
        body = {"contract": contract.reference, "system": "tor-m1", "quantity_ordered": 2}
        return lambda: client.post("/api/transfers/", body, format="json")

    def keep(client):
        return lambda: client.patch(f"/api/transfers/{top.pk}/", {"line": None}, format="json")

    responses = run_together(*(post(c) for c in clients[:12]), *(keep(c) for c in clients[12:]))
    assert [r.status_code for r in responses] == [201] * 12 + [200] * 8, [r.content for r in responses]
    lines = sorted(set(Transfer.objects.filter(contract=contract).values_list("line", flat=True)) - taken)
    expected = [n for n in range(1, 40) if n not in taken][:12]
    assert lines == expected
    assert Transfer.objects.get(pk=top.pk).line == 32767


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_two_deletes_of_one_record(attempt, clients):
    transfer = new_transfer(1)
    url = f"/api/transfers/{transfer.pk}/"
    responses = run_together(lambda: clients[0].delete(url), lambda: clients[1].delete(url))
    assert sorted(r.status_code for r in responses) == [204, 404], [r.content for r in responses]
    loser = next(r for r in responses if r.status_code == 404)
    assert loser["Content-Type"] == "application/json" and loser.json()["detail"]


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_a_delete_racing_a_patch(attempt, clients):
    transfer = new_transfer(1)
    url = f"/api/transfers/{transfer.pk}/"
    responses = run_together(
        lambda: clients[0].delete(url),
        lambda: clients[1].patch(url, {"comments": "edited"}, format="json"),
    )
    codes = sorted(r.status_code for r in responses)
    # The patch either lands first (then the delete removes the edited row) or finds nothing.
    assert codes in ([200, 204], [204, 404]), [r.content for r in responses]
    assert not Transfer.objects.filter(pk=transfer.pk).exists()


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_two_writes_to_one_cell_leave_the_yearly_totals_equal_to_the_register(attempt, clients):
    from transfers import selectors
    from transfers.totals import maintain
    from transfers.totals.models import SystemTotal, SystemTotalDirty, TotalsDirty, YearlyTotal

    first, second = new_transfer(10), new_transfer(10)  # one deal: one (supplier, recipient, year) cell

    def post(client, transfer):
        body = {"transfer": transfer.pk, "line": 1, "date": "2009", "quantity": 4}
        return lambda: client.post("/api/deliveries/", body, format="json")

    responses = run_together(post(clients[0], first), post(clients[1], second))
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    # Each commit's refresh ran after it, one at a time: nothing is left marked, and what
    # they kept is what a recomputation from the register gives.
    assert not TotalsDirty.objects.exists()
    fields = [f.attname for f in YearlyTotal._meta.concrete_fields if f.attname != "id"]

    def rows(items):
        return sorted(tuple(str(value) for value in row) for row in items)

    kept = rows(YearlyTotal.objects.filter(grain=maintain.FULL).values_list(*fields))
    recomputed = rows(
        tuple(getattr(row, name) for name in fields) for row in maintain.compute(selectors.transfer_register_base())
    )
    assert kept == recomputed
    by_year = clients[2].get("/api/transfers/summary/?group_by=delivery_year").json()
    assert next(row for row in by_year if row["group"]["delivery_year"] == 2009)["quantity_delivered"] >= 8
    # Both lines are of one system: its totals too are what a recomputation gives.
    assert not SystemTotalDirty.objects.exists()
    fields = [f.attname for f in SystemTotal._meta.concrete_fields if f.attname != "id"]
    kept = rows(SystemTotal.objects.filter(grain=1).values_list(*fields))
    recomputed = rows(
        tuple(getattr(row, name) for name in fields)
        for row in maintain.systems_compute(selectors.transfer_register_base())
    )
    assert kept == recomputed
    by_system = clients[2].get("/api/transfers/summary/?group_by=system").json()
    assert next(row for row in by_system if row["group"]["system"]["slug"] == "tor-m1")["quantity_delivered"] >= 8


def test_the_loser_of_two_creates_of_one_key_hears_what_a_later_request_hears(clients):
    """Two creates of one new reference or slug at once: the second was refused by the
    database with its constraint's name; it now gets the field's message, as it would a
    moment later. Two identical articles at once are two sources (keys -2), as in turn."""
    bodies = {
        "/api/contracts/": lambda n: {"reference": f"race-deal-{n}", "supplier": "RUS", "recipient": "IRN"},
        "/api/systems/": lambda n: {"slug": f"race-system-{n}", "designation": f"R-{n}", "category": "missiles"},
        "/api/people/": lambda n: {"slug": f"race-person-{n}", "name": f"Person {n}"},
    }
    for url, body in bodies.items():
        later = None
        for n in range(6):
            data = body(n)
            responses = run_together(*(lambda c=c, u=url, d=data: c.post(u, d, format="json") for c in clients[:2]))
            codes = sorted(r.status_code for r in responses)
            assert codes == [201, 400], (url, [r.content for r in responses])
            refused = next(r for r in responses if r.status_code == 400).json()
            if later is None:
                later = clients[2].post(url, data, format="json").json()
            assert refused == later, (url, refused, later)
    text = "Moscow, Jan 16. Russia has delivered 29 Tor-M1 systems to Iran, the ministry said."
    for n in range(4):
        body = {"text": text, "title": f"Race {n}", "published_date": "2007-01-16"}
        posts = [lambda c=c, d=body: c.post("/api/articles/", d, format="json") for c in clients[:2]]
        responses = run_together(*posts)
        assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
        keys = sorted(r.json()["source"] for r in responses)
        assert keys[1] == keys[0] + "-2", keys


@pytest.mark.parametrize("attempt", range(4))
def test_one_url_written_two_ways_at_once_is_one_source(attempt, clients):
    """Two editors recording one report at once, one typing its host in capitals: the
    database holds the URL in one form, so the second create is refused as a duplicate."""
    url = f"https://www.example.com/news/tor-m1-{attempt}"
    spellings = [url, url.replace("https://www.example.com", "HTTPS://WWW.Example.COM:443")]
    responses = run_together(
        *(
            lambda c=c, u=u: c.post("/api/sources/", {"title": "Tor-M1 report", "url": u}, format="json")
            for c, u in zip(clients[:2], spellings, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 400], [r.content for r in responses]
    refused = next(r for r in responses if r.status_code == 400).json()
    assert refused == {"url": ["A source with this URL already exists."]}, refused
    created = next(r for r in responses if r.status_code == 201).json()
    assert created["url"] == url


@pytest.mark.parametrize("attempt", range(REPEAT))
def test_a_delivery_and_its_deals_order_redated_at_once_leave_the_line_right(attempt, clients):
    """Each line keeps whether a delivery is dated before its deal's order. Ordered 2006,
    delivered 2007; at once, the delivery is dated 2005 (before 2006) and the order 2004:
    after both, 2005 is not before 2004. Each write alone, reading the other's old value,
    would say it is."""
    from transfers.cache import transfer_cache_stale

    contract = Contract.objects.create(
        reference=f"race-dates-{attempt}",
        supplier=Contract.objects.get(reference="rus-irn-2005-tor-m1").supplier,
        recipient=Contract.objects.get(reference="rus-irn-2005-tor-m1").recipient,
        order_date=datetime.date(2006, 1, 1),
    )
    line = Transfer.objects.create(contract=contract, system=WeaponSystem.objects.get(slug="tor-m1"))
    delivery = Delivery.objects.create(transfer=line, date=datetime.date(2007, 1, 1))

    def redate_delivery():
        return clients[0].patch(f"/api/deliveries/{delivery.pk}/", {"date": "2005"}, format="json")

    def redate_order():
        return clients[1].patch(f"/api/contracts/{contract.reference}/", {"order_date": "2004"}, format="json")

    responses = run_together(redate_delivery, redate_order)
    assert [r.status_code for r in responses] == [200, 200], [r.content for r in responses]
    line.refresh_from_db()
    assert line.cached_delivered_before_order is None
    assert transfer_cache_stale(transfers=Transfer.objects.filter(pk=line.pk)) == []
