"""Issue #12, items 5 and 6, through the HTTP API: what did Russia deliver in 2006 (the
deliveries' parties, system and category, and their filter); the summary's values as
CSV columns a spreadsheet can sum; who supplied Iran (actors by partner); actor search
by word prefix."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import JSONField, Value
from django.test.utils import CaptureQueriesContext
from rest_framework.filters import search_smart_split

from transfers.models import Actor, Contract, Delivery, Transfer


def csv_of(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- 5. Deliveries: who, what, which category --------------------------------------------------


@pytest.mark.django_db
def test_what_did_russia_deliver_in_2006(api, register):
    query = {"supplier": "RUS", "delivered_from": 2006, "delivered_to": 2006}
    rows = results(api.get("/api/deliveries/", query))
    assert len(rows) == 1
    row = rows[0]
    assert row["supplier"] == {"id": register["actor"]["RUS"].pk, "code": "RUS", "name": "Russia"}
    assert row["recipient"] == {"id": register["actor"]["IRN"].pk, "code": "IRN", "name": "Iran"}
    tor = register["system"]["tor-m1"]
    assert row["system"] == {"id": tor.pk, "slug": "tor-m1", "designation": "Tor-M1", "category": "air-defence"}
    assert row["date"] == "2006" and row["quantity"] == 15
    # The detail shows the same.
    assert api.get(f"/api/deliveries/{row['id']}/").json() == row

    [line] = csv_of(api.get("/api/deliveries/", {**query, "format": "csv"}))
    assert line["supplier.code"] == "RUS" and line["supplier.name"] == "Russia"
    assert line["recipient.code"] == "IRN" and line["recipient.name"] == "Iran"
    assert line["system.slug"] == "tor-m1" and line["system.designation"] == "Tor-M1"
    assert line["system.category"] == "air-defence"
    assert line["date"] == "2006" and line["quantity"] == "15"


@pytest.mark.django_db
def test_delivery_rows_follow_the_deal_when_it_changes(api, editor_api, register):
    # The parties are the transfer's copies of its contract's: an edit of the deal shows.
    tor = register["contract"]["tor"]
    response = editor_api.patch(f"/api/contracts/{tor.pk}/", {"recipient": "IND"}, format="json")
    assert response.status_code == 200, response.json()
    rows = results(api.get("/api/deliveries/", {"contract": "tor"}))
    assert rows and {row["recipient"]["code"] for row in rows} == {"IND"}
    assert results(api.get("/api/deliveries/", {"contract": "tor", "recipient": "IRN"})) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query,expected",
    [
        ("category=missiles", {"9m338"}),
        ("category=AIR-DEFENCE", {"tor-m1"}),
        ("category=aircraft,missiles", {"9m338", "f-16c"}),
        ("category=artillery", set()),
        ("category=air-defence&supplier=RUS&delivered_from=2007", {"tor-m1"}),
        ("category=aircraft&supplier=RUS", set()),
    ],
)
def test_deliveries_by_category(api, register, query, expected):
    rows = results(api.get(f"/api/deliveries/?{query}&limit=1000"))
    assert {row["system"]["slug"] for row in rows} == expected
    assert all(row["system"]["category"] in query.lower() for row in rows)
    # The CSV obeys it too.
    lines = csv_of(api.get(f"/api/deliveries/?{query}&format=csv"))
    assert sorted(line["id"] for line in lines) == sorted(str(row["id"]) for row in rows)


@pytest.mark.django_db
def test_delivery_category_follows_a_system_recategorised(api, editor_api, register):
    system = register["system"]["9m338"]
    response = editor_api.patch(f"/api/systems/{system.pk}/", {"category": "air-defence"}, format="json")
    assert response.status_code == 200, response.json()
    rows = results(api.get("/api/deliveries/?category=air-defence"))
    assert {row["system"]["slug"] for row in rows} == {"tor-m1", "9m338"}
    assert results(api.get("/api/deliveries/?category=missiles")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["lasers", "aircraft,lasers", ",", "%25s"])
def test_unknown_delivery_category_is_400_naming_it(api, register, value):
    response = api.get(f"/api/deliveries/?category={value}")
    assert response.status_code == 400
    assert set(response.json()) == {"category"}
    csv_response = api.get(f"/api/deliveries/?category={value}&format=csv")
    assert csv_response.status_code == 400 and "category" in csv_response.json()


@pytest.mark.django_db
def test_delivery_list_queries_do_not_grow_with_the_page_when_filtered(api, register):
    # Deliveries of several deals, with all their relations.
    for i in range(30):
        contract = Contract.objects.create(
            reference=f"more-{i}",
            supplier=register["actor"]["RUS" if i % 2 else "FRA"],
            recipient=register["actor"]["IND"],
        )
        transfer = Transfer.objects.create(contract=contract, system=register["system"]["9m338"], quantity_ordered=4)
        Delivery.objects.create(transfer=transfer, date=datetime.date(2010, 1, 1), quantity=2)
    counts = []
    for limit in (1, 1000):
        with CaptureQueriesContext(connection) as queries:
            rows = results(api.get("/api/deliveries/", {"limit": limit, "category": "missiles", "supplier": "RUS"}))
        assert len(rows) == (1 if limit == 1 else 16)
        counts.append(len(queries))
    # The data version (for the ETag), the actor codes, the count, the page.
    assert counts == [4, 4]


# --- 5. The summary's values as columns -------------------------------------------------------------


@pytest.mark.django_db
def test_summary_csv_has_a_column_per_currency(api, register):
    json_rows = api.get("/api/transfers/summary/?group_by=supplier").json()
    lines = csv_of(api.get("/api/transfers/summary/?group_by=supplier&format=csv"))
    assert list(lines[0]) == [
        "group.supplier.code",
        "group.supplier.name",
        "transfers",
        "quantity_ordered",
        "quantity_delivered",
        "tiv_delivered",
        "tiv_ordered",
        "tiv_delivered_share",
        "tiv_ordered_share",
        "value_EUR",
        "value_USD",
    ]
    by_code = {line["group.supplier.code"]: line for line in lines}
    assert by_code["RUS"]["value_USD"] == "700000000.00" and by_code["RUS"]["value_EUR"] == ""
    assert by_code["USA"]["value_USD"] == "2000000000.00"
    assert by_code["FRA"]["value_EUR"] == "7870000000.00" and by_code["FRA"]["value_USD"] == ""
    # No JSON in any cell, and the columns sum to the JSON's totals per currency.
    assert not any(cell.startswith(("[", "{")) for line in lines for cell in line.values())
    for currency in ("USD", "EUR"):
        from_csv = sum(Decimal(line[f"value_{currency}"] or 0) for line in lines)
        from_json = sum(
            Decimal(value["amount"]) for row in json_rows for value in row["values"] if value["currency"] == currency
        )
        assert from_csv == from_json > 0
    # The rows are the JSON's, in the same order.
    assert [line["group.supplier.code"] for line in lines] == [row["group"]["supplier"]["code"] for row in json_rows]
    assert [line["transfers"] for line in lines] == [str(row["transfers"]) for row in json_rows]


@pytest.mark.django_db
def test_summary_json_keeps_its_values_list(api, register):
    rows = api.get("/api/transfers/summary/?group_by=supplier").json()
    by_code = {row["group"]["supplier"]["code"]: row for row in rows}
    assert by_code["RUS"]["values"] == [{"currency": "USD", "amount": "700000000.00"}]
    assert by_code["FRA"]["values"] == [{"currency": "EUR", "amount": "7870000000.00"}]
    assert all("value_USD" not in row for row in rows)


@pytest.mark.django_db
def test_summary_csv_by_two_keys_and_with_accept_header(api, register):
    # Several currencies in one group: a second deal of France's, in dollars.
    contract = Contract.objects.create(
        reference="fra-usd",
        supplier=register["actor"]["FRA"],
        recipient=register["actor"]["IND"],
        order_date=datetime.date(2016, 1, 1),
        value_amount=Decimal("5.5"),
        value_currency="USD",
    )
    Transfer.objects.create(contract=contract, system=register["system"]["rafale"], quantity_ordered=1)
    lines = csv_of(api.get("/api/transfers/summary/?group_by=category,order_year", HTTP_ACCEPT="text/csv"))
    assert list(lines[0])[:3] == ["group.category.slug", "group.category.name", "group.order_year"]
    [aircraft_2016] = [
        line for line in lines if line["group.category.slug"] == "aircraft" and line["group.order_year"] == "2016"
    ]
    assert aircraft_2016["value_EUR"] == "7870000000.00" and aircraft_2016["value_USD"] == "5.50"
    assert all(set(line) == set(lines[0]) for line in lines)


@pytest.mark.django_db
def test_summary_csv_without_rows_or_values(api, register):
    # No group at all: an empty answer, not an error.
    response = api.get("/api/transfers/summary/?group_by=supplier&supplier=IRN&format=csv")
    assert response.status_code == 200 and csv_of(response) == []
    # Groups without any value: no value columns.
    for contract in Contract.objects.all():
        contract.value_amount, contract.value_currency = None, ""
        contract.save()
    lines = csv_of(api.get("/api/transfers/summary/?group_by=supplier&format=csv"))
    assert lines and not any(column.startswith("value") for column in lines[0])


@pytest.mark.django_db
def test_summary_csv_errors_stay_json(api, register):
    response = api.get("/api/transfers/summary/?group_by=colour&format=csv")
    assert response.status_code == 400 and "group_by" in response.json()


# --- 6. Who supplied Iran? ----------------------------------------------------------------------------


def codes(response):
    return {row["code"] for row in results(response)}


@pytest.fixture
def partners(register):
    """A non-arms deal (like Bushehr) between parties with no arms deal between them."""
    Contract.objects.create(
        reference="fra-irn-power",
        kind="non-arms",
        supplier=register["actor"]["FRA"],
        recipient=register["actor"]["IRN"],
    )
    return register


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query,expected",
    [
        # Russia's Bushehr deal is no arms deal; France's power plant neither.
        ("supplied_to=IRN", {"RUS"}),
        ("supplied_to=irn", {"RUS"}),
        ("supplied_to=IRN,isr", {"RUS", "USA"}),
        ("supplied_to=IND", {"FRA"}),
        ("supplied_to=RUS", set()),
        ("received_from=RUS", {"IRN"}),
        ("received_from=fra", {"IND"}),
        ("received_from=FRA,usa", {"IND", "ISR"}),
        ("received_from=IRN", set()),
        ("supplied_to=IRN&received_from=FRA", set()),
        ("supplied_to=IRN&role=supplier&kind=state", {"RUS"}),
        ("supplied_to=IRN&search=russ", {"RUS"}),
    ],
)
def test_actors_by_partner(api, partners, query, expected):
    assert codes(api.get(f"/api/actors/?{query}")) == expected
    lines = csv_of(api.get(f"/api/actors/?{query}&format=csv"))
    assert {line["code"] for line in lines} == expected


@pytest.mark.django_db
def test_actors_by_partner_id(api, partners):
    iran = partners["actor"]["IRN"]
    assert codes(api.get(f"/api/actors/?supplied_to={iran.pk}")) == {"RUS"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query,param,named",
    [
        ("supplied_to=XYZ", "supplied_to", "XYZ"),
        ("supplied_to=IRN,nowhere", "supplied_to", "nowhere"),
        ("received_from=atlantis", "received_from", "atlantis"),
        ("received_from=%25s", "received_from", "%s"),
        ("received_from=RUS&supplied_to=XYZ", "supplied_to", "XYZ"),
        ("supplied_to=,", "supplied_to", ""),
        ("supplied_to=999999999", "supplied_to", "999999999"),
    ],
)
def test_unknown_partner_is_400_naming_the_parameter(api, partners, query, param, named):
    response = api.get(f"/api/actors/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {param}
    assert named in " ".join(body[param])


@pytest.mark.django_db
def test_partner_codes_cost_one_query_together(api, partners):
    Contract.objects.create(reference="isr-rus", supplier=partners["actor"]["ISR"], recipient=partners["actor"]["RUS"])
    with CaptureQueriesContext(connection) as plain:
        api.get("/api/actors/")
    with CaptureQueriesContext(connection) as filtered:
        response = api.get("/api/actors/", {"supplied_to": "irn,fra", "received_from": "ISR,usa"})
    assert codes(response) == {"RUS"}
    assert len(filtered) == len(plain) + 1


# --- 6. Actor search by word prefix --------------------------------------------------------------------


@pytest.fixture
def named(register):
    """Actors with the names and aliases that substring search got wrong."""
    Actor.objects.filter(code="RUS").update(aliases=["Russian Federation"])
    for code, name, kind, aliases in [
        ("IOT", "British Indian Ocean Territory", "state", []),
        ("SUN", "Soviet Union", "historical-state", ["USSR", "Union of Soviet Socialist Republics"]),
        ("CIV", "Côte d'Ivoire", "state", ["Ivory Coast"]),
        ("TUR", "Türkiye", "state", ["Turkey", "Republic of Türkiye"]),
        ("MMR", "Myanmar", "state", ["Burma"]),
        ("odd", "Odd [name] *with* (marks) \\d+ 100% a_b", "other", ['Quote "this"']),
    ]:
        Actor.objects.create(code=code, name=name, kind=kind, aliases=aliases)
    return register


@pytest.mark.django_db
@pytest.mark.parametrize(
    "search,expected",
    [
        ("Tor", set()),  # not British Indian Ocean Territory
        ("terr", {"IOT"}),
        ("Russ", {"RUS"}),  # Russia, and its alias Russian Federation
        ("federation", {"RUS"}),  # an alias's second word
        ("Russian Federation", {"RUS"}),  # every word
        ('"Russian Federation"', {"RUS"}),  # a phrase
        ("russian union", set()),  # every word must match the same actor
        ("ussr", {"SUN"}),
        ("socialist", {"SUN"}),
        ("IRN", {"IRN"}),  # the code, exactly
        ("irn", {"IRN"}),
        ("SU", set()),  # not a code, and no word starts with it
        ("sun", {"SUN"}),
        ("hezbollah", {"hezbollah"}),
        ("lebanon", {"hezbollah"}),  # after a parenthesis
        ("(Lebanon", {"hezbollah"}),  # a parenthesis taken literally
        ("ivoire", {"CIV"}),  # after an apostrophe
        ("côte", {"CIV"}),
        ("ivory", {"CIV"}),
        ("türk", {"TUR"}),  # non-ASCII, in the name and an alias
        ("Republic of Türkiye", {"TUR"}),
        ("turkey", {"TUR"}),
        ("burma", {"MMR"}),
        ("isr", {"ISR"}),
        ("[name]", {"odd"}),
        ("*with*", {"odd"}),
        ("\\d+", {"odd"}),
        ("100%", {"odd"}),
        ("a_b", {"odd"}),
        ('"this"', {"odd"}),  # a phrase: the quotes are DRF's
        ("'\"this\"'", {"odd"}),
    ],
)
def test_actor_search_matches_words_by_prefix(api, named, search, expected):
    assert codes(api.get("/api/actors/", {"search": search, "limit": 1000})) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "search",
    [
        "(",
        ")",
        "[",
        "]",
        "\\",
        "\\\\",
        "*",
        "+",
        "?",
        ".",
        ".*",
        "^",
        "$",
        "|",
        "{",
        "{1,2}",
        "(?i)",
        "***:x",
        "\\m",
        "\\d",
        "%",
        "_",
        "'",
        '"',
        "'\"'",
        "a" * 100,
        "é" * 100,
        "\t",
        "\x01",
        "\u200b",
    ],
)
def test_actor_search_with_regex_metacharacters_is_no_500(api, named, search):
    response = api.get("/api/actors/", {"search": search, "limit": 1000})
    assert response.status_code == 200, (search, response.content[:500])
    # A longer word is refused, not searched (SearchFilter.MAX_WORD_LENGTH).
    longer = api.get("/api/actors/", {"search": search + "a" * 101})
    assert longer.status_code == 400 and "at most 100 characters each" in longer.json()["search"][0]
    # Nothing is a pattern: every actor found has each term, literally, in its name or an alias.
    terms = [term.lower() for term in search_smart_split(search) if term]
    for row in response.json()["results"]:
        text = " ".join([row["name"], *row["aliases"]]).lower()
        assert all(term in text for term in terms), (search, row["code"])
    if search in {".", ".*", "^", "$", "|", "{1,2}", "(?i)", "\\m"}:
        # As patterns these would match every actor.
        assert response.json()["count"] == 0, search
    assert api.get("/api/actors/", {"search": search, "format": "csv"}).status_code == 200


@pytest.mark.django_db
def test_actor_search_with_aliases_that_are_not_a_list(api, named):
    # Written around the API (it accepts lists only): no alias, no error.
    Actor.objects.filter(code="MMR").update(aliases="Burma")
    Actor.objects.filter(code="SUN").update(aliases={"name": "USSR"})
    Actor.objects.filter(code="CIV").update(aliases=Value(None, JSONField()))
    assert codes(api.get("/api/actors/", {"search": "burma"})) == set()
    assert codes(api.get("/api/actors/", {"search": "ussr"})) == set()
    assert codes(api.get("/api/actors/", {"search": "myanmar"})) == {"MMR"}


@pytest.mark.django_db
def test_actor_search_costs_no_extra_query_and_pages_equal_details(api, named):
    with CaptureQueriesContext(connection) as plain:
        api.get("/api/actors/")
    with CaptureQueriesContext(connection) as searched:
        rows = results(api.get("/api/actors/", {"search": "r", "limit": 1000}))
    assert len(searched) == len(plain)
    assert {row["code"] for row in rows} >= {"RUS", "TUR"}
    for row in rows:
        detail = api.get(f"/api/actors/{row['id']}/").json()
        assert json.dumps(row, sort_keys=True) == json.dumps(detail, sort_keys=True)


# --- The schema documents the new parameters and columns ---------------------------------------------


@pytest.mark.django_db
def test_schema_documents_the_new_filters_and_columns(api, register):
    schema = api.get("/api/schema/?format=json").json()
    actors = {p["name"]: p for p in schema["paths"]["/api/actors/"]["get"]["parameters"]}
    assert {"supplied_to", "received_from", "search"} <= set(actors)
    assert "supplied arms" in actors["supplied_to"]["description"]
    assert "word" in actors["search"]["description"]
    deliveries = {p["name"] for p in schema["paths"]["/api/deliveries/"]["get"]["parameters"]}
    assert {"category", "supplier", "recipient", "system"} <= deliveries
    delivery = schema["components"]["schemas"]["Delivery"]["properties"]
    assert {"supplier", "recipient", "system"} <= set(delivery)
