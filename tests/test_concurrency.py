"""Nothing is lost under concurrent edits: stale ETags get 412, stale admin forms are refused."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from transfers.models import Contract

from .forms import form_data

CONFLICT = b"Someone else saved this record after you opened it"


def change_url(contract):
    return reverse("admin:transfers_contract_change", args=[contract.pk])


@pytest.fixture
def two_editors(django_user_model):
    users = [
        django_user_model.objects.create_superuser(f"editor{i}", f"e{i}@example.org", "pw-12345-x") for i in (1, 2)
    ]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


@pytest.mark.django_db
def test_admin_refuses_a_save_based_on_an_old_version(seed, two_editors):
    first, second = two_editors
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    form_one = form_data(first.get(change_url(contract)).content.decode(), "contract_form")
    form_two = form_data(second.get(change_url(contract)).content.decode(), "contract_form")
    assert form_one["_version"] == form_two["_version"]

    assert first.post(change_url(contract), {**form_one, "status": "completed"}).status_code == 302
    response = second.post(change_url(contract), {**form_two, "status": "cancelled", "notes": "mine"})
    assert response.status_code == 200 and CONFLICT in response.content
    contract.refresh_from_db()
    assert contract.status == "completed" and contract.notes != "mine"
    # After reloading, the second editor can save.
    fresh = form_data(second.get(change_url(contract)).content.decode(), "contract_form")
    assert second.post(change_url(contract), {**fresh, "notes": "mine"}).status_code == 302


def run_together(*calls):
    """Run the calls in threads released at the same moment; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_api_writes_with_the_same_etag(attempt, django_user_model):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    clients = []
    for i in (1, 2):
        client = APIClient()
        client.force_authenticate(django_user_model.objects.create_superuser(f"api{i}", "", "pw-12345-x"))
        clients.append(client)
    url = f"/api/contracts/{contract.pk}/"
    etag = clients[0].get(url)["ETag"]

    def patch(client, status):
        return lambda: client.patch(url, {"status": status}, format="json", HTTP_IF_MATCH=etag).status_code

    codes = run_together(patch(clients[0], "completed"), patch(clients[1], "cancelled"))
    assert sorted(codes) == [200, 412], codes
    contract.refresh_from_db()
    winner = "completed" if codes[0] == 200 else "cancelled"
    assert contract.status == winner
    assert contract.history.filter(history_type="~").count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_admin_saves_of_the_same_version(attempt, two_editors):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    first, second = two_editors
    forms = [form_data(c.get(change_url(contract)).content.decode(), "contract_form") for c in (first, second)]

    def save(client, form, status):
        return lambda: client.post(change_url(contract), {**form, "status": status})

    responses = run_together(save(first, forms[0], "completed"), save(second, forms[1], "cancelled"))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 302], codes
    refused = next(r for r in responses if r.status_code == 200)
    assert CONFLICT in refused.content
    contract.refresh_from_db()
    winner = "completed" if responses[0].status_code == 302 else "cancelled"
    assert contract.status == winner


@pytest.mark.django_db
def test_the_admin_and_the_api_compare_one_version(seed, two_editors, django_user_model):
    # The admin form's hidden version and the API's ETag are the same record version (the
    # ETag of a GET carries it first, then its cache validator: transfers/http_cache.py), so
    # a save in one makes the other's copy stale.
    first, _ = two_editors
    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    form = form_data(first.get(change_url(contract)).content.decode(), "contract_form")
    api = APIClient()
    etag = api.get(f"/api/contracts/{contract.pk}/")["ETag"]
    assert etag.startswith(f'"{form["_version"]}.')
    assert first.post(change_url(contract), {**form, "notes": "edited in the admin"}).status_code == 302
    api.force_authenticate(django_user_model.objects.get(username="editor1"))
    response = api.patch(f"/api/contracts/{contract.pk}/", {"status": "completed"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
