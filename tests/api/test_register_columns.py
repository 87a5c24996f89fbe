"""Columns of the trade register that a SIPRI user reads: shown on the row, the detail and the CSV alike."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from transfers.models import Contract


@pytest.mark.django_db
def test_an_uncertain_year_of_order_shows_on_the_register(seed):
    # SIPRI's "?" after a year of order.
    Contract.objects.filter(reference="rus-irn-2005-tor-m1").update(order_date_is_estimate=True)
    api = APIClient()
    row = api.get("/api/transfers/", {"system": "tor-m1"}).json()["results"][0]
    assert row["contract"]["order_date"] == "2005-12" and row["contract"]["order_date_is_estimate"] is True
    assert api.get(f"/api/transfers/{row['id']}/").json()["contract"]["order_date_is_estimate"] is True
    response = api.get("/api/transfers/", {"system": "tor-m1,s-300", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_system = {r["system.slug"]: r["contract.order_date_is_estimate"] for r in rows}
    assert by_system == {"tor-m1": "true", "s-300": "false"}
