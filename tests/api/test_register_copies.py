"""The register filters on copies of contract, system and delivery columns (transfers.cache).

Every way of changing the originals must show in the register's filters and totals
at once: API edits, admin edits, deletions, fixture loads and imports.
"""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from transfers.models import Contract, Transfer, WeaponSystem

from ..forms import form_data


def systems(api, query):
    response = api.get(f"/api/transfers/?{query}&limit=1000")
    assert response.status_code == 200, response.content
    return {row["system"]["slug"] for row in response.json()["results"]}


def summary(api, query, group_by):
    response = api.get(f"/api/transfers/summary/?group_by={group_by}&{query}")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_contract_edits_move_its_lines_in_the_register(api, editor_api, register):
    assert systems(api, "supplier=FRA") == {"rafale"}
    response = editor_api.patch("/api/contracts/tor/", {"supplier": "FRA", "order_date": "1999"}, format="json")
    assert response.status_code == 200, response.json()

    assert systems(api, "supplier=FRA") == {"rafale", "tor-m1", "9m338"}
    assert systems(api, "supplier=RUS") == set()
    assert systems(api, "supplier=FRA&recipient=IRN") == {"tor-m1", "9m338"}
    assert systems(api, "ordered_from=1999&ordered_to=1999") == {"tor-m1", "9m338"}
    assert systems(api, "search=france") == {"rafale", "tor-m1", "9m338"}
    deliveries = api.get("/api/deliveries/?supplier=FRA&recipient=irn").json()
    assert sorted(row["quantity"] for row in deliveries["results"]) == [14, 15, 750]
    groups = {
        (row["group"]["supplier"]["code"], row["group"]["order_year"]): row["transfers"]
        for row in summary(api, "", "supplier,order_year")
    }
    assert groups == {("FRA", 1999): 2, ("FRA", 2016): 1, ("USA", 1995): 1}


@pytest.mark.django_db
def test_contract_kind_takes_its_lines_out_of_the_register_and_back(api, editor_api, register):
    editor_api.patch("/api/contracts/f16/", {"kind": "non-arms"}, format="json")
    assert "f-16c" not in systems(api, "")
    assert not summary(api, "supplier=USA", "supplier")
    editor_api.patch("/api/contracts/f16/", {"kind": "arms"}, format="json")
    assert systems(api, "supplier=USA&category=aircraft&ordered_from=1990&ordered_to=2000") == {"f-16c"}


@pytest.mark.django_db
def test_system_category_edit_reaches_the_register(api, editor_api, register):
    response = editor_api.patch("/api/systems/9m338/", {"category": "air-defence"}, format="json")
    assert response.status_code == 200, response.json()
    assert systems(api, "category=missiles") == set()
    assert systems(api, "category=air-defence") == {"tor-m1", "9m338"}
    assert systems(api, "supplier=RUS&category=air-defence") == {"tor-m1", "9m338"}


@pytest.mark.django_db
def test_moving_a_line_to_another_contract_moves_its_parties(api, editor_api, register):
    line = Transfer.objects.get(system__slug="9m338")
    response = editor_api.patch(f"/api/transfers/{line.pk}/", {"contract": "f16"}, format="json")
    assert response.status_code == 200, response.json()
    assert systems(api, "supplier=USA&recipient=ISR") == {"f-16c", "9m338"}
    assert systems(api, "supplier=RUS") == {"tor-m1"}


@pytest.mark.django_db
def test_deliveries_added_and_deleted_change_quantities_delivered(api, editor_api, register):
    def delivered():
        rows = api.get("/api/transfers/?contract=rafale").json()["results"]
        totals = summary(api, "contract=rafale", "system")
        return rows[0]["quantity_delivered"], totals[0]["quantity_delivered"]

    assert delivered() == (None, None)
    line = Transfer.objects.get(system__slug="rafale")
    response = editor_api.post("/api/deliveries/", {"transfer": line.pk, "date": "2020", "quantity": 10}, format="json")
    assert response.status_code == 201, response.json()
    assert delivered() == (10, 10)
    delivery = response.json()["id"]
    editor_api.patch(f"/api/deliveries/{delivery}/", {"quantity": 12}, format="json")
    assert delivered() == (12, 12)
    assert api.get("/api/transfers/?contract=rafale&ordering=-quantity_delivered").status_code == 200
    editor_api.delete(f"/api/deliveries/{delivery}/")
    assert delivered() == (None, None)


