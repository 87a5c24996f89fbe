"""The synthetic register (`generate_demo_data`) and the CSV export written by PostgreSQL."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from rest_framework.test import APIClient

from transfers.cache import transfer_cache_refresh
from transfers.models import Contract, Delivery, Transfer

CACHED = [
    "cached_is_arms",
    "cached_supplier_id",
    "cached_recipient_id",
    "cached_order_date",
    "cached_category",
    "cached_delivered_sum",
]
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="COPY is PostgreSQL's")


def generate(transfers, seed=7):
    out = io.StringIO()
    call_command("generate_demo_data", transfers=transfers, seed=seed, stdout=out, verbosity=0)
    return out.getvalue()


def csv_bytes(client, path, settings, *, copy):
    settings.API_CSV_COPY = copy
    response = client.get(path)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_generated_register_is_realistic_and_consistent():
    assert "3000 transfers" in generate(3000)
    transfers = Transfer.objects.filter(contract__reference__startswith="demo-")
    assert transfers.count() == 3000
    per_transfer = Delivery.objects.values("transfer").annotate(n=Count("*")).values_list("n", flat=True)
    assert set(per_transfer) <= {1, 2, 3} and len(per_transfer) > 1500
    dates = Contract.objects.filter(reference__startswith="demo-").exclude(order_date=None)
    assert dates.order_by("order_date").first().order_date >= datetime.date(1950, 1, 1)
    assert dates.order_by("order_date").last().order_date <= datetime.date(2025, 12, 31)
    # Skewed: the largest supplier has far more than an even share.
    top = transfers.values("cached_supplier").annotate(n=Count("*")).order_by("-n").first()["n"]
    assert top > 3000 / transfers.values("cached_supplier").distinct().count() * 3
    # The bulk writer's cached columns are what the signals would have computed.
    before = list(transfers.order_by("pk").values_list("pk", *CACHED))
    transfer_cache_refresh(transfers=transfers)
    assert list(transfers.order_by("pk").values_list("pk", *CACHED)) == before
    # And the API agrees with the contracts.
    body = APIClient().get("/api/transfers/", {"supplier": "USA"}).json()
    assert body["count"] == transfers.filter(contract__supplier__code="USA").count() > 0


@pytest.mark.django_db
def test_generator_refuses_nonsense():
    with pytest.raises(CommandError, match="must be 1 to"):
        generate(0)


@on_postgresql
@pytest.mark.django_db
def test_copy_csv_is_byte_for_byte_the_python_csv(settings):
    generate(1500, seed=3)
    line = Transfer.objects.filter(contract__reference__startswith="demo-").order_by("pk").first()
    # What CSV must quote or escape, and values the generator does not make.
    line.comments = 'He said "two, maybe three"\nthen left; it\'s 100% Déjà vu ₽'
    line.tiv_per_unit, line.licensed_production = Decimal("12.5"), True
    line.save()
    contract = line.contract
    contract.order_date = None
    contract.save()
    other = Transfer.objects.filter(contract__reference__startswith="demo-").order_by("pk")[1].contract
    other.order_date_precision = "year"
    other.save()
    client = APIClient()
    queries = [
        "",
        "&supplier=USA&ordering=-order_date",
        "&search=a&ordering=supplier",
        "&category=aircraft&confirmed=true",
        "&search=" + quote("three\"\nthen left; it's 100% Déjà"),  # quoted into the COPY statement
    ]
    for query in queries:
        path = f"/api/transfers/?format=csv{query}"
        copied = csv_bytes(client, path, settings, copy=True)
        assert copied == csv_bytes(client, path, settings, copy=False), query
        assert copied.count(b"\r\n") > 1, query
    rows = list(
        csv.DictReader(io.StringIO(csv_bytes(client, "/api/transfers/?format=csv", settings, copy=True).decode()))
    )
    first = next(row for row in rows if row["id"] == str(line.pk))
    assert first["comments"] == line.comments and first["contract.order_date"] == ""
    assert first["licensed_production"] == "true" and first["tiv_per_unit"] == "12.500"


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_copy_broken_off_by_the_client_leaves_a_working_connection(settings):
    generate(6000, seed=5)
    settings.API_CSV_COPY = True
    client = APIClient()
    response = client.get("/api/transfers/?format=csv")
    pieces = iter(response.streaming_content)
    assert next(pieces).startswith(b"id,contract.id,")
    assert len(next(pieces)) > 1000
    response.close()  # the client went away mid-export
    assert client.get("/api/transfers/", {"limit": 1}).json()["count"] == 6000
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10_000_001, 10**23])
def test_an_absurd_size_is_refused_before_anything_is_written(size):
    """99999999999999999999999 started generating (2 M rows in 10 minutes, committed in batches)."""
    with pytest.raises(CommandError, match="--transfers must be 1 to 10,000,000"):
        call_command("generate_demo_data", transfers=size, verbosity=0)
    assert not Contract.objects.exists()
