"""Reads go to replicas, writes to the primary, and a request that wrote reads its own writes."""

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tracker.db_router import PrimaryReplicaRouter, ReadYourWritesMiddleware
from transfers.models import Contract


@pytest.fixture
def router():
    with override_settings(DATABASE_REPLICAS=["replica_test"]):
        yield PrimaryReplicaRouter()


def in_request(method, view):
    middleware = ReadYourWritesMiddleware(lambda request: view())
    return middleware(getattr(RequestFactory(), method.lower())("/api/contracts/"))


def test_reads_go_to_a_replica_and_writes_to_the_primary(router):
    def view():
        first = router.db_for_read(Contract)
        write = router.db_for_write(Contract)
        after = router.db_for_read(Contract)
        return first, write, after

    assert in_request("GET", view) == ("replica_test", "default", "default")
    # The next request starts on the replicas again.
    assert in_request("GET", lambda: router.db_for_read(Contract)) == "replica_test"


def test_writing_requests_and_transactions_read_from_the_primary(router, db):
    assert in_request("POST", lambda: router.db_for_read(Contract)) == "default"
    assert in_request("PATCH", lambda: router.db_for_read(Contract)) == "default"

    def in_transaction():
        with transaction.atomic():
            return router.db_for_read(Contract)

    assert in_request("GET", in_transaction) == "default"


def test_sessions_and_users_always_on_the_primary(router):
    assert in_request("GET", lambda: router.db_for_read(Session)) == "default"
    assert router.allow_migrate("replica_test", "transfers") is False
    assert router.allow_migrate("default", "transfers") is True


def test_without_replicas_everything_is_primary():
    assert PrimaryReplicaRouter().db_for_read(Contract) == "default"


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second connection to the same test database needs PostgreSQL"
)


@pytest.fixture(autouse=True)
def close_replica_connection():
    yield
    # An open session would keep the test database from being dropped at the end.
    connections["replica_test"].close()


@needs_postgres
@pytest.mark.django_db(databases=["default", "replica_test"], transaction=True)
def test_the_replica_alias_reads_real_data(router):
    call_command("loaddata", "seed", verbosity=0)
    alias = in_request("GET", lambda: router.db_for_read(Contract))
    assert alias == "replica_test"
    assert connections[alias].settings_dict["NAME"] == connections["default"].settings_dict["NAME"]
    assert Contract.objects.using(alias).filter(reference="rus-irn-2005-tor-m1").exists()


@needs_postgres
@pytest.mark.django_db(databases=["default", "replica_test"], transaction=True)
def test_api_reads_from_the_replica_and_writes_to_the_primary(django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    user = django_user_model.objects.create_superuser("router", "", "pw-router-123")
    client = APIClient()
    client.force_authenticate(user)
    with override_settings(DATABASE_REPLICAS=["replica_test"]):
        with (
            CaptureQueriesContext(connections["replica_test"]) as replica,
            CaptureQueriesContext(connections["default"]) as primary,
        ):
            response = client.get("/api/transfers/?supplier=RUS")
        assert response.status_code == 200 and response.json()["count"] == 2
        assert len(replica) >= 2 and not [q for q in primary if "transfers_transfer" in q["sql"]]

        contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
        with CaptureQueriesContext(connections["replica_test"]) as replica:
            response = client.patch(f"/api/contracts/{contract.pk}/", {"status": "completed"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "completed"
        assert len(replica) == 0