@pytest.mark.django_db
def test_admin_edit_of_a_contract_reaches_the_register(api, admin_client, register):
    contract = Contract.objects.get(reference="rafale")
    page = admin_client.get(reverse("admin:transfers_contract_change", args=[contract.pk]))
    assert page.status_code == 200
    # The full change form as a browser submits it, with one field changed.
    data = form_data(page.content.decode(), "contract_form")
    data["recipient"] = str(register["actor"]["ISR"].pk)
    response = admin_client.post(reverse("admin:transfers_contract_change", args=[contract.pk]), data)
    assert response.status_code == 302
    assert systems(api, "recipient=ISR") == {"f-16c", "rafale"}


@pytest.mark.django_db
def test_deleting_a_contract_leaves_nothing_behind_in_totals(api, editor_api, register):
    Claim = register["contract"]["rafale"].claims.model
    Claim.objects.filter(contract__reference="rafale").delete()
    assert editor_api.delete("/api/contracts/rafale/").status_code == 204
    assert systems(api, "") == {"tor-m1", "9m338", "f-16c"}
    assert {row["group"]["supplier"]["code"] for row in summary(api, "", "supplier")} == {"RUS", "USA"}


@pytest.mark.django_db
def test_fixture_load_fills_the_copies_and_dumps_leave_them_out(api, tmp_path):
    call_command("loaddata", "seed", verbosity=0)
    assert systems(api, "supplier=RUS&recipient=IRN&category=air-defence") == {"tor-m1", "s-300"}
    assert systems(api, "category=other") == set()  # Bushehr is not an arms transfer
    # Quantities delivered as listed equal those computed from the deliveries themselves.
    for row in api.get("/api/transfers/").json()["results"]:
        assert row["quantity_delivered"] == Transfer.objects.get(pk=row["id"]).quantity_delivered

    dump = tmp_path / "dump.json"
    call_command("dumpdata", "transfers.transfer", output=str(dump), natural_foreign=True, natural_primary=True)
    fields = json.loads(dump.read_text())[0]["fields"]
    assert "cached_supplier" not in fields and "cached_delivered_sum" not in fields and "quantity_ordered" in fields


@pytest.mark.django_db
def test_history_does_not_record_the_copies(editor_api, register):
    system = WeaponSystem.objects.get(slug="9m338")
    editor_api.patch("/api/systems/9m338/", {"category": "air-defence"}, format="json")
    line = Transfer.objects.get(system=system)
    assert line.cached_category == "air-defence"
    assert line.history.count() == 1  # created; the copy changed without a history entry


ALL_CONDITIONS = "condition=new,second-hand,second-hand-modernised"


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", ["supplier", "recipient,order_year", "supplier,order_year", "order_year"])
@pytest.mark.parametrize("query", ["", "supplier=RUS,FRA", "ordered_from=2000", "status=delivering,signed"])
def test_summary_values_from_contracts_equal_those_from_lines(api, editor_api, register, group_by, query):
    def add_contract(reference, order_date, amount):
        payload = {"reference": reference, "supplier": "RUS", "recipient": "IRN", "status": "delivering"}
        payload.update(order_date=order_date, value_amount=amount, value_currency="USD")
        response = editor_api.post("/api/contracts/", payload, format="json")
        assert response.status_code == 201, response.json()

    # A contract with a value but no lines yet is not in the register, and adds nothing.
    add_contract("lineless", "2005", "5")
    # Another deal in the same year as the Tor-M1 deal, on another date: one group per year.
    add_contract("same-year", "2005-03", "100")
    editor_api.post(
        "/api/transfers/", {"contract": "same-year", "system": "9m338", "quantity_ordered": 4}, format="json"
    )
    # Contract-level filters read values from contracts; a filter on lines (here one that
    # matches every line) reads them from the lines. Both must agree.
    fast = summary(api, query, group_by)
    slow = summary(api, f"{query}&{ALL_CONDITIONS}", group_by)
    assert fast == slow
    assert all(value["amount"] != "5.00" for row in fast for value in row["values"])
    if group_by == "supplier,order_year" and not query:
        rus_2005 = [
            row for row in fast if row["group"]["supplier"]["code"] == "RUS" and row["group"]["order_year"] == 2005
        ]
        assert len(rus_2005) == 1
        assert rus_2005[0]["transfers"] == 3 and rus_2005[0]["quantity_ordered"] == 29 + 750 + 4
        assert rus_2005[0]["values"] == [{"currency": "USD", "amount": "700000100.00"}]


