"""Reads go to replicas, writes to the primary, and a request that wrote reads its own writes.

The fast tests here stub the replica's measurement; tests/test_replica.py runs the same
router against a real hot standby."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tracker import db_router
from tracker.db_router import PrimaryReplicaRouter, ReadYourWritesMiddleware, ReplicaState
from transfers.models import Contract


class Measured:
    """Stands in for the replicas' measurement: what probe() would find, and how often it looked."""

    def __init__(self, monkeypatch):
        self.found = {}
        self.probes = []
        self.reachable = True
        monkeypatch.setattr(db_router, "probe", self.probe)
        monkeypatch.setattr(db_router, "_connected", lambda alias: self.reachable)
        monkeypatch.setattr(db_router, "primary_wal_position", lambda: 5000)

    def probe(self, alias):
        self.probes.append(alias)
        usable, replay_lsn = self.found.get(alias, (True, 10_000))
        return ReplicaState(usable, time.monotonic() + 60, replay_lsn, 0.0, "" if usable else "lagging")


@pytest.fixture
def measured(monkeypatch):
    db_router.reset_replica_states()
    yield Measured(monkeypatch)
    db_router.reset_replica_states()


@pytest.fixture
def router(measured):
    with override_settings(DATABASE_REPLICAS=["replica_test"]):
        yield PrimaryReplicaRouter()


def request_to(method, view, cookies=None):
    """The response to one request through the middleware, whose view calls `view()`."""

    def respond(request):
        response = HttpResponse()
        response.result = view()
        return response

    request = getattr(RequestFactory(), method.lower())("/api/contracts/")
    request.COOKIES.update(cookies or {})
    return ReadYourWritesMiddleware(respond)(request)


def in_request(method, view, cookies=None):
    """What `view()` returned, called inside one request."""
    return request_to(method, view, cookies).result


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


def test_without_replicas_everything_is_primary(measured):
    assert PrimaryReplicaRouter().db_for_read(Contract) == "default"
    response = request_to("POST", lambda: PrimaryReplicaRouter().db_for_write(Contract))
    # Nothing measured and no cookie: the single-database path does no replica work.
    assert measured.probes == [] and db_router.WROTE_COOKIE not in response.cookies


def test_a_lagging_or_unreachable_replica_is_skipped_without_error(router, measured):
    measured.found["replica_test"] = (False, 10_000)
    assert in_request("GET", lambda: router.db_for_read(Contract)) == "default"
    db_router.reset_replica_states()
    measured.found["replica_test"] = (True, 10_000)
    assert in_request("GET", lambda: router.db_for_read(Contract)) == "replica_test"
    measured.reachable = False  # measured as fine a moment ago, but down when the next request connects
    assert in_request("GET", lambda: router.db_for_read(Contract)) == "default"


def test_replicas_are_measured_once_per_interval_not_per_query(router, measured):
    for _ in range(3):
        assert in_request("GET", lambda: [router.db_for_read(Contract) for _ in range(5)]) == ["replica_test"] * 5
    assert measured.probes == ["replica_test"]


def test_a_request_reads_one_replica_throughout(measured):
    router = PrimaryReplicaRouter()
    with override_settings(DATABASE_REPLICAS=["replica_test", "replica_other"]):
        for _ in range(10):
            assert len(set(in_request("GET", lambda: [router.db_for_read(Contract) for _ in range(10)]))) == 1


def test_a_client_reads_its_own_write_on_its_next_requests(router, measured):
    response = request_to("PATCH", lambda: router.db_for_write(Contract))
    cookie = response.cookies[db_router.WROTE_COOKIE]
    assert cookie.value == "5000" and cookie["httponly"] and 0 < int(cookie["max-age"]) <= 10
    # Until a replica has replayed that far, that client reads from the primary; others do not wait.
    measured.found["replica_test"] = (True, 4999)
    assert in_request("GET", lambda: router.db_for_read(Contract), {cookie.key: cookie.value}) == "default"
    assert in_request("GET", lambda: router.db_for_read(Contract)) == "replica_test"
    db_router.reset_replica_states()
    measured.found["replica_test"] = (True, 5000)
    assert in_request("GET", lambda: router.db_for_read(Contract), {cookie.key: cookie.value}) == "replica_test"
    # A cookie that is not a WAL position keeps that client on the primary while it lasts.
    assert in_request("GET", lambda: router.db_for_read(Contract), {cookie.key: "-"}) == "default"
    assert in_request("GET", lambda: router.db_for_read(Contract), {cookie.key: "x" * 30}) == "default"


def test_only_writes_of_data_set_the_cookie(router, measured):
    reads = request_to("GET", lambda: router.db_for_read(Contract))
    session = request_to("GET", lambda: router.db_for_write(Session))
    failed = request_to("POST", lambda: router.db_for_read(Contract))
    assert not any(db_router.WROTE_COOKIE in response.cookies for response in (reads, session, failed))


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
def test_the_replica_alias_reads_real_data():
    call_command("loaddata", "seed", verbosity=0)
    db_router.reset_replica_states()
    router = PrimaryReplicaRouter()
    with override_settings(DATABASE_REPLICAS=["replica_test"]):
        # Measured for real: reachable, and not a standby (the same database), so used.
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
