"""The register's pages on PostgreSQL: the page's ids, then their rows by one statement
compiled once and, outside transactions, prepared once per connection
(transfers.api.mixins.RowsByIds). Committed tests: requests outside a transaction."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

committed = pytest.mark.django_db(transaction=True)
needs_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'")

URLS = [
    "/api/transfers/",
    "/api/transfers/?supplier=RUS",
    "/api/transfers/?ordering=-order_date&limit=3",
    "/api/transfers/?ordering=status",
    "/api/transfers/?offset=1&limit=1",
]


def page(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json(), [q["sql"] for q in queries.captured_queries]


@needs_postgres
@committed
def test_prepared_pages_equal_the_details_and_the_pages_read_in_a_transaction():
    call_command("loaddata", "seed", verbosity=0)
    client = APIClient()
    for url in URLS:
        body, queries = page(client, url)
        assert body["results"], url
        assert queries[-1].startswith("EXECUTE tracker_rows_"), url
        with transaction.atomic():
            in_transaction, plain = page(client, url)
        assert not any(sql.startswith(("EXECUTE", "PREPARE")) for sql in plain)
        assert in_transaction == body, url
        for row in body["results"]:
            assert client.get(f"/api/transfers/{row['id']}/").json() == row


@needs_postgres
@committed
def test_a_session_that_lost_its_statement_answers_the_same_and_prepares_it_again():
    call_command("loaddata", "seed", verbosity=0)
    client = APIClient()
    first, _ = page(client, "/api/transfers/?supplier=RUS")
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    again, queries = page(client, "/api/transfers/?supplier=RUS")
    assert again == first
    assert any(sql.startswith("DEALLOCATE tracker_rows_") for sql in queries)  # the EXECUTE failed
    third, queries = page(client, "/api/transfers/?supplier=RUS")
    assert third == first
    assert [sql.split(" ")[0] for sql in queries if sql.startswith(("PREPARE", "EXECUTE"))] == ["PREPARE", "EXECUTE"]
