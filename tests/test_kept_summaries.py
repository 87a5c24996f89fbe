"""The API's summaries kept per process under the data version (api.views._kept_summaries):
asked again by the same reader at the same version, the answer of then, computed once;
after any write, computed again; never another reader's; never inside a transaction."""

import random

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from rest_framework.test import APIClient

from transfers import selectors
from transfers.api import mixins, views
from transfers.models import Claim, Contract, Delivery, Transfer

committed = pytest.mark.django_db(transaction=True)

SUMMARIES = [
    "group_by=supplier",
    "group_by=supplier&status=completed",
    "group_by=delivery_year&delivered_from=2005&delivered_to=2010",
    "group_by=system,order_year",
    "group_by=recipient&confirmed=true",
    "group_by=category&disputed=true",
    "group_by=supplier,delivery_year&absent=include",
    "group_by=nope",
    "group_by=supplier&supplier=NOPE",
]


@pytest.fixture
def computed(monkeypatch):
    """The summaries computed (not taken from what was kept), in order."""
    views._kept_summaries = mixins.ByDataVersion(max_size=50_000, size_of=len)
    calls = []
    compute = selectors.transfer_summary

    def counting(**kwargs):
        calls.append(kwargs["group_by"])
        return compute(**kwargs)

    monkeypatch.setattr(selectors, "transfer_summary", counting)
    yield calls
    views._kept_summaries = mixins.ByDataVersion(max_size=50_000, size_of=len)


def answer(client, url):
    response = client.get(url)
    return response.status_code, response.content


def fresh(client, url):
    kept, views._kept_summaries = views._kept_summaries, mixins.ByDataVersion(max_size=0, size_of=len)
    try:
        return answer(client, url)
    finally:
        views._kept_summaries = kept


@committed
def test_a_summary_asked_again_is_computed_once_per_data_version(computed, django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    anon = APIClient()
    url = "/api/transfers/summary/?group_by=supplier&status=delivering"
    first = anon.get(url).json()
    assert first and computed == [["supplier"]]
    assert anon.get(url).json() == first
    assert anon.get(url + "&format=csv").status_code == 200  # the same answer, as CSV
    assert len(computed) == 1
    # Other parameters, another reader: computed.
    anon.get("/api/transfers/summary/?group_by=supplier")
    staff = APIClient()
    staff.force_authenticate(django_user_model.objects.create_superuser("rev", "", "pw-rev-12345"))
    assert staff.get(url).json() == first
    assert len(computed) == 3
    # A write: the next request sees it.
    transfer = Transfer.objects.filter(contract__status="delivering").order_by("pk").first()
    transfer.quantity_ordered += 5
    transfer.save()
    after = anon.get(url).json()
    assert len(computed) == 4
    changed = next(row for row in after if row["group"]["supplier"]["code"] == transfer.contract.supplier.code)
    before = next(row for row in first if row["group"]["supplier"]["code"] == transfer.contract.supplier.code)
    assert changed["quantity_ordered"] == before["quantity_ordered"] + 5
    # Inside a transaction (its writes are not yet in the version) nothing is kept or reused.
    with transaction.atomic():
        anon.get(url)
        anon.get(url)
    assert len(computed) == 6


@committed
def test_a_bad_summary_is_never_kept_and_a_large_one_is_not_kept(computed):
    call_command("loaddata", "seed", verbosity=0)
    anon = APIClient()
    bad = "/api/transfers/summary/?group_by=supplier&supplier=NOPE"
    assert anon.get(bad).json() == anon.get(bad).json()
    assert anon.get(bad).status_code == 400
    assert computed == []  # rejected before anything is computed, or kept
    views._kept_summaries = mixins.ByDataVersion(max_size=1, size_of=len)
    url = "/api/transfers/summary/?group_by=system&absent=include"
    assert len(anon.get(url).json()) > 1
    anon.get(url)
    assert len(computed) == 2  # more groups than the bound: computed each time


@committed
def test_kept_summaries_answer_as_fresh_ones_through_writes(computed, django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    anon = APIClient()
    staff = APIClient()
    staff.force_authenticate(django_user_model.objects.create_superuser("rev", "", "pw-rev-12345"))
    rng = random.Random(11)
    for step in range(40):
        client = rng.choice([anon, staff])
        url = "/api/transfers/summary/?" + rng.choice(SUMMARIES) + rng.choice(["", "&format=csv"])
        kept, again = answer(client, url), answer(client, url)
        expected = fresh(client, url)
        assert kept == expected == again, (step, url)
        assert kept[0] in (200, 400), (url, kept)
        if step % 5 == 2:
            action = rng.choice(["quantity", "status", "delivery", "delete"])
            transfer = rng.choice(list(Transfer.objects.all()))
            if action == "quantity":
                transfer.quantity_ordered = (transfer.quantity_delivered or 0) + rng.randint(0, 20)
                transfer.save()
            elif action == "status":
                contract = transfer.contract
                contract.status = rng.choice(["completed", "delivering", "signed"])
                contract.save()
            elif action == "delivery":
                Claim.objects.filter(delivery__transfer=transfer).delete()
                Delivery.objects.filter(transfer=transfer).delete()
            elif action == "delete" and Contract.objects.count() > 3:
                contract = transfer.contract
                Claim.objects.filter(
                    Q(contract=contract) | Q(transfer__contract=contract) | Q(delivery__transfer__contract=contract)
                ).delete()
                contract.delete()
