"""Two editors recording claims that disagree, at the same moment: the deal ends disputed
(PostgreSQL, real concurrency). Each transaction compares the deal's claims under a lock on
the deal, so the second sees the first's claim."""

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from transfers.models import Claim, Contract, Source

from .test_concurrency import run_together

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def clients(django_user_model):
    """The seed, and two editors' API clients."""
    call_command("loaddata", "seed", verbosity=0)
    made = []
    for i in range(2):
        client = APIClient()
        client.force_authenticate(django_user_model.objects.create_superuser(f"editor{i}", "", "pw-12345-x"))
        made.append(client)
    return made


@pytest.mark.parametrize("attempt", range(6))
def test_two_claims_that_disagree_at_once_leave_the_deal_disputed(attempt, clients):
    deal = Contract.objects.get(reference="rus-irn-s-300-talks")
    assert not deal.disputed

    def post(client, figure):
        body = {
            "source": "ap-2007-01-16-russia-iran-tor-m1",
            "contract": deal.reference,
            "summary": f"Worth {figure}.",
            "assertion": {"field": "value", "text": figure},
        }
        return lambda: client.post("/api/claims/", body, format="json")

    responses = run_together(post(clients[0], "$800m"), post(clients[1], "$1.2bn"))
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    deal.refresh_from_db()
    assert deal.disputed


def test_the_first_claims_of_a_new_statement_at_once_share_one_source(clients):
    """Two editors start one new statement at the same moment from two sources: each saw no
    claim of it and both were created (28 rounds of 30), and neither could be edited after.
    The database's trigger waits for the first and refuses the second."""
    Source.objects.create(key="wire-b", title="Report B", kind="news-report")
    sources = ["ap-2007-01-16-russia-iran-tor-m1", "wire-b"]

    def post(client, source, statement):
        body = {"source": source, "contract": "rus-irn-2005-tor-m1", "summary": "Said.", "statement": statement}
        return lambda: client.post("/api/claims/", body, format="json")

    for round_ in range(12):
        statement = f"race-{round_}"
        calls = [post(client, source, statement) for client, source in zip(clients, sources, strict=True)]
        responses = run_together(*calls)
        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 400], [r.content for r in responses]
        refused = next(r for r in responses if r.status_code == 400).json()
        assert "share its source" in str(refused.get("statement")), refused
        claims = Claim.objects.filter(statement=statement)
        assert claims.count() == 1
        kept = claims.get()
        patched = clients[0].patch(f"/api/claims/{kept.pk}/", {"summary": "Edited."}, format="json")
        assert patched.status_code == 200, patched.content
