"""Bad input on purpose: every case is a 4xx with a message, never a 500, and changes nothing."""

import datetime
import json

import pytest
from django.urls import reverse

from transfers.models import Actor, Contract, Transfer

SCRIPT = "<script>alert('x')</script>'; DROP TABLE transfers_contract; --"


def counts():
    return (Contract.objects.count(), Transfer.objects.count(), Actor.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,content_type",
    [
        ("{", "application/json"),
        ('{"reference": "x", "supplier": "RUS", "recipient": "IRN"', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ('{"reference": ["a"], "supplier": {"code": "RUS"}, "recipient": 3.5, "status": 7}', "application/json"),
        ('{"reference": "x", "supplier": "RUS", "recipient": "IRN", "value_amount": 1e999}', "application/json"),
        ('{"reference": "x\\u0000y", "supplier": "RUS", "recipient": "IRN"}', "application/json"),
        ("reference=x&supplier=RUS", "text/plain"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_malformed_bodies(editor_api, register, body, content_type):
    before = counts()
    response = editor_api.generic("POST", "/api/contracts/", body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.content
    assert response.content
    assert counts() == before


@pytest.mark.django_db
def test_oversized_body(editor_api, register):
    before = counts()
    payload = json.dumps({"reference": "big", "supplier": "RUS", "recipient": "IRN", "notes": "x" * 3_000_000})
    response = editor_api.generic("POST", "/api/contracts/", payload, content_type="application/json")
    assert response.status_code in (400, 413)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload,field",
    [
        ({"quantity_ordered": 2**63}, "quantity_ordered"),
        ({"quantity_ordered": -(2**63)}, "quantity_ordered"),
        ({"quantity_ordered": 1.5}, "quantity_ordered"),
        ({"quantity_ordered": True}, "quantity_ordered"),
        ({"tiv_per_unit": "1" * 40}, "tiv_per_unit"),
        ({"tiv_per_unit": "NaN"}, "tiv_per_unit"),
        ({"tiv_per_unit": "-Infinity"}, "tiv_per_unit"),
        ({"system": ["tor-m1"]}, "system"),
        ({"system": None}, "system"),
        ({"contract": 10**30}, "contract"),
        ({"line": 10**6}, "line"),
        ({"line": 0}, "line"),
        ({"condition": ""}, "condition"),
    ],
)
def test_wrong_types_and_huge_numbers(editor_api, register, payload, field):
    before = counts()
    body = {"contract": "rafale", "system": "f-16c", "quantity_ordered": 4, **payload}
    response = editor_api.post("/api/transfers/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "date", ["0000", "1899-12", "99999", "2005-00", "2005-02-30", "2200", "-2005", "2005/12", 2005]
)
def test_dates_out_of_range_or_malformed(editor_api, register, date):
    before = counts()
    body = {"reference": "dated", "supplier": "RUS", "recipient": "IRN", "order_date": date}
    response = editor_api.post("/api/contracts/", body, format="json")
    assert response.status_code == 400
    assert "order_date" in response.json()
    assert counts() == before


@pytest.mark.django_db
def test_sql_and_html_are_stored_as_text_and_escaped(editor_api, register, admin_client):
    body = {"reference": "odd-text", "supplier": "RUS", "recipient": "IRN", "title": SCRIPT, "notes": SCRIPT}
    response = editor_api.post("/api/contracts/", body, format="json")
    assert response.status_code == 201
    contract = Contract.objects.get(reference="odd-text")
    assert contract.title == SCRIPT and Contract.objects.count() > 1
    admin_page = admin_client.get(reverse("admin:transfers_contract_change", args=[contract.pk]))
    assert b"<script>alert" not in admin_page.content and b"&lt;script&gt;alert" in admin_page.content
    listing = admin_client.get(reverse("admin:transfers_contract_changelist"))
    assert b"<script>alert" not in listing.content
    browsable = editor_api.get(f"/api/contracts/{contract.pk}/", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200
    assert b"<script>alert" not in browsable.content
    search = editor_api.get("/api/contracts/", {"search": "'; DROP TABLE"})
    assert search.status_code == 200 and search.json()["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "supplier=%FF%FE",
        "search=%FF",
        "search=%00",
        "supplier=RUS%00",
        "ordering=%00",
        "ordered_from=%00",
        "limit=%00&offset=%FF",
        "limit=-1&offset=-5",
        "limit=99999999999999999999999&offset=99999999999999999999999",
        "group_by=%FF",
        "category=" + "a" * 10000,
        "confirmed=%00",
        # Found by schemathesis: a '%' in an unknown value broke django-filter's message formatting (500).
        "category=%25s%25d%25(x)s",
        "supplier=%25s",
        "system=%25",
    ],
)
def test_hostile_query_strings(api, register, query):
    for path in ["/api/transfers/", "/api/transfers/summary/", "/api/claims/", "/api/actors/"]:
        response = api.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/actors/99999999999999999999999999/",
        "/api/transfers/99999999999999999999999999/",
        "/api/contracts/%FF/",
        "/api/contracts/no-such-reference/timeline/",
        "/api/claims/0/history/",
        "/api/systems/-1/",
    ],
)
def test_unknown_records_are_404(api, register, path):
    assert api.get(path).status_code == 404


@pytest.mark.django_db
def test_if_match_garbage_is_412(editor_api, register):
    contract = Contract.objects.get(reference="tor")
    response = editor_api.patch(
        f"/api/contracts/{contract.pk}/",
        {"status": "cancelled"},
        format="json",
        HTTP_IF_MATCH='"not-a-real-etag", W/"x"',
    )
    assert response.status_code == 412
    contract.refresh_from_db()
    assert contract.status == "delivering"


@pytest.mark.django_db
def test_put_with_missing_fields_is_400(editor_api, register):
    contract = Contract.objects.get(reference="tor")
    response = editor_api.put(f"/api/contracts/{contract.pk}/", {"status": "cancelled"}, format="json")
    assert response.status_code == 400
    assert {"reference", "supplier", "recipient"} <= set(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["fv", "²", "١٢", "9" * 30, "null", "-4043", " 1"])
def test_related_ids_that_are_not_ids(editor_api, register, value):
    """Found by schemathesis: a non-numeric id in a form-encoded body was a 500. Bodies are
    JSON now; a form-encoded one is a 415."""
    before = counts()
    for body in [{"transfer": value, "date": "2001", "quantity": 1}, {"transfer": value, "date": "2001"}]:
        response = editor_api.post("/api/deliveries/", body, format="json")
        assert response.status_code == 400, response.content
        assert "transfer" in response.json()
    form = f"transfer={value}&date=2001".encode()
    response = editor_api.generic("POST", "/api/deliveries/", form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = editor_api.post("/api/claims/", {"source": "news-a", "summary": "s", "delivery": value}, format="json")
    assert response.status_code == 400
    assert editor_api.get(f"/api/transfers/{value}/").status_code == 404
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"reference": "nul", "supplier": "R\u0000US", "recipient": "IRN"},
        {"reference": "nul", "supplier": "RUS", "recipient": "IRN", "title": "a\u0000b"},
        {"reference": "n\u0000l", "supplier": "RUS", "recipient": "IRN"},
    ],
)
def test_nul_characters_are_refused(editor_api, register, payload):
    """Found by schemathesis on PostgreSQL: a NUL in a related code was a 500."""
    before = counts()
    response = editor_api.generic("POST", "/api/contracts/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    assert editor_api.get("/api/actors/R%00US/").status_code == 404
    assert editor_api.get("/api/claims/?source=a%00b").status_code == 400
    assert counts() == before


@pytest.mark.django_db
def test_a_unique_column_the_database_refuses_is_named_as_the_serializer_names_it(editor_api, register):
    """The refusal a race's loser gets (tests/test_races.py), from each database's own words."""
    from django.db import IntegrityError, transaction

    from transfers.api.exceptions import database_refusal

    taken = Contract.objects.order_by("pk").first()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Contract.objects.create(reference=taken.reference, supplier=taken.supplier, recipient=taken.recipient)
    later = editor_api.post(
        "/api/contracts/",
        {"reference": taken.reference, "supplier": taken.supplier.code, "recipient": taken.recipient.code},
        format="json",
    )
    assert later.status_code == 400
    assert (
        database_refusal(refused.value)
        == later.json()
        == {"reference": ["contract with this reference already exists."]}
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,body",
    [
        ("/api/contracts/", {"reference": "taken-deal", "supplier": "RUS", "recipient": "IRN"}),
        ("/api/systems/", {"slug": "taken-system", "designation": "Taken", "category": "missiles"}),
    ],
)
def test_a_key_taken_between_the_serializers_check_and_the_models_is_named_alike(editor_api, register, url, body):
    """A race's loser may pass the serializer's unique check and meet the model's (the
    winner committed in between: tests/test_races.py caught it one round in 36). Shown
    here by skipping the serializer's check: the same words a later request gets."""
    from unittest import mock

    from rest_framework.validators import UniqueValidator

    assert editor_api.post(url, body, format="json").status_code == 201
    later = editor_api.post(url, body, format="json")
    with mock.patch.object(UniqueValidator, "__call__", lambda *args, **kwargs: None):
        between = editor_api.post(url, body, format="json")
    assert later.status_code == between.status_code == 400
    assert between.json() == later.json(), between.json()
    assert "already exists" in str(later.json())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,body,field",
    [
        ("/api/contracts/", {"reference": "12345", "supplier": "RUS", "recipient": "IRN"}, "reference"),
        ("/api/actors/", {"code": "190", "name": "Unit 190", "kind": "non-state"}, "code"),
        ("/api/systems/", {"slug": "155", "designation": "155", "category": "artillery"}, "slug"),
        ("/api/people/", {"slug": "007", "name": "Agent"}, "slug"),
        ("/api/sources/", {"key": "2007", "title": "A report"}, "key"),
    ],
)
def test_digits_alone_are_refused_as_a_name_since_they_address_an_id(editor_api, register, url, body, field):
    """/api/contracts/12345/ is the contract of id 12345, and "supplier": "190" the actor of id
    190: a record named by digits alone could not be reached by its name."""
    response = editor_api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert "digits alone" in response.json()[field][0]
    actor = Actor.objects.get(code="RUS")
    patched = editor_api.patch(f"/api/actors/{actor.code}/", {"code": "190"}, format="json")
    assert patched.status_code == 400 and "digits alone" in patched.json()["code"][0]