@pytest.mark.django_db
def test_contract_line_counts_follow_lines(api, editor_api, register):
    def lines(reference):
        return api.get(f"/api/contracts/{reference}/").json()["transfer_count"]

    assert (lines("tor"), lines("f16")) == (2, 1)
    line = Transfer.objects.get(system__slug="9m338")
    editor_api.patch(f"/api/transfers/{line.pk}/", {"contract": "f16"}, format="json")
    assert (lines("tor"), lines("f16")) == (1, 2)
    new = editor_api.post(
        "/api/transfers/", {"contract": "tor", "system": "9m338", "quantity_ordered": 3}, format="json"
    )
    assert new.status_code == 201, new.json()
    assert lines("tor") == 2
    editor_api.delete(f"/api/transfers/{new.json()['id']}/")
    assert lines("tor") == 1


@pytest.mark.django_db
def test_contract_value_edits_reach_summaries_by_line(api, editor_api, register):
    def values(query, group_by):
        return {json.dumps(row["group"], sort_keys=True): row["values"] for row in summary(api, query, group_by)}

    aircraft = values("category=aircraft", "category")
    assert list(aircraft.values()) == [
        [{"currency": "EUR", "amount": "7870000000.00"}, {"currency": "USD", "amount": "2000000000.00"}]
    ]
    response = editor_api.patch("/api/contracts/f16/", {"value_amount": "2500000000", "value_currency": "eur"})
    assert response.status_code == 200, response.json()
    assert list(values("category=aircraft", "category").values()) == [[{"currency": "EUR", "amount": "10370000000.00"}]]
    # A deal of two lines counts its value once per group, even read from its lines.
    by_supplier = values(ALL_CONDITIONS, "supplier")
    rus = next(v for k, v in by_supplier.items() if '"RUS"' in k)
    assert rus == [{"currency": "USD", "amount": "700000000.00"}]
    # ... and once in each group its lines fall in.
    by_category = values("supplier=RUS", "category")
    assert [v for k, v in sorted(by_category.items())] == [[{"currency": "USD", "amount": "700000000.00"}]] * 2


@pytest.mark.django_db
def test_summary_by_delivery_year_counts_each_transfer_once_a_year(api, register):
    import datetime

    from transfers.models import Delivery

    extra = Transfer.objects.create(
        contract=register["contract"]["f16"], system=register["system"]["f-16c"], quantity_ordered=10
    )
    Delivery.objects.create(transfer=extra, date=datetime.date(2010, 1, 1), quantity=4)
    Delivery.objects.create(transfer=extra, date=datetime.date(2010, 6, 1), quantity=5)
    rows = summary(api, "", "supplier,delivery_year")
    got = {
        (row["group"]["supplier"]["code"], row["group"]["delivery_year"]): (
            row["transfers"],
            row["quantity_delivered"],
            row["values"],
        )
        for row in rows
    }
    usd = lambda amount: [{"currency": "USD", "amount": amount}]  # noqa: E731
    assert got == {
        ("RUS", 2006): (1, 15, usd("700000000.00")),
        ("RUS", 2007): (2, 764, usd("700000000.00")),  # two lines of one deal: its value once
        ("USA", 1998): (1, 50, usd("2000000000.00")),
        ("USA", 2010): (1, 9, usd("2000000000.00")),  # two deliveries in a year: one transfer
    }  # the Rafale deal has no deliveries yet: no year, no row
    assert [row["group"]["delivery_year"] for row in summary(api, "supplier=USA", "delivery_year")] == [1998, 2010]


