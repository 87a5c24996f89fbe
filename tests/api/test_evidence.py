"""Claims as comparable evidence (#14), through the API: typed assertions validated (each
malformed form a 400 that names the field and shows the accepted form), the Tor-M1 deal's
evidence, the disputed flag and its filters, statements, citations, claim filters, the
timeline's imprecise dates, and query counts that do not grow with the claims."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from transfers.models import Claim, Contract, Delivery, Source, Transfer

from . import test_resources

TOR = "rus-irn-2005-tor-m1"


@pytest.fixture
def reports(db):
    """The seed and the three other reports of the Tor-M1 deal, as `make run` loads them."""
    call_command("loaddata", "seed", "tor-m1-reports", verbosity=0)


def evidence_of(api, path):
    response = api.get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    return body, {(entry["field"], entry["record"]["type"]): entry for entry in body["fields"]}


def by_display(entry):
    return {claim["display"]: claim for claim in entry["claims"]}


# --- The Tor-M1 deal ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_tor_m1_value_and_status_are_disputed_with_speakers_and_sources(api, reports):
    body, fields = evidence_of(api, f"/api/contracts/{TOR}/evidence/")
    assert body["contract"]["reference"] == TOR
    assert body["disputed"] is True and body["disputed_fields"] == ["value", "status"]

    value = fields[("value", "contract")]
    assert value["current"]["display"] == "USD 700,000,000" and value["disputed"]
    claims = by_display(value)
    ap, reuters = claims["USD 700,000,000"], claims["USD 1,000,000,000"]
    assert ap["source"]["publisher"] == "The Associated Press" and ap["source"]["outlet"] == "NBC News"
    assert ap["attribution"] == "media-report" and ap["speaker_actor"]["code"] == "rus-ministry-of-defence"
    assert ap["assertion"]["text"] == "$700 million" and ap["agrees_with_record"] is True
    assert reuters["source"]["publisher"] == "Reuters" and reuters["date"] == "2007-01-17"
    assert (reuters["attribution"], reuters["speaker_role"]) == ("anonymous", "defence ministry source")
    assert reuters["assertion"] == {
        "field": "value",
        "qualifier": "exact",
        "quantity": None,
        "quantity_max": None,
        "amount": "1000000000.00",
        "amount_max": None,
        "currency": "USD",
        "is_estimate": False,
        "date": None,
        "date_end": None,
        "status": None,
        "negated": None,
        "text": "$1 billion",
    }
    assert reuters["normalised"]["low"] == reuters["normalised"]["high"] == "1000000000.00"
    assert value["conflicts"] == [[ap["id"], reuters["id"]]]
    assert value["follows"] == ap["id"]  # the record follows AP's figure

    status = fields[("status", "contract")]
    assert status["current"]["display"] == "delivering" and status["disputed"]
    claims = by_display(status)
    assert {"delivering", "completed", "not completed", "signed", "delivered"} <= set(claims)
    completed, not_completed = claims["completed"], claims["not completed"]
    assert completed["speaker_role"] == "head of Rosoboronexport" and completed["speaker_actor"]["code"] == (
        "rosoboronexport"
    )
    assert completed["source"]["publisher"] == "ITAR-TASS" and completed["attribution"] == "on-record"
    assert not_completed["assertion"]["status"] == "completed" and not_completed["assertion"]["negated"] is True
    assert claims["signed"]["speaker"]["name"] == "Sergei Ivanov" and claims["signed"]["source"]["publisher"] == (
        "Interfax"
    )
    assert claims["delivering"]["about"]["label"] == "line 1: Tor-M1"
    pairs = {frozenset(pair) for pair in status["conflicts"]}
    assert pairs == {
        frozenset({claims["delivering"]["id"], completed["id"]}),
        frozenset({not_completed["id"], completed["id"]}),
    }
    assert status["follows"] == claims["delivering"]["id"]
    assert completed["agrees_with_record"] is False

    # One statement, two facts: Reuters' source said $1bn and not completed.
    assert reuters["statement"] == not_completed["statement"] != ""
    # The rest agrees: 29 systems, ordered December 2005.
    quantity = fields[("quantity_ordered", "transfer")]
    assert not quantity["disputed"] and quantity["current"]["display"] == "29"
    assert by_display(quantity)["29"]["id"] == quantity["follows"]
    assert not fields[("order_date", "contract")]["disputed"]

    # A line's evidence: its own fields and its deal's.
    line = Transfer.objects.get(contract__reference=TOR)
    body, fields = evidence_of(api, f"/api/transfers/{line.pk}/evidence/")
    assert body["transfer"]["id"] == line.pk and body["disputed"]
    assert {field for field, _ in fields} == {
        "value",
        "order_date",
        "status",
        "quantity_ordered",
        "quantity_delivered",
        "delivery_date",
    }
    for entry in body["fields"]:
        record = entry["record"]
        assert (record["type"], record["id"]) in {("contract", line.contract_id), ("transfer", line.pk)}
        assert (record["type"] == "contract") == (entry["field"] in ("value", "order_date", "status"))


@pytest.mark.django_db
def test_disputed_flag_and_filters(api, reports):
    rows = api.get("/api/transfers/", {"disputed": "true"}).json()["results"]
    assert [row["system"]["slug"] for row in rows] == ["tor-m1"] and rows[0]["disputed"] is True
    rows = api.get("/api/transfers/", {"disputed": "false"}).json()["results"]
    assert [row["system"]["slug"] for row in rows] == ["s-300"] and rows[0]["disputed"] is False
    contracts = api.get("/api/contracts/", {"disputed": "true"}).json()["results"]
    assert [c["reference"] for c in contracts] == [TOR] and contracts[0]["disputed"] is True
    assert TOR not in {c["reference"] for c in api.get("/api/contracts/", {"disputed": "no"}).json()["results"]}
    summary = api.get("/api/transfers/summary/", {"disputed": "true"}).json()
    assert summary[0]["values"] == [{"currency": "USD", "amount": "700000000.00"}]
    for path in ("/api/transfers/", "/api/contracts/", "/api/transfers/summary/"):
        response = api.get(path, {"disputed": "maybe"})
        assert response.status_code == 400 and "disputed" in response.json()
    # As CSV too, the same as JSON (and written by PostgreSQL itself, byte for byte).
    test_resources.TestTransfers().assert_csv_equals_json(api, {"disputed": "true"})
    test_resources.TestContracts().assert_csv_equals_json(api, {"disputed": "true"})


@pytest.mark.django_db
def test_the_seed_alone_is_not_disputed(api, seed):
    assert api.get("/api/transfers/", {"disputed": "true"}).json()["count"] == 0
    assert api.get(f"/api/contracts/{TOR}/evidence/").json()["disputed"] is False


@pytest.mark.django_db
def test_the_flag_follows_every_change_of_the_claims(editor_api, reports):
    tor = Contract.objects.get(reference=TOR)
    reuters = Claim.objects.get(key="reuters-tor-m1-value-1bn")
    itar_tass = Claim.objects.get(key="itar-tass-rosoboronexport-completed")
    # Deprecating the figures that disagree settles the value, and the status once both go.
    reason = {"rank": "deprecated", "deprecation_reason": "a rounded figure"}
    assert editor_api.patch(f"/api/claims/{reuters.pk}/", reason, format="json").status_code == 200
    evidence = editor_api.get(f"/api/contracts/{TOR}/evidence/").json()
    assert evidence["disputed_fields"] == ["status"]
    assert editor_api.delete(f"/api/claims/{itar_tass.pk}/").status_code == 204
    tor.refresh_from_db()
    assert not tor.disputed
    # A new claim that disagrees disputes it again; moving it to another deal moves the dispute.
    source = Source.objects.get(key="reuters-2007-01-17-tor-m1")
    created = editor_api.post(
        "/api/claims/",
        {
            "source": source.key,
            "contract": TOR,
            "summary": "Thirty-five systems.",
            "assertion": {"field": "quantity_ordered", "quantity": 35},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    tor.refresh_from_db()
    assert tor.disputed  # 35 about the deal's only line, against 29
    s300 = Contract.objects.get(reference="rus-irn-s-300-talks")
    moved = editor_api.patch(f"/api/claims/{created.json()['id']}/", {"contract": s300.reference}, format="json")
    assert moved.status_code == 200
    tor.refresh_from_db()
    s300.refresh_from_db()
    assert not tor.disputed and not s300.disputed
    # A contract saved from a stale copy does not overwrite the flag.
    assert editor_api.patch(f"/api/contracts/{TOR}/", {"notes": "edited"}, format="json").status_code == 200
    editor_api.patch(f"/api/claims/{reuters.pk}/", {"rank": "normal"}, format="json")
    stale = Contract.objects.get(reference=TOR)
    Contract.objects.filter(pk=stale.pk).update(disputed=False)
    stale.disputed = False
    stale.save()
    stale.refresh_from_db()
    assert stale.disputed


# --- Writing typed assertions ----------------------------------------------------------------------


def claim_payload(**changes):
    return {"source": "news-a", "contract": "tor", "summary": "A figure.", **changes}


MALFORMED = [
    # (assertion, key under "assertion" that names the problem, words of the message)
    ({"field": "value", "text": "1000000000 XYZ"}, "text", "XYZ is not an ISO 4217 currency code"),
    ({"field": "value", "text": "700 million"}, "text", "no currency"),
    # 27 digits: more than decimal's 28 once in cents (a 500 before).
    ({"field": "value", "text": "USD 100000000000000000000000000"}, "text", "too large: at most 9,999,999,999,999,999"),
    ({"field": "value", "text": "about USD 5bn-100000000000000000000000000"}, "text", "too large"),
    # Stored as 0.00 before: an amount is kept to the cent, never rounded to another.
    ({"field": "value", "text": "$0.000001"}, "text", "whole cents"),
    ({"field": "value", "text": "USD 1.005-2"}, "text", "whole cents"),
    ({"field": "value", "amount": "0.001", "currency": "USD"}, "amount", "decimal places"),
    ({"field": "quantity_ordered", "text": "1" + "0" * 29}, "text", "too large: at most 2,147,483,647"),
    ({"field": "status", "text": "nearly done"}, "text", "one of reported, negotiating, signed"),
    ({"field": "quantity_ordered", "text": "29 or 30"}, "text", "a range (29-30)"),
    ({"field": "order_date", "text": "Dec 2005"}, "text", "YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"field": "quantity_ordered", "quantity": "29 or 30"}, "quantity", "whole number"),
    ({"field": "quantity_ordered", "quantity": 29.5}, "quantity", "whole number"),
    ({"field": "quantity_ordered", "quantity": True}, "quantity", "whole number"),
    ({"field": "quantity_ordered", "quantity": -1}, "quantity", "greater than or equal to 0"),
    ({"field": "quantity_ordered", "quantity": 30, "quantity_max": 29}, "quantity_max", "above its lower end"),
    ({"field": "quantity_ordered", "quantity": 29, "qualifier": "roughly"}, "qualifier", "not a valid choice"),
    ({"field": "quantity_ordered", "quantity": 29, "qualifier": "at-least", "quantity_max": 30}, "qualifier", "range"),
    ({"field": "quantity_ordered", "quantity": 29, "currency": "USD"}, "currency", "takes no currency"),
    ({"field": "quantity_ordered"}, "quantity", "Give a quantity"),
    ({"field": "value", "amount": "1000000000"}, "currency", "needs its currency"),
    ({"field": "value", "amount": "1000000000", "currency": "XYZ"}, "currency", "ISO 4217"),
    ({"field": "value", "amount": "-5", "currency": "USD"}, "amount", "greater than or equal to 0"),
    ({"field": "value", "amount": "a billion", "currency": "USD"}, "amount", "An amount is a number"),
    ({"field": "value", "amount": "1e30", "currency": "USD"}, "amount", "digits"),
    ({"field": "order_date", "date": "Dec 2005"}, "date", "YYYY, YYYY-MM or YYYY-MM-DD"),
    ({"field": "order_date", "date": "1850"}, "date", "outside the sane range"),
    ({"field": "order_date", "date": "2007-01-17", "date_end": "2007-01-16"}, "date_end", "after its start"),
    ({"field": "status", "status": "done"}, "status", "not a valid choice"),
    ({"field": "status", "status": "completed", "negated": "yes"}, "negated", "boolean"),
    ({"field": "status", "status": "reported", "negated": True}, "negated", "negate another status"),
    ({"field": "status", "status": "completed", "amount": "5"}, "amount", "takes no amount"),
    ({"field": "other"}, "text", "is its text"),
    ({"field": "price"}, "field", "not a valid choice"),
    ({"amount": "5", "currency": "USD"}, "field", "Say which field"),
    ({"field": "value", "amout": "5"}, "amout", "Unknown key"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("assertion,key,words", MALFORMED)
def test_each_malformed_assertion_is_a_400_naming_it(editor_api, register, assertion, key, words):
    before = Claim.objects.count()
    response = editor_api.post("/api/claims/", claim_payload(assertion=assertion), format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["assertion"]
    assert key in errors and words in " ".join(errors[key]), errors
    assert Claim.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("assertion", ["$1 billion", 29, ["value", "1bn"]])
def test_an_assertion_is_an_object(editor_api, register, assertion):
    response = editor_api.post("/api/claims/", claim_payload(assertion=assertion), format="json")
    assert response.status_code == 400
    (message,) = response.json()["assertion"]["non_field_errors"]
    assert message.startswith("Give the assertion as an object") and '"currency": "USD"' in message


@pytest.mark.django_db
def test_other_claim_rules_are_400s(editor_api, register):
    first = editor_api.post("/api/claims/", claim_payload(statement="one-quote"), format="json")
    assert first.status_code == 201
    other_source = claim_payload(statement="one-quote", source="register-b")
    response = editor_api.post("/api/claims/", other_source, format="json")
    assert response.status_code == 400 and "has another source" in response.json()["statement"][0]
    assert "cites" in editor_api.post("/api/claims/", claim_payload(cites="news-a"), format="json").json()
    response = editor_api.post(
        "/api/claims/", claim_payload(stated_date="2007-01-17", stated_date_end="2007-01-16"), format="json"
    )
    assert response.status_code == 400 and "stated_date_end" in response.json()


@pytest.mark.django_db
def test_typed_assertions_read_back_as_written(editor_api, register):
    cases = [
        ({"field": "quantity_ordered", "quantity": 30, "qualifier": "about"}, "about 30"),
        ({"field": "quantity_delivered", "quantity": 29, "quantity_max": 30}, "29-30"),
        ({"field": "value", "amount": "1000000000", "currency": "usd", "is_estimate": True}, "USD 1,000,000,000"),
        ({"field": "delivery_date", "date": "2007-01-16", "date_end": "2007-01-17"}, "2007-01-16/2007-01-17"),
        ({"field": "status", "status": "completed", "negated": True}, "not completed"),
        ({"field": "other", "text": "Paid partly in oil"}, "Paid partly in oil"),
    ]
    for assertion, display in cases:
        response = editor_api.post("/api/claims/", claim_payload(assertion=assertion), format="json")
        assert response.status_code == 201, response.json()
        shown = response.json()["assertion"]
        for key, value in assertion.items():
            expected = value.upper() if key == "currency" else value
            expected = f"{expected}.00" if key == "amount" else expected
            assert shown[key] == expected, (key, shown)
        assert Claim.objects.get(pk=response.json()["id"]).assertion_display.startswith(display)
    # The text alone is read into typed values, and kept as written.
    response = editor_api.post(
        "/api/claims/", claim_payload(assertion={"field": "value", "text": "about $1.2bn"}), format="json"
    )
    shown = response.json()["assertion"]
    assert (shown["amount"], shown["currency"], shown["qualifier"], shown["text"]) == (
        "1200000000.00",
        "USD",
        "about",
        "about $1.2bn",
    )
    # Written as a whole: a new kind clears the old one's keys; null clears it; leaving it out keeps it.
    url = f"/api/claims/{response.json()['id']}/"
    patched = editor_api.patch(url, {"assertion": {"field": "status", "status": "signed"}}, format="json").json()
    assert patched["assertion"]["amount"] is None and patched["assertion"]["status"] == "signed"
    assert editor_api.patch(url, {"summary": "Signed."}, format="json").json()["assertion"]["status"] == "signed"
    assert editor_api.patch(url, {"assertion": None}, format="json").json()["assertion"] is None
    assert Claim.objects.get(pk=response.json()["id"]).assertion_value == ""


# --- Reading claims ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_filters_on_assertions(api, reports):
    def keys(**query):
        response = api.get("/api/claims/", query)
        assert response.status_code == 200, response.json()
        return {row["key"] for row in response.json()["results"]}

    values = {"russian-media-tor-m1-value", "reuters-tor-m1-value-1bn", "bushehr-contract"}
    assert keys(assertion_field="value") == values
    assert keys(assertion_field="value", contract=TOR) == values - {"bushehr-contract"}
    assert keys(value_min="800000000") == {"reuters-tor-m1-value-1bn", "bushehr-contract"}
    assert keys(value_max="800000000") == {"russian-media-tor-m1-value"}
    assert keys(value_min="700000000", value_max="700000000", currency="usd") == {"russian-media-tor-m1-value"}
    assert keys(currency="EUR") == set()
    assert keys(quantity_min="29", quantity_max="29") == {"russian-media-tor-m1-quantity"}
    assert keys(quantity_min="30") == set()
    assert keys(statement="reuters-2007-01-17-defence-ministry-source") == {
        "reuters-tor-m1-value-1bn",
        "reuters-tor-m1-not-completed",
    }
    assert len(keys(assertion_field="status,order_date")) == 6
    for bad in [
        {"assertion_field": "price"},
        {"value_min": "a lot"},
        {"value_min": "1e400"},
        {"quantity_max": "-1"},
        {"currency": "XYZ"},
        {"cites": "no-such-source"},
    ]:
        response = api.get("/api/claims/", bad)
        assert response.status_code == 400 and set(response.json()) == set(bad), (bad, response.json())


@pytest.mark.django_db
def test_cited_sources(editor_api, reports):
    interfax = Source.objects.get(key="interfax-2005-12-05-tor-m1")
    claim = Claim.objects.get(key="russian-media-tor-m1-order-date")
    response = editor_api.patch(f"/api/claims/{claim.pk}/", {"cites": interfax.key}, format="json")
    assert response.status_code == 200 and response.json()["cites"]["key"] == interfax.key
    rows = editor_api.get("/api/claims/", {"cites": interfax.key}).json()["results"]
    assert [row["key"] for row in rows] == [claim.key]
    entry = next(
        e for e in editor_api.get(f"/api/contracts/{TOR}/evidence/").json()["fields"] if e["field"] == "order_date"
    )
    assert entry["claims"][0]["cites"]["publisher"] == "Interfax"


@pytest.mark.django_db
def test_claim_lists_and_csv_show_what_details_show(api, reports):
    # Typed assertions of every kind (and none), read as value tuples: rows equal details.
    claims = test_resources.TestClaims()
    claims.assert_list_rows_equal_details(api, {})
    claims.assert_csv_equals_json(api, {})
    rows = api.get("/api/claims/", {"limit": 1000}).json()["results"]
    assert any(row["assertion"] is None for row in rows)
    assert {row["assertion"]["field"] for row in rows if row["assertion"]} >= {"value", "status", "order_date"}


# --- Timeline -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_timeline_groups_statements_and_sorts_imprecise_dates_at_their_start(api, reports):
    tor = Contract.objects.get(reference=TOR)
    source = Source.objects.get(key="reuters-2007-01-17-tor-m1")
    delivery = Delivery.objects.get(transfer__contract=tor)
    Claim.objects.create(
        key="in-january",
        source=source,
        contract=tor,
        summary="Some time in January.",
        stated_date=datetime.date(2007, 1, 1),
        stated_date_precision="month",
    )
    Claim.objects.create(
        key="sixteenth-or-seventeenth",
        source=source,
        delivery=delivery,
        summary="Delivered on the 16th or 17th.",
        stated_date=datetime.date(2007, 1, 16),
        stated_date_end=datetime.date(2007, 1, 17),
        assertion_field="delivery_date",
        assertion_value="2007-01-16/2007-01-17",
    )
    events = api.get(f"/api/contracts/{TOR}/timeline/").json()
    keys = [[claim["key"] for claim in event["claims"]] for event in events]
    position = {key: index for index, group in enumerate(keys) for key in group}
    # A month sorts at its first day; a range at its start, after that day's precise events.
    assert position["in-january"] < position["ivanov-confirms-tor-m1-deliveries"]
    assert position["anonymous-official-not-all-delivered"] < position["sixteenth-or-seventeenth"]
    assert position["sixteenth-or-seventeenth"] < position["reuters-tor-m1-value-1bn"]
    ranged = events[position["sixteenth-or-seventeenth"]]
    assert (ranged["date"], ranged["date_end"], ranged["date_precision"]) == (
        "2007-01-16/2007-01-17",
        "2007-01-17",
        "day",
    )
    assert ranged["claim"]["assertion"]["date_end"] == "2007-01-17"
    # Reuters' source: one statement, two facts, one event.
    statement = events[position["reuters-tor-m1-value-1bn"]]
    assert statement["type"] == "statement" and statement["claim"] is None
    assert [claim["key"] for claim in statement["claims"]] == [
        "reuters-tor-m1-value-1bn",
        "reuters-tor-m1-not-completed",
    ]
    assert "$1 billion" in statement["description"] and "not been completed" in statement["description"]
    assert [s["publisher"] for s in statement["sources"]] == ["Reuters"]
    # Undated (ITAR-TASS) last; the order first.
    assert events[0]["type"] == "order" and events[-1]["claims"][0]["key"] == "itar-tass-rosoboronexport-completed"


# --- Cost ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_queries_do_not_grow_with_the_claims(api, register):
    tor = register["contract"]["tor"]
    source = Source.objects.get(key="news-a")

    def queries():
        counts = []
        for path in (f"/api/contracts/{tor.pk}/evidence/", f"/api/transfers/{tor.transfers.first().pk}/evidence/"):
            with CaptureQueriesContext(connection) as captured:
                assert api.get(path).status_code == 200
            counts.append(len(captured))
        return counts

    Claim.objects.create(source=source, contract=tor, summary="one", assertion_field="value", assertion_value="$1bn")
    few = queries()
    lines = list(tor.transfers.all())
    for i in range(29):
        line = lines[i % 2]
        delivery = line.deliveries.first()
        subject = [{"contract": tor}, {"transfer": line}, {"delivery": delivery}][i % 3]
        field, text = [
            ("value", f"USD {700 + i}m"),
            ("quantity_ordered", str(20 + i)),
            ("delivery_date", "2006"),
            ("status", "delivering"),
            ("order_date", "2005-12"),
        ][i % 5]
        Claim.objects.create(
            source=source, summary=f"claim {i}", assertion_field=field, assertion_value=text, **subject
        )
    body = api.get(f"/api/contracts/{tor.pk}/evidence/").json()
    assert sum(len(entry["claims"]) for entry in body["fields"]) == 30 and body["disputed"]
    # The same number of queries for one claim and for thirty (none: one fewer, nothing to read).
    assert queries() == few, f"{few} queries with one claim, {queries()} with thirty"
    assert few[0] <= 6


@pytest.mark.django_db
def test_the_schema_documents_the_assertion_as_an_object(api):
    schema = api.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assertion = components["Assertion"]
    assert assertion["type"] == "object" and "typed value" in assertion["description"]
    assert {"field", "quantity", "quantity_max", "amount", "amount_max", "currency", "qualifier"} <= set(
        assertion["properties"]
    )
    assert {"date", "date_end", "status", "negated", "is_estimate", "text"} <= set(assertion["properties"])
    assert components["AssertionRequest"]["required"] == ["field"]
    assert components["Claim"]["properties"]["assertion"]["allOf"] == [{"$ref": "#/components/schemas/Assertion"}]
    assert "assertion_value" not in components["Claim"]["properties"]
    paths = schema["paths"]
    for path in ("/api/contracts/{id}/evidence/", "/api/transfers/{id}/evidence/"):
        response = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert response == {"$ref": "#/components/schemas/Evidence"}
    claims = {p["name"] for p in paths["/api/claims/"]["get"]["parameters"]}
    assert {"assertion_field", "value_min", "value_max", "currency", "quantity_min", "quantity_max"} <= claims
    assert {"statement", "cites"} <= claims
    for path in ("/api/transfers/", "/api/contracts/"):
        (disputed,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "disputed"]
        # Text like the other true/false filters (schemathesis found `boolean` on contracts).
        assert disputed["schema"] == {"type": "string", "enum": ["", "0", "1", "false", "no", "true", "yes"]}
