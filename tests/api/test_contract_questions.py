"""The seed answers the questions of the API contract exactly."""

import csv
import io

import pytest


@pytest.mark.django_db
def test_russia_to_iran_air_defence(api, seed):
    response = api.get("/api/transfers/?supplier=RUS&recipient=IRN&category=air-defence&system=tor-m1")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["supplier"]["code"] == "RUS" and row["supplier"]["name"] == "Russia"
    assert row["recipient"]["code"] == "IRN"
    assert row["system"] == {
        "id": row["system"]["id"],
        "slug": "tor-m1",
        "designation": "Tor-M1",
        "category": "air-defence",
    }
    assert row["quantity_ordered"] == 29
    assert row["contract"]["value_amount"] == "700000000.00" and row["contract"]["value_currency"] == "USD"
    assert row["contract"]["order_date"] == "2005-12" and row["contract"]["order_date_precision"] == "month"
    assert row["contract"]["status"] == "delivering"
    assert row["claim_count"] >= 5
    both = api.get("/api/transfers/?supplier=RUS&recipient=IRN&category=air-defence").json()
    assert {r["system"]["slug"] for r in both["results"]} == {"tor-m1", "s-300"}


@pytest.mark.django_db
def test_unknown_and_empty_suppliers(api, seed):
    assert api.get("/api/transfers/?supplier=USA").json()["count"] == 0
    response = api.get("/api/transfers/?supplier=XXX")
    assert response.status_code == 400
    assert "supplier" in response.json()


@pytest.mark.django_db
def test_bushehr_never_inflates_arms_totals(api, seed):
    rows = api.get("/api/transfers/summary/?group_by=supplier").json()
    (russia,) = rows
    assert russia["group"]["supplier"]["code"] == "RUS"
    assert russia["transfers"] == 2
    assert russia["values"] == [{"currency": "USD", "amount": "700000000.00"}]


@pytest.mark.django_db
def test_who_confirmed_this_deal(api, seed):
    rows = api.get("/api/claims/?contract=rus-irn-2005-tor-m1&stance=confirms&attribution=on-record").json()
    (claim,) = rows["results"]
    assert claim["speaker"]["name"] == "Sergei Ivanov"
    assert claim["source"]["title"] == "Russian official confirms sale of missiles to Iran"
    assert "in accordance with the contract" in claim["quote"]


@pytest.mark.django_db
def test_tor_m1_timeline(api, seed):
    contract = api.get("/api/contracts/rus-irn-2005-tor-m1/").json()
    events = api.get(f"/api/contracts/{contract['id']}/timeline/").json()
    assert events[0]["type"] == "order" and events[0]["date"] == "2005-12"
    assert events[0]["date_precision"] == "month"
    assert events[0]["sources"][0]["publisher"] == "The Associated Press"
    claims = [e for e in events if e["type"] == "claim"]
    keys = [e["claim"]["key"] for e in claims]
    # Confirmation by Ivanov, the anonymous official, the reactions, all on 2007-01-16.
    for key in [
        "ivanov-confirms-tor-m1-deliveries",
        "anonymous-official-not-all-delivered",
        "casey-unaware-opposes-sales",
        "regev-concern-at-arms-sales",
    ]:
        assert key in keys
    assert keys.index("ivanov-confirms-tor-m1-deliveries") < keys.index("casey-unaware-opposes-sales")
    dates = [e["date"] for e in events if e["date"]]
    assert dates == sorted(dates)
    assert all(e["sources"] for e in claims)
    assert {e["date"] for e in claims} == {"2007-01-16"}
    delivery = next(e for e in events if e["type"] == "delivery")
    assert delivery["sources"]


@pytest.mark.django_db
def test_deliveries_per_supplier_per_year(api, seed):
    rows = api.get("/api/transfers/summary/?group_by=supplier,delivery_year").json()
    assert rows == [
        {
            "group": {"supplier": {"code": "RUS", "name": "Russia"}, "delivery_year": 2007},
            "transfers": 1,
            "quantity_ordered": None,
            "quantity_delivered": None,
            "values": [{"currency": "USD", "amount": "700000000.00"}],
            "tiv_delivered": None,
            "tiv_ordered": None,
            "tiv_delivered_share": None,
            "tiv_ordered_share": None,
            "unplaced": False,
        }
    ]


