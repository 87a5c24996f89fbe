"""Two editors recording claims that disagree, at the same moment: the deal ends disputed
(PostgreSQL, real concurrency). Each transaction compares the deal's claims under a lock on
the deal, so the second sees the first's claim."""

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from transfers.models import Contract

from .test_concurrency import run_together

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("attempt", range(6))
def test_two_claims_that_disagree_at_once_leave_the_deal_disputed(attempt, django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    clients = []
    for i in range(2):
        client = APIClient()
        client.force_authenticate(django_user_model.objects.create_superuser(f"editor{i}", "", "pw-12345-x"))
        clients.append(client)
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