@pytest.mark.django_db
def test_copies_stay_equal_to_a_recomputation_through_random_edits(editor_api, register):
    import datetime
    import random
    from collections import Counter

    from django.db.models import ProtectedError

    from transfers.cache import transfer_cache_stale
    from transfers.models import Actor, Delivery

    rng = random.Random(20261130)
    actors = list(Actor.objects.all())
    done = Counter()
    for step in range(60):
        contract = rng.choice(list(Contract.objects.all()))
        transfer = rng.choice(list(Transfer.objects.all()))
        action = rng.choice(
            [
                *("parties", "kind", "date", "precision", "value", "category"),
                *("deliver", "undeliver", "redate", "shift", "move", "delete"),
            ]
        )
        if action == "parties":
            supplier, recipient = rng.sample(actors, 2)
            contract.supplier, contract.recipient = supplier, recipient
            contract.save()
        elif action == "kind":
            contract.kind = rng.choice(["arms", "non-arms"])
            contract.save()
        elif action == "date":
            contract.order_date = rng.choice([None, *[datetime.date(rng.randint(1950, 2024), 1, 1)] * 3])
            contract.save()
        elif action == "precision":
            contract.order_date_precision = rng.choice(["year", "month", "day"])
            contract.save()
        elif action == "value":
            contract.value_amount, contract.value_currency = rng.choice([(None, ""), (rng.randint(1, 10**9), "EUR")])
            contract.save()
        elif action == "category":
            system = transfer.system
            system.category = rng.choice(["aircraft", "missiles", "ships"])
            system.save()
        elif action == "deliver":
            if transfer.quantity_ordered is None or Delivery.objects.filter(transfer=transfer).count() < 3:
                Delivery.objects.create(transfer=transfer, date=datetime.date(1990 + step % 30, 1, 1), quantity=None)
        elif action == "undeliver":
            delivery = Delivery.objects.filter(transfer=transfer, claims__isnull=True).first()
            if delivery is not None:
                delivery.delete()
        elif action in ("redate", "shift"):
            # A delivery dated again (before or after its order), or moved to another line.
            # (Of no quantity: another line's total stays within its order.)
            deliveries = list(Delivery.objects.filter(claims__isnull=True, quantity__isnull=True))
            if deliveries:
                delivery = rng.choice(deliveries)
                if action == "redate":
                    delivery.date = datetime.date(rng.randint(1950, 2024), rng.randint(1, 12), 1)
                    delivery.date_precision = rng.choice(["year", "month", "day"])
                else:
                    delivery.transfer, delivery.line = transfer, None
                delivery.save()
                done[action] += 1
        elif action == "move":
            transfer.contract = contract
            transfer.line = None
            transfer.save()
        elif action == "delete" and Transfer.objects.count() > 3:
            try:
                transfer.delete()
            except ProtectedError:
                pass  # claims rely on it (PROTECT): it stays
        assert transfer_cache_stale(transfers=Transfer.objects.all()) == [], (step, action)
        done["early"] += Transfer.objects.filter(cached_delivered_before_order=True).exists()
        counts = {c.pk: c.transfers.count() for c in Contract.objects.all()}
        assert {c.pk: c.line_count for c in Contract.objects.all()} == counts, (step, action)
    # Deliveries were dated again and moved; lines delivered before their order came and went.
    assert done["redate"] and done["shift"] and 0 < done["early"] < 60, done
    # And the check does see a copy gone wrong.
    corrupted = Transfer.objects.first()
    Transfer.objects.filter(pk=corrupted.pk).update(
        cached_category="other", cached_is_arms=not corrupted.cached_is_arms
    )
    assert transfer_cache_stale(transfers=Transfer.objects.all()) == [corrupted.pk]