@pytest.mark.django_db
def test_air_defence_as_csv(api, seed):
    response = api.get("/api/transfers/?category=air-defence&format=csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["system.slug"] for row in rows} == {"tor-m1", "s-300"}
    tor = next(row for row in rows if row["system.slug"] == "tor-m1")
    assert tor["quantity_ordered"] == "29" and tor["supplier.code"] == "RUS"


@pytest.mark.django_db
def test_history_over_the_api_shows_admin_changes(api, seed, admin_client):
    from transfers.models import Contract

    contract = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    contract.status = "completed"
    contract._history_user = None
    contract.save()
    history = api.get(f"/api/contracts/{contract.pk}/history/").json()
    assert history[0]["type"] == "changed"
    assert history[0]["changes"] == [{"field": "status", "old": "delivering", "new": "completed"}]
    assert history[-1]["type"] == "created" and history[-1]["reason"] == "fixture load"


@pytest.mark.django_db
def test_schema_and_docs(api, seed):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/actors/",
        "/api/people/",
        "/api/systems/",
        "/api/contracts/",
        "/api/contracts/{id}/timeline/",
        "/api/transfers/",
        "/api/transfers/summary/",
        "/api/deliveries/",
        "/api/sources/",
        "/api/claims/",
        "/api/claims/{id}/history/",
    ]:
        assert path in paths, path
    params = {p["name"] for p in paths["/api/transfers/"]["get"]["parameters"]}
    assert {
        "supplier",
        "recipient",
        "system",
        "category",
        "status",
        "condition",
        "ordered_from",
        "ordered_to",
        "delivered_from",
        "delivered_to",
        "confirmed",
        "source",
        "search",
        "ordering",
        "limit",
        "offset",
    } <= params
    assert api.get("/api/docs/").status_code == 200
    assert api.get("/api/", HTTP_ACCEPT="text/html").status_code == 200


@pytest.mark.django_db
def test_pagination(api, seed):
    from django.core.management import call_command

    call_command("load_countries", verbosity=0)
    body = api.get("/api/actors/").json()
    assert body["count"] > 250 and len(body["results"]) == 50
    assert len(api.get("/api/actors/?limit=5000").json()["results"]) == min(1000, body["count"])
    past = api.get("/api/actors/?offset=100000").json()
    assert past["results"] == [] and past["count"] == body["count"]
    assert api.get("/api/actors/?limit=abc").json() == {"limit": ["Give a whole number of at least 1; got 'abc'."]}


# Committed writes: on PostgreSQL the data version is bumped at commit (transfers.data_version).
@pytest.mark.django_db(transaction=True)
def test_counts_are_cached_per_filters_until_the_next_write(api, seed, settings, editor_api):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from transfers.models import Actor

    settings.API_COUNT_CACHE_SECONDS = 30
    cache.clear()

    def count(client, url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response.json()["count"], any("COUNT(" in q["sql"] for q in queries.captured_queries)

    first, counted = count(api, "/api/actors/")
    assert counted
    assert count(api, "/api/actors/") == (first, False)  # from the cache
    assert count(api, "/api/actors/?limit=1&offset=2") == (first, False)  # another page: the same count
    bodies, counted = count(api, "/api/actors/?kind=government-body")
    assert counted and bodies == 3  # other filters: counted
    assert count(api, "/api/actors/?kind=government-body") == (3, False)
    assert count(api, "/api/actors/?kind=state")[1]
    assert count(editor_api, "/api/actors/?kind=government-body") == (3, True)  # another reader: counted
    # The cache is keyed by the data version (transfers.data_version): a write makes it exact.
    Actor.objects.create(code="new-body", name="New body", kind="government-body")
    assert count(api, "/api/actors/") == (first + 1, True)
    assert count(api, "/api/actors/?kind=government-body") == (4, True)  # 3 seed bodies + the new one
