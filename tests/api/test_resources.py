"""A shared API test base (NetBox style), fed with data by each resource."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from transfers.api.csv import copy_csv_pieces, flatten
from transfers.models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem


class ResourceTests:
    """Subclasses set `resource`, `model` and the payload hooks."""

    resource = None
    model = None
    # Representation key that identifies a row, for list assertions.
    key = "id"
    # SQL queries for one list page, whatever its size (a baseline: fails when it grows).
    list_queries = None

    def create_payload(self, register):
        raise NotImplementedError

    def patch_payload(self, register):
        raise NotImplementedError

    # (payload changes, field expected in the 400 body)
    def bad_payloads(self, register):
        raise NotImplementedError

    def existing(self, register):
        return self.model.objects.order_by("pk").first()

    @property
    def url(self):
        return f"/api/{self.resource}/"

    def detail_url(self, obj):
        return f"{self.url}{obj.pk}/"

    # --- reads ---

    def test_list_and_detail(self, api, register):
        response = api.get(self.url)
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == self.model_count() and len(body["results"]) == min(body["count"], 50)
        obj = self.existing(register)
        detail = api.get(self.detail_url(obj))
        assert detail.status_code == 200
        assert detail.json()["id"] == obj.pk
        assert detail["ETag"]
        assert api.get(f"{self.url}999999999/").status_code == 404

    def model_count(self):
        return self.list_queryset_count()

    def list_queryset_count(self):
        return self.model.objects.count()

    def test_csv_equals_json(self, api, register):
        self.assert_csv_equals_json(api, {})

    def test_csv_is_written_from_value_tuples(self, api, register, monkeypatch):
        # Not through the serializer, row by row: that path must not be taken.
        def refuse(*args, **kwargs):
            raise AssertionError("CSV written through the serializer")

        monkeypatch.setattr("transfers.api.csv.csv_rows", refuse)
        self.assert_csv_equals_json(api, {})

    def test_list_rows_equal_details(self, api, register):
        self.assert_list_rows_equal_details(api, {})

    def test_list_is_read_from_value_tuples(self, api, register, monkeypatch):
        # Not from model instances rendered by the serializer (rows equal details: above).
        def refuse(*args, **kwargs):
            raise AssertionError("list rendered through the serializer")

        monkeypatch.setattr("rest_framework.serializers.ListSerializer.to_representation", refuse)
        assert api.get(self.url).json()["results"]

    # Resources whose CSV PostgreSQL writes itself (COPY); the others hold columns that
    # only Python writes (JSON lists, computed values) and take the Python path.
    copy_csv = False

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
    def test_database_written_csv_is_byte_for_byte_the_python_csv(self, api, register, settings, monkeypatch):
        written = []
        real = copy_csv_pieces

        def spy(**kwargs):
            written.append(kwargs["select"])
            return real(**kwargs)

        monkeypatch.setattr("transfers.api.csv.copy_csv_pieces", spy)
        outputs = []
        for copy in (True, False):
            settings.API_CSV_COPY = copy
            response = api.get(self.url, {"format": "csv"})
            outputs.append(b"".join(response.streaming_content))
        assert bool(written) == self.copy_csv
        assert outputs[0] == outputs[1] and outputs[0].count(b"\r\n") > 1

    def test_browsable_list_and_pages_past_the_end(self, editor_api, register):
        page = editor_api.get(self.url, {"limit": 2}, HTTP_ACCEPT="text/html")
        assert page.status_code == 200 and b"&quot;count&quot;" in page.content
        body = editor_api.get(self.url, {"offset": 10**6}).json()
        assert body["results"] == [] and body["count"] == self.model_count()

    def assert_list_rows_equal_details(self, api, query):
        # A list may be built another way than the detail (the register from value
        # tuples); every row must still be exactly what the detail shows.
        rows = api.get(self.url, {"limit": 1000, **query}).json()["results"]
        assert rows
        for row in rows:
            # Compared as JSON text: 1988.0 equals 1988 in Python, not in JSON.
            detail = api.get(f"{self.url}{row['id']}/").json()
            assert json.dumps(row, sort_keys=True) == json.dumps(detail, sort_keys=True)

    def assert_csv_equals_json(self, api, query):
        json_rows = api.get(self.url, {"limit": 1000, **query}).json()["results"]
        assert json_rows
        for response in [
            api.get(self.url, {"format": "csv", **query}),
            api.get(self.url, query, HTTP_ACCEPT="text/csv"),
        ]:
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            text = b"".join(response.streaming_content).decode("utf-8")
            csv_rows = list(csv.DictReader(io.StringIO(text)))
            assert len(csv_rows) == len(json_rows)
            for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
                assert csv_row["id"] == str(json_row["id"])
                flat = flatten(json_row)
                for column in csv_row:
                    # A null related record is a null object in JSON and empty columns in CSV.
                    if column not in flat:
                        assert flat.get(column.split(".")[0], "missing") is None, column
                        flat[column] = None
                for field, value in flat.items():
                    if field not in csv_row:
                        assert value is None, field
                        continue
                    if value is None:
                        expected = ""
                    elif isinstance(value, bool):
                        expected = "true" if value else "false"
                    else:
                        expected = str(value)
                    assert csv_row[field] == expected, field

    def test_queries_do_not_grow_with_the_page(self, api, register):
        # Enough rows that a page of 1 and a page of 1000 differ.
        build_more(self.model)
        counts = []
        for limit in (1, 1000):
            with CaptureQueriesContext(connection) as queries:
                response = api.get(self.url, {"limit": limit})
            assert response.status_code == 200
            assert len(response.json()["results"]) == (1 if limit == 1 else response.json()["count"])
            counts.append(len(queries))
        assert counts[0] == counts[1], f"{self.resource}: {counts[0]} queries for 1 row, {counts[1]} for a page"
        # And one more: the data version the response's ETag is made of (transfers/http_cache.py).
        baseline = self.list_queries + 1
        assert counts[0] == baseline, f"{self.resource}: baseline {baseline}, now {counts[0]}"

    # --- writes ---

    def test_anonymous_cannot_write(self, api, register):
        before = self.model.objects.count()
        obj = self.existing(register)
        assert api.post(self.url, self.create_payload(register), format="json").status_code in (401, 403)
        assert api.patch(self.detail_url(obj), self.patch_payload(register), format="json").status_code in (401, 403)
        assert api.delete(self.detail_url(obj)).status_code in (401, 403)
        assert self.model.objects.count() == before

    def test_user_without_permission_cannot_write(self, reader_api, register):
        before = self.model.objects.count()
        response = reader_api.post(self.url, self.create_payload(register), format="json")
        assert response.status_code == 403
        assert self.model.objects.count() == before

    def test_create_update_delete_with_permission(self, editor_api, register, editor):
        response = editor_api.post(self.url, self.create_payload(register), format="json")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert response["ETag"]
        obj = self.model.objects.get(pk=created["id"])
        # History records who did it.
        history = editor_api.get(f"{self.url}{obj.pk}/history/").json()
        assert history[0]["type"] == "created" and history[0]["user"] == editor.username

        response = editor_api.patch(self.detail_url(obj), self.patch_payload(register), format="json")
        assert response.status_code == 200, response.json()
        for field, value in self.patch_payload(register).items():
            if not isinstance(value, (dict, list)):
                shown = response.json()[field]
                assert shown == value or (isinstance(shown, dict) and value in shown.values()), field
        history = editor_api.get(f"{self.url}{obj.pk}/history/").json()
        assert history[0]["type"] == "changed" and history[0]["changes"]

        response = editor_api.delete(self.detail_url(obj))
        assert response.status_code == 204
        assert not self.model.objects.filter(pk=obj.pk).exists()

    def test_stale_if_match_is_412_and_changes_nothing(self, editor_api, register):
        obj = self.existing(register)
        etag = editor_api.get(self.detail_url(obj))["ETag"]
        first = editor_api.patch(self.detail_url(obj), self.patch_payload(register), format="json", HTTP_IF_MATCH=etag)
        assert first.status_code == 200, first.json()
        after_first = editor_api.get(self.detail_url(obj)).json()
        second = editor_api.patch(self.detail_url(obj), self.patch_payload(register), format="json", HTTP_IF_MATCH=etag)
        assert second.status_code == 412
        assert editor_api.delete(self.detail_url(obj), HTTP_IF_MATCH=etag).status_code == 412
        assert editor_api.get(self.detail_url(obj)).json() == after_first
        # The current ETag works.
        current = editor_api.get(self.detail_url(obj))["ETag"]
        assert editor_api.patch(self.detail_url(obj), {}, format="json", HTTP_IF_MATCH=current).status_code == 200

    def test_bad_input_is_400_with_field_messages(self, editor_api, register):
        before = self.model.objects.count()
        for changes, field in self.bad_payloads(register):
            payload = {**self.create_payload(register), **changes}
            response = editor_api.post(self.url, payload, format="json")
            assert response.status_code == 400, (changes, response.content)
            assert field in response.json(), (changes, response.json())
            assert response.json()[field]
        assert self.model.objects.count() == before
        response = editor_api.post(self.url, "{not json", content_type="application/json")
        assert response.status_code == 400


def build_more(model):
    """Extra rows of every kind so that list pages hold several records with all their relations."""
    base = Contract.objects.get(reference="tor")
    source = Source.objects.get(key="news-a")
    ivanov = Person.objects.get(slug="ivanov")
    for i in range(5):
        contract = Contract.objects.create(
            reference=f"extra-{i}", supplier=base.supplier, recipient=base.recipient, status="signed"
        )
        system = WeaponSystem.objects.create(
            slug=f"extra-{i}",
            designation=f"Extra {i}",
            category="artillery",
            origin=base.supplier,
            producer=base.recipient,
        )
        transfer = Transfer.objects.create(contract=contract, system=system, quantity_ordered=10)
        delivery = Delivery.objects.create(transfer=transfer, date="2010-01-01", quantity=3)
        Claim.objects.create(
            source=source, delivery=delivery, speaker=ivanov, speaker_actor=base.supplier, summary=f"extra {i}"
        )
        Claim.objects.create(source=source, contract=contract, summary=f"extra contract {i}")
        Source.objects.create(title=f"extra source {i}")
        Person.objects.create(slug=f"extra-{i}", name=f"Extra {i}", affiliation=base.supplier)
        Actor.objects.create(
            code=f"extra-body-{i}", name=f"Extra body {i}", kind="government-body", parent=base.supplier
        )


@pytest.mark.django_db
class TestActors(ResourceTests):
    resource = "actors"
    model = Actor
    list_queries = 2

    def create_payload(self, register):
        return {"code": "GBR", "name": "United Kingdom", "kind": "state", "aliases": ["Britain"]}

    def patch_payload(self, register):
        return {"name": "Renamed"}

    def bad_payloads(self, register):
        return [
            ({"code": "RUS"}, "code"),
            ({"code": "rus"}, "non_field_errors"),
            ({"code": "bad code!"}, "code"),
            ({"kind": "planet"}, "kind"),
            ({"parent": "XXX"}, "parent"),
            ({"aliases": "not a list"}, "aliases"),
        ]

    def test_detail_by_code(self, api, register):
        assert api.get("/api/actors/rus/").json()["code"] == "RUS"


@pytest.mark.django_db
class TestPeople(ResourceTests):
    copy_csv = True
    resource = "people"
    model = Person
    list_queries = 2

    def create_payload(self, register):
        return {"slug": "tom-casey-2", "name": "Tom Casey", "affiliation": "usa", "title": "spokesman"}

    def patch_payload(self, register):
        return {"title": "former spokesman"}

    def bad_payloads(self, register):
        return [({"slug": "ivanov"}, "slug"), ({"affiliation": "XXX"}, "affiliation"), ({"name": ""}, "name")]


@pytest.mark.django_db
class TestSystems(ResourceTests):
    resource = "systems"
    model = WeaponSystem
    list_queries = 2

    def create_payload(self, register):
        return {"slug": "s-300", "designation": "S-300", "category": "air-defence", "origin": "RUS"}

    def patch_payload(self, register):
        return {"description": "long-range SAM system"}

    def bad_payloads(self, register):
        return [({"slug": "tor-m1"}, "slug"), ({"category": "lasers"}, "category"), ({"origin": 123456}, "origin")]


@pytest.mark.django_db
class TestContracts(ResourceTests):
    copy_csv = True
    resource = "contracts"
    model = Contract
    list_queries = 2

    def create_payload(self, register):
        return {
            "reference": "rus-irn-s-300",
            "supplier": "RUS",
            "recipient": "irn",
            "status": "reported",
            "order_date": "2007-12",
            "value_amount": "800000000.00",
            "value_currency": "USD",
        }

    def patch_payload(self, register):
        return {"status": "cancelled"}

    def bad_payloads(self, register):
        return [
            ({"recipient": "RUS"}, "non_field_errors"),
            ({"supplier": "XXX"}, "supplier"),
            ({"value_amount": "-5"}, "value_amount"),
            ({"value_currency": ""}, "non_field_errors"),
            ({"value_currency": "ABC"}, "value_currency"),
            ({"order_date": "1850"}, "order_date"),
            ({"order_date": "2005-13"}, "order_date"),
            ({"order_date": "yesterday"}, "order_date"),
            ({"reference": "tor"}, "reference"),
            ({"status": "won"}, "status"),
            ({"value_amount": "1e400"}, "value_amount"),
        ]

    def test_currency_is_saved_as_clean_normalises_it(self, editor_api, register):
        response = editor_api.patch(self.detail_url(register["contract"]["tor"]), {"value_currency": "eur"})
        assert response.status_code == 200 and response.json()["value_currency"] == "EUR"
        assert Contract.objects.get(reference="tor").value_currency == "EUR"

    def test_order_date_written_and_read_at_its_precision(self, editor_api, register):
        response = editor_api.post(self.url, self.create_payload(register), format="json")
        assert response.json()["order_date"] == "2007-12"
        assert response.json()["order_date_precision"] == "month"


@pytest.mark.django_db
class TestTransfers(ResourceTests):
    copy_csv = True
    resource = "transfers"
    model = Transfer

    @property
    def list_queries(self):
        # count, page (its delivery years and claim counts inside the page's query). On
        # PostgreSQL the page is two statements: its ids, then their rows by a statement
        # compiled and prepared once (TransferViewSet.rows_by_compiled_sql), which saves
        # more than the round trip: compiling and planning the page's query each time.
        return 3 if connection.vendor == "postgresql" else 2

    def test_actor_codes_cost_one_query_together(self, api, register):
        with CaptureQueriesContext(connection) as plain:
            api.get(self.url)
        with CaptureQueriesContext(connection) as filtered:
            response = api.get(self.url, {"supplier": "rus,usa", "recipient": "IRN"})
        assert len(filtered) == len(plain) + 1
        assert {row["system"]["slug"] for row in response.json()["results"]} == {"tor-m1", "9m338"}
        response = api.get(self.url, {"supplier": "rus", "recipient": "IRN,xyz"})
        assert response.status_code == 400
        assert set(response.json()) == {"recipient"} and "xyz" in response.json()["recipient"][0]

    # Filtered; not in id order.
    @pytest.mark.parametrize("query", [{"system": "tor-m1,rafale"}, {"ordering": "-order_date"}])
    def test_filtered_csv_equals_json(self, api, register, query):
        self.assert_csv_equals_json(api, query)

    @pytest.mark.parametrize(
        "query",
        [
            {"ordering": "supplier"},  # the page's ids first, then its rows
            {"ordering": "-quantity_delivered"},
            {"ordering": "-order_date"},
            {"search": "tor"},
            {"supplier": "RUS", "category": "missiles,aircraft"},
        ],
    )
    def test_register_rows_equal_details(self, api, register, query):
        # Values the small register lacks: no order date, a year's precision, TIV
        # decimals, a reported total without deliveries, empty comments.
        undated = Contract.objects.create(
            reference="undated", supplier=register["actor"]["RUS"], recipient=register["actor"]["IND"]
        )
        Transfer.objects.create(
            contract=undated,
            system=register["system"]["tor-m1"],
            quantity_ordered=8,
            reported_delivered=5,
            reported_delivered_is_estimate=True,
            tiv_per_unit=Decimal("12.5"),
            tiv_order=Decimal("100"),
            tiv_delivered=Decimal("62.50"),
        )
        Contract.objects.filter(reference="f16").update(order_date_precision="year")
        self.assert_list_rows_equal_details(api, query)
        rows = api.get(self.url, {"limit": 1000, **query}).json()["results"]
        if "search" not in query and "supplier" not in query:
            undated_row = next(row for row in rows if row["contract"]["reference"] == "undated")
            assert undated_row["contract"]["order_date"] is None
            assert undated_row["tiv_per_unit"] == "12.500" and undated_row["quantity_delivered"] == 5
            assert undated_row["quantity_remaining"] == 3 and undated_row["delivery_years"] == []

    def list_queryset_count(self):
        return Transfer.objects.filter(contract__kind="arms").count()

    def create_payload(self, register):
        return {"contract": "rafale", "system": "f-16c", "quantity_ordered": 4, "condition": "new"}

    def patch_payload(self, register):
        return {"comments": "amended"}

    def bad_payloads(self, register):
        return [
            ({"quantity_ordered": -1}, "quantity_ordered"),
            ({"quantity_ordered": "many"}, "quantity_ordered"),
            ({"quantity_ordered": 10**30}, "quantity_ordered"),
            ({"system": "no-such"}, "system"),
            ({"contract": "no-such"}, "contract"),
            ({"condition": "broken"}, "condition"),
            ({"tiv_per_unit": "-2"}, "tiv_per_unit"),
        ]

    def test_ordered_below_delivered_is_rejected(self, editor_api, register):
        line = Transfer.objects.get(system__slug="tor-m1")
        response = editor_api.patch(f"{self.url}{line.pk}/", {"quantity_ordered": 10}, format="json")
        assert response.status_code == 400
        assert "29 are already recorded as delivered" in response.json()["quantity_ordered"][0]


@pytest.mark.django_db
class TestDeliveries(ResourceTests):
    copy_csv = True
    resource = "deliveries"
    model = Delivery
    list_queries = 2

    def create_payload(self, register):
        rafale = Transfer.objects.get(system__slug="rafale")
        return {"transfer": rafale.pk, "date": "2019-10", "quantity": 1}

    def patch_payload(self, register):
        return {"notes": "first aircraft handed over"}

    def bad_payloads(self, register):
        rafale = Transfer.objects.get(system__slug="rafale")
        return [
            ({"quantity": 37}, "quantity"),
            ({"quantity": -1}, "quantity"),
            ({"date": ""}, "date"),
            ({"date": "2019-02-30"}, "date"),
            ({"date": 2019}, "date"),
            ({"transfer": rafale.pk + 1000}, "transfer"),
        ]


@pytest.mark.django_db
class TestSources(ResourceTests):
    copy_csv = True
    resource = "sources"
    model = Source
    list_queries = 2

    def create_payload(self, register):
        return {
            "kind": "official-statement",
            "title": "Statement",
            "url": "https://example.org/s",
            "published_date": "2007-01-17",
        }

    def patch_payload(self, register):
        return {"publisher": "Ministry"}

    def bad_payloads(self, register):
        Source.objects.filter(key="news-a").update(url="https://example.org/taken")
        return [
            ({"url": "https://example.org/taken"}, "url"),
            ({"url": "not a url"}, "url"),
            ({"kind": "rumour"}, "kind"),
            ({"published_date": "2300"}, "published_date"),
            ({"language": "xx"}, "language"),
            ({"title": ""}, "title"),
        ]


@pytest.mark.django_db
class TestClaims(ResourceTests):
    resource = "claims"
    model = Claim

    @property
    def list_queries(self):
        # count, ids, page; on PostgreSQL between a SET and a RESET of the join planning
        return 5 if connection.vendor == "postgresql" else 3

    def create_payload(self, register):
        return {
            "source": "news-a",
            "contract": "tor",
            "speaker": "ivanov",
            "attribution": "on-record",
            "stance": "confirms",
            "summary": "Deliveries confirmed.",
            "stated_date": "2007-01-16",
        }

    def patch_payload(self, register):
        return {"rank": "preferred"}

    def bad_payloads(self, register):
        return [
            ({"system": "tor-m1"}, "non_field_errors"),
            ({"contract": None}, "non_field_errors"),
            ({"rank": "deprecated"}, "non_field_errors"),
            ({"stance": "shouts"}, "stance"),
            ({"source": "nope"}, "source"),
            ({"summary": ""}, "summary"),
        ]