def test_a_source_accessed_before_it_was_published_is_a_400(editor_api, register):
    """Both dates are the editor's: one of them is mistyped, and neither write keeps it."""
    response = editor_api.post(
        "/api/sources/",
        {"title": "A report", "published_date": "2007-02", "accessed_date": "2007-01-31"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "accessed date is before the published date" in response.json()["non_field_errors"][0]
    created = editor_api.post(
        "/api/sources/",
        {"title": "A report", "published_date": "2007-02", "accessed_date": "2007-02-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/sources/{created.json()['key']}/"
    moved = editor_api.patch(url, {"published_date": "2007-03-15"}, format="json")
    assert moved.status_code == 400 and "accessed date" in moved.json()["non_field_errors"][0]
    assert editor_api.get(url).json()["published_date"] == "2007-02"


def test_a_url_written_another_way_is_the_source_already_recorded(editor_api, register):
    """Scheme and host are compared without case and a default port is no part of a URL
    (RFC 3986): `HTTP://WWW.Example.com:80/a` was a second source for `http://www.example.com/a`.
    The path keeps its case: it is the server's to compare."""
    first = editor_api.post("/api/sources/", {"title": "A", "url": "http://www.example.com/News/a"}, format="json")
    assert first.status_code == 201, first.content
    for spelling in ("HTTP://WWW.Example.com:80/News/a", "http://www.EXAMPLE.com/News/a"):
        again = editor_api.post("/api/sources/", {"title": "B", "url": spelling}, format="json")
        assert again.status_code == 400 and again.json()["url"] == ["A source with this URL already exists."]
    stored = editor_api.post("/api/sources/", {"title": "C", "url": "HTTPS://Example.COM:8443/News/a"}, format="json")
    assert stored.status_code == 201 and stored.json()["url"] == "https://example.com:8443/News/a"
    other_path = editor_api.post("/api/sources/", {"title": "D", "url": "http://www.example.com/news/a"}, format="json")
    assert other_path.status_code == 201, other_path.content
    key = other_path.json()["key"]
    moved = editor_api.patch(f"/api/sources/{key}/", {"url": "http://WWW.EXAMPLE.COM/News/a"}, format="json")
    assert moved.status_code == 400 and moved.json()["url"] == ["A source with this URL already exists."]
    article = {"text": "Russia delivered 29 Tor-M1 systems to Iran.", "url": "HTTP://www.example.com/News/a"}
    ingested = editor_api.post("/api/articles/", article, format="json")
    assert ingested.status_code == 400 and "already exists" in ingested.json()["url"][0], ingested.content


def test_a_source_is_not_published_or_read_in_the_future(editor_api, register):
    """Both were accepted up to ten years ahead (the range allowed to a deal's dates)."""
    today = datetime.date.today()
    later = (today + datetime.timedelta(days=3)).isoformat()
    for body in ({"published_date": later}, {"accessed_date": later}, {"published_date": str(today.year + 10)}):
        response = editor_api.post("/api/sources/", {"title": "A report", **body}, format="json")
        assert response.status_code == 400, (body, response.content)
        field = next(iter(body))
        assert "is in the future" in response.json()[field][0]
    fine = {"title": "A report", "published_date": today.isoformat(), "accessed_date": today.isoformat()}
    assert editor_api.post("/api/sources/", fine, format="json").status_code == 201


@pytest.mark.django_db
def test_a_value_of_more_digits_than_the_database_keeps_is_refused_not_rounded(editor_api, register):
    """SQLite stores a decimal as REAL, 15 significant digits: 9,999,999,999,999,999.99
    came back as 1e16, past the field's 18 digits, and every read of the contract was a
    500. It is refused there, naming the field; PostgreSQL keeps it whole."""
    from django.db import connection

    body = {
        "reference": "many-digits",
        "supplier": "RUS",
        "recipient": "IRN",
        "value_amount": "9999999999999999.99",
        "value_currency": "IRR",
    }
    before = counts()
    response = editor_api.post("/api/contracts/", body, format="json")
    if connection.vendor == "sqlite":
        assert response.status_code == 400, response.content
        assert "significant digits" in response.json()["value_amount"][0]
        assert counts() == before
        body["value_amount"] = "9999999999999990.00"  # fifteen significant digits, kept
        response = editor_api.post("/api/contracts/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["value_amount"] == body["value_amount"]
    detail = editor_api.get("/api/contracts/many-digits/")
    assert detail.status_code == 200 and detail.json()["value_amount"] == body["value_amount"]


@pytest.mark.django_db
def test_a_line_written_to_a_deal_that_is_not_an_arms_transfer_is_refused_not_lost(editor_api, register):
    """Found by an adversarial pass: a line POSTed to a non-arms deal was saved and answered
    404 (the register holds arms deals' lines only); a client that tried again made a second
    line it could neither read, change nor delete over the API. A move of a line to such a
    deal was the same."""
    deal = register["contract"]["tor"]
    other = Contract.objects.create(
        reference="plant-deal", supplier=deal.supplier, recipient=deal.recipient, kind=Contract.Kind.NON_ARMS
    )
    line = Transfer.objects.filter(contract=deal).order_by("pk").first()
    before = counts()
    response = editor_api.post(
        "/api/transfers/", {"contract": "plant-deal", "system": line.system.slug, "quantity_ordered": 3}, format="json"
    )
    assert response.status_code == 400 and "not an arms transfer" in response.json()["contract"][0], response.content
    response = editor_api.patch(f"/api/transfers/{line.pk}/", {"contract": "plant-deal"}, format="json")
    assert response.status_code == 400 and "contract" in response.json(), response.content
    assert counts() == before and not other.transfers.exists()
    line.refresh_from_db()
    assert line.contract_id == deal.pk
