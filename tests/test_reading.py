"""The reading room (transfers/reading) through the test client: status codes, the same rows
and messages as the API, escaping, charts with the expected marks, constant query counts."""

import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import SimpleRateThrottle

from transfers import selectors
from transfers.api.filters import TransferFilterSet
from transfers.models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem

TOR = "rus-irn-2005-tor-m1"


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    # Each request computes its figures: counts and contents do not depend on an earlier test.
    settings.READING_CACHE_SECONDS = 0
    cache.clear()


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:2000])
    return response.content.decode()


def row_ids(text):
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', text)]


def add_deals(count, *, start=0):
    """count more deals between a few suppliers and recipients, each with two lines, deliveries and claims."""
    actors = [
        Actor.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in [("FRA", "France"), ("IND", "India"), ("USA", "United States"), ("RUS", "Russia")]
    ]
    systems = [
        WeaponSystem.objects.get_or_create(
            slug=slug, defaults={"designation": designation, "category": category, "description": "test system"}
        )[0]
        for slug, designation, category in [
            ("rafale", "Rafale", "aircraft"),
            ("su-30", "Su-30MKI", "aircraft"),
            ("tor-m2", "Tor-M2", "air-defence"),
        ]
    ]
    source, _ = Source.objects.get_or_create(
        key="test-register", defaults={"title": "A test register", "kind": "register"}
    )
    for index in range(start, start + count):
        supplier = actors[index % 4]
        recipient = actors[(index + 1) % 4]
        contract = Contract.objects.create(
            reference=f"test-deal-{index}",
            title=f"Test deal {index}",
            supplier=supplier,
            recipient=recipient,
            status="delivering",
            order_date=datetime.date(2000 + index % 20, 1, 1),
            value_amount=1000 + index,
            value_currency="USD",
        )
        for line in range(2):
            transfer = Transfer.objects.create(
                contract=contract, system=systems[(index + line) % 3], quantity_ordered=10, comments=f"line {line}"
            )
            for year in range(2):
                Delivery.objects.create(
                    transfer=transfer, date=datetime.date(2001 + index % 20 + year, 1, 1), quantity=2
                )
        Claim.objects.create(
            source=source,
            contract=contract,
            attribution="source",
            stance="asserts",
            summary="Ordered.",
            assertion_field="quantity_ordered",
            assertion_value="20",
        )


# --- Every page answers ---------------------------------------------------------------------------------

PAGES = [
    "/",
    "/?supplier=RUS&category=air-defence",
    f"/deals/{TOR}/",
    "/deals/rus-irn-bushehr-npp/",
    "/actors/RUS/",
    "/actors/IRN/",
    "/actors/USA/",
    "/flows/",
    "/flows/?ordered_from=2000&category=air-defence&measure=transfers&top=5",
    "/search/?search=tor",
    "/search/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers_html_to_anyone(client, seed, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:1000]
    assert response["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    text = response.content.decode()
    assert "<script" not in text  # pages need no JavaScript at all
    assert 'action="/search/"' in text  # the search box in the header
    assert 'href="/api/' in text  # and a link to the matching API URL


@pytest.mark.django_db
def test_the_site_root_is_the_register_and_the_api_stays_at_api(client, seed):
    assert "Trade register" in page(client, "/")
    assert client.get("/api/").status_code == 200
    assert client.get("/api/transfers/").json()["count"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/deals/no-such-deal/", "/actors/XXX/", "/deals/%3Cscript%3E/"])
def test_unknown_records_are_a_404_page(client, seed, url):
    text = page(client, url, status=404)
    assert "Not found" in text and "<script>" not in text


@pytest.mark.django_db
def test_codes_in_another_case_redirect_to_the_record(client, seed):
    response = client.get("/actors/rus/?measure=transfers")
    assert response.status_code == 301 and response["Location"] == "/actors/RUS/?measure=transfers"
    contract = Contract.objects.get(reference=TOR)
    assert client.get(f"/deals/{contract.pk}/")["Location"] == f"/deals/{TOR}/"


@pytest.mark.django_db
def test_pages_are_read_only(client, seed):
    for url in ("/", f"/deals/{TOR}/", "/flows/"):
        assert client.post(url, {"supplier": "RUS"}).status_code == 405
        assert client.delete(url).status_code == 405
    assert client.head("/").status_code == 200
    assert client.options("/").status_code == 405


@pytest.mark.django_db
def test_an_unknown_address_outside_the_api_is_the_reading_rooms_404(client, seed):
    text = page(client, "/no-such-page/%3Cscript%3E/", status=404)
    assert "There is no page at" in text and 'action="/search/"' in text and "<script>" not in text
    assert client.get("/api/no-such-thing/").json() == {"detail": "Not found."}


# --- The register: the API's rows, parameters and messages -----------------------------------------------


REGISTER_QUERIES = [
    "",
    "supplier=RUS",
    "supplier=rus,usa&category=air-defence,aircraft",
    "recipient=IND&ordered_from=2005&ordered_to=2012",
    "delivered_from=2006&delivered_to=2007",
    "confirmed=true",
    "confirmed=false&status=delivering",
    "system=tor-m2",
    "search=tor",
    "search=france",
    "ordering=-order_date",
    "ordering=supplier&limit=7&offset=3",
    "ordering=-quantity_delivered,system&limit=5",
    "contract=test-deal-3",
    "source=test-register&limit=4&offset=8",
    "delivered_before_order=false&supplier=RUS",
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", REGISTER_QUERIES)
def test_the_register_lists_the_rows_of_the_same_api_url(client, seed, query):
    add_deals(12)
    api = client.get(f"/api/transfers/?{query}").json()
    text = page(client, f"/?{query}")
    assert row_ids(text) == [row["id"] for row in api["results"]]
    assert f'data-count="{api["count"]}"' in text
    # The page names the API URL and the CSV of the same filter.
    assert html.escape(f"/api/transfers/?{query}".rstrip("?")) + '"' in text
    csv_query = "&".join(p for p in query.split("&") if p and not p.startswith(("limit=", "offset=")))
    csv_url = "/api/transfers/?" + (csv_query + "&" if csv_query else "") + "format=csv"
    assert html.escape(csv_url) in text
    exported = client.get(csv_url)
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert len(b"".join(exported.streaming_content).decode().strip().splitlines()) == api["count"] + 1


BAD_PARAMETERS = [
    "supplier=XXX",
    "supplier=RUS,nowhere",
    "system=no-such-system",
    "category=tanks",
    "status=won",
    "ordered_from=19x5",
    "delivered_to=-3",
    "confirmed=maybe",
    "ordering=price",
    "ordering=-supplier,colour",
    "limit=0",
    "limit=ten",
    "offset=-1",
    "suplier=RUS",
    "supplier=RUS&supplier=IRN",
    "search=%00",
    "supplier=%3Cscript%3Ealert(1)%3C/script%3E",
    "format=json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", BAD_PARAMETERS)
def test_a_bad_parameter_is_the_apis_message_as_a_form_error(client, seed, query):
    api = client.get(f"/api/transfers/?{query}")
    text = page(client, f"/?{query}", status=400)
    assert "<script>alert" not in text
    assert 'class="form-errors"' in text or 'class="field-errors"' in text
    if query == "format=json":
        # The API's own format switch is not a parameter of the page.
        assert "format: Unknown parameter" in text
        return
    assert api.status_code == 400
    errors = api.json()
    for name, messages in errors.items() if isinstance(errors, dict) else [("search", errors)]:
        for message in messages if isinstance(messages, list) else [messages]:
            # The list of what "this URL accepts" is the page's: the API's, but its formats.
            message = message.replace(" format,", "")
            assert html.escape(message) in text, (name, message)
    assert "data-count" not in text  # no rows under a refused filter


@pytest.mark.django_db
def test_the_form_sends_back_only_what_was_filled_in(client, seed):
    response = client.get("/?search=&supplier=RUS&recipient=&category=air-defence&ordering=&limit=")
    assert response.status_code == 302
    assert response["Location"] == "/?supplier=RUS&category=air-defence"
    assert client.get("/flows/?category=&measure=transfers")["Location"] == "/flows/?measure=transfers"


@pytest.mark.django_db
def test_the_form_has_every_filter_of_the_api_and_keeps_values(client, seed):
    text = page(client, "/?supplier=rus&category=aircraft,ships&confirmed=true&ordering=-supplier&limit=100")
    for name in [*TransferFilterSet.base_filters, "search", "ordering", "limit"]:
        assert f'name="{name}"' in text, name
    assert 'name="supplier" value="rus"' in text
    assert '<option value="aircraft,ships" selected>' in text  # any of two: kept, not dropped
    assert '<option value="true" selected>' in text
    assert '<option value="-supplier" selected>' in text


@pytest.mark.django_db
def test_a_filter_added_to_the_api_appears_in_the_form(client, seed, monkeypatch):
    from transfers.api.filters import StrictBooleanFilter

    class NeverFilter(StrictBooleanFilter):
        def method_filter(self, qs, value):
            return qs

    filters = dict(TransferFilterSet.base_filters)
    filters["test_added"] = NeverFilter(help_text="A filter the form does not know.")
    monkeypatch.setattr(TransferFilterSet, "base_filters", filters)
    monkeypatch.delattr(TransferFilterSet, "_form_class", raising=False)
    text = page(client, "/?test_added=true")
    assert '<select name="test_added"' in text
    assert '<option value="true" selected>' in text


@pytest.mark.django_db
def test_sortable_columns_and_pages_link_to_the_next_view(client, seed):
    add_deals(6)
    text = page(client, "/?supplier=FRA,USA&ordering=supplier&limit=2&offset=2")
    assert html.escape("/?supplier=FRA,USA&limit=2&ordering=-supplier") in text  # the sorted column reverses
    assert html.escape("/?supplier=FRA,USA&limit=2&ordering=recipient") in text
    assert html.escape("/?supplier=FRA,USA&ordering=supplier&limit=2&offset=4") in text  # next
    assert html.escape("/?supplier=FRA,USA&ordering=supplier&limit=2") + '"' in text  # previous: the first page
    assert 'aria-sort="ascending"' in text


# --- Charts ------------------------------------------------------------------------------------------


def bars(text, chart_id):
    svg = re.search(rf'<svg class="chart chart-years" id="{chart_id}".*?<figcaption>', text, re.S)
    return re.findall(r'<rect class="bar ([^"]+)" data-year="(\d+)" data-series="([^"]+)"', svg.group()) if svg else []


@pytest.mark.django_db
def test_the_register_chart_has_a_bar_per_year_and_category_of_the_summary(client, seed):
    add_deals(8)
    query = "supplier=FRA,USA"
    summary = client.get(f"/api/transfers/summary/?group_by=delivery_year,category&{query}").json()
    expected = {
        (str(row["group"]["delivery_year"]), row["group"]["category"]["slug"])
        for row in summary
        if row["quantity_delivered"]
    }
    drawn = bars(page(client, f"/?{query}"), "register-chart")
    assert {(year, series) for _css, year, series in drawn} == expected
    assert len(drawn) == len(expected) == 12


@pytest.mark.django_db
def test_deliveries_of_unknown_size_are_marked_not_drawn_as_zero(client, seed):
    text = page(client, f"/deals/{TOR}/")
    assert bars(text, "deal-chart") == []
    assert text.count('<rect class="unknown" data-year="2007"') == 1
    assert "1 delivery reported" in text


@pytest.mark.django_db
def test_flows_chart_has_a_link_per_pair_and_others_fold(client, seed):
    add_deals(8)
    text = page(client, "/flows/?measure=transfers&top=5")
    pairs = (
        Transfer.objects.filter(cached_is_arms=True)
        .values_list("cached_supplier", "cached_recipient")
        .distinct()
        .count()
    )
    assert len(re.findall(r'<path class="link', text)) == pairs == 5
    # With the top 2 only, the rest of each side is one "other" node.
    text = page(client, "/flows/?measure=transfers&top=5&category=aircraft")
    aircraft = (
        Transfer.objects.filter(cached_category="aircraft")
        .values_list("cached_supplier", "cached_recipient")
        .distinct()
        .count()
    )
    assert len(re.findall(r'<path class="link', text)) == aircraft
    text = page(client, "/flows/?measure=quantity_ordered&top=5")
    assert "Number ordered" in text


@pytest.mark.django_db
def test_actor_page_has_years_partners_systems_with_shares_and_register_links(client, seed):
    add_deals(8)
    text = page(client, "/actors/FRA/")
    assert "As supplier" in text and "As recipient" in text
    assert 'href="/?supplier=FRA"' in text and 'href="/?recipient=FRA"' in text
    assert 'href="/?supplier=FRA&amp;recipient=IND"' in text  # a partner's rows in the register
    assert 'href="/?supplier=FRA&amp;system=rafale"' in text
    assert "100%" in text and "share-bar" in text
    assert len(bars(text, "supplier")) > 0 and len(bars(text, "recipient")) > 0
    assert html.escape("/api/transfers/summary/?supplier=FRA&group_by=recipient") in text


@pytest.mark.django_db
def test_every_chart_has_its_numbers_as_a_table(client, seed):
    add_deals(4)
    for url in ("/", "/actors/FRA/", f"/deals/{TOR}/", "/deals/test-deal-1/", "/flows/"):
        text = page(client, url)
        assert text.count('role="img"') >= 1, url
        assert 'class="numbers' in text or 'class="top-table' in text, url


# --- A deal ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_tor_m1_deal_page(client, seed):
    text = page(client, f"/deals/{TOR}/")
    for expected in [
        "Tor-M1 air-defence systems for Iran",
        'href="/actors/RUS/"',
        'href="/actors/IRN/"',
        "USD 700,000,000",
        "2005-12",
        "Sergei Ivanov",
        "Tom Casey",
        "Mark Regev",
        "on the record",
        "confirms",
        "criticises",
        "Russian official confirms sale of missiles to Iran",
        "NBC News",
        "Deliveries per year",
        "Evidence per field",
        f"/api/contracts/{TOR}/timeline/",
        f"/api/claims/?contract={TOR}",
    ]:
        assert expected in text, expected
    claims = sum(
        Claim.objects.filter(**{path: TOR}).count()
        for path in ("contract__reference", "transfer__contract__reference", "delivery__transfer__contract__reference")
    )
    assert text.count('<tr class="claim"') == claims == 9
    timeline = selectors.contract_timeline(contract=Contract.objects.get(reference=TOR))
    assert text.count('<li class="event event-') == len(timeline)
    assert re.search(r'data-field="quantity_ordered".*?29', text, re.S)


@pytest.mark.django_db
def test_conflicting_values_are_side_by_side_with_who_said_each(client, seed):
    contract = Contract.objects.get(reference=TOR)
    source = Source.objects.create(key="other-report", title="Another report", kind="news-report", outlet="Wire B")
    Claim.objects.create(
        source=source,
        transfer=contract.transfers.get(),
        speaker_role="a diplomat",
        attribution="anonymous",
        stance="asserts",
        summary="Says 32 systems.",
        assertion_field="quantity_ordered",
        assertion_value="32",
        stated_date=datetime.date(2007, 2, 1),
    )
    text = page(client, f"/deals/{TOR}/")
    block = re.search(
        r'<div class="evidence disputed" data-field="quantity_ordered">.*?</div>\s*</div>\s*</div>', text, re.S
    )
    assert block, "the quantity ordered is shown as disputed"
    values = re.findall(r'<p class="value">([^<]+)', block.group())
    assert [v.strip() for v in values] == ["29", "32"]
    assert "a diplomat" in block.group() and "Another report" in block.group()


@pytest.mark.django_db
def test_the_tor_m1_deals_disputed_figures_follow_the_evidence_service(client, seed):
    from django.core.management import call_command

    call_command("loaddata", "tor-m1-reports", verbosity=0)
    evidence = client.get(f"/api/contracts/{TOR}/evidence/").json()
    text = page(client, f"/deals/{TOR}/")
    shown = set(re.findall(r'<div class="evidence disputed" data-field="([a-z_]+)"', text))
    assert shown == {entry["field"] for entry in evidence["fields"] if entry["disputed"]} == {"value", "status"}
    block = re.search(r'data-field="value">.*?(?=<div class="evidence[ a-z]*" data-field)', text, re.S).group()
    assert [v.strip() for v in re.findall(r'<p class="value">([^<]+)', block)] == [
        "USD 700,000,000",
        "USD 1,000,000,000",
    ]
    assert "defence ministry source" in block and "The record follows this claim." in block


@pytest.mark.django_db
def test_a_non_arms_deal_says_it_is_kept_out_of_totals(client, seed):
    text = page(client, "/deals/rus-irn-bushehr-npp/")
    assert "Not an arms transfer" in text


# --- Escaping and search ---------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.django_db
def test_hostile_text_is_escaped_everywhere(client, seed):
    rus = Actor.objects.get(code="RUS")
    rus.name = f"Russia {HOSTILE}"
    rus.save()
    contract = Contract.objects.get(reference=TOR)
    contract.title = f"Tor {HOSTILE}"
    contract.notes = HOSTILE
    contract.save()
    line = contract.transfers.get()
    line.comments = HOSTILE
    line.save()
    system = line.system
    system.designation = f"Tor-M1 {HOSTILE}"
    system.save()
    source = Source.objects.get()
    source.title = f"Report {HOSTILE}"
    source.url = 'https://example.org/"><script>alert(2)</script>'
    source.save()
    Claim.objects.filter(contract=contract).update(summary=HOSTILE, quote=HOSTILE)
    for url in [
        "/",
        "/?search=tor",
        f"/deals/{TOR}/",
        "/actors/RUS/",
        "/actors/IRN/",
        "/flows/",
        "/search/?search=tor",
        "/search/?search=" + HOSTILE,
        "/?supplier=" + HOSTILE,
    ]:
        text = client.get(url).content.decode()
        assert "<script>alert" not in text and "<img src=x" not in text, url
        assert "&lt;script&gt;" in text or "&lt;script&gt;" in html.escape(HOSTILE), url


@pytest.mark.django_db
def test_search_finds_actors_systems_deals_and_sources(client, seed):
    text = page(client, "/search/?search=tor")
    assert 'href="/?system=tor-m1"' in text
    assert f'href="/deals/{TOR}/"' in text
    text = page(client, "/search/?search=iran")
    assert 'href="/actors/IRN/"' in text
    text = page(client, "/search/?search=missiles")
    assert "Russian official confirms sale of missiles to Iran" in text
    text = page(client, "/search/?search=bushehr")
    assert 'href="/deals/rus-irn-bushehr-npp/"' in text
    assert html.escape("/api/contracts/?search=bushehr") in text
    assert page(client, "/search/?search=x&page=2", status=400).count("Unknown parameter") == 1


# --- Limits and queries --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_count_against_the_apis_limits(client, seed, monkeypatch, one_rate_window):
    cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "4/min", "user": "8/min", "export": "2/min"})
    codes = [client.get(url).status_code for url in ("/api/actors/", "/", f"/deals/{TOR}/", "/api/actors/", "/")]
    assert codes == [200, 200, 200, 200, 429]
    response = client.get("/flows/")
    assert response.status_code == 429 and "Retry-After" in response
    assert "Too many requests" in response.content.decode()
    cache.clear()


QUERY_PAGES = [
    "/",
    "/?supplier=FRA,RUS&category=aircraft,air-defence&ordering=-supplier&limit=5",
    "/?search=tor&delivered_from=2001",
    f"/deals/{TOR}/",
    "/deals/test-deal-1/",
    "/actors/FRA/",
    "/actors/RUS/",
    "/flows/",
    "/flows/?ordered_from=2001&category=aircraft&measure=transfers",
    "/search/?search=tor",
]


@pytest.mark.django_db
def test_queries_per_page_do_not_grow_with_the_data(client, seed):
    def counts():
        out = {}
        for url in QUERY_PAGES:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            out[url] = len(queries)
        return out

    add_deals(4)  # every page has something of each kind to show (an empty summary skips its labels)
    small = counts()
    add_deals(40, start=4)
    for index in range(5):
        deal = Contract.objects.get(reference="test-deal-1")
        Claim.objects.create(
            source=Source.objects.get(key="test-register"),
            transfer=deal.transfers.first(),
            attribution="source",
            stance="asserts",
            summary=f"More {index}.",
        )
    assert counts() == small
    # And a fixed, small number: a change that adds queries fails here.
    assert max(small.values()) <= 25, small


@pytest.mark.django_db
def test_figures_are_kept_in_the_shared_cache_for_a_while(client, seed, settings):
    settings.READING_CACHE_SECONDS = 60
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        page(client, "/flows/")
    with CaptureQueriesContext(connection) as second:
        page(client, "/flows/")
    assert len(second) < len(first)
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_flows_kept_in_the_shared_cache_show_a_write_at_once(client, seed, settings):
    # The flows page keeps its folded figures, not the summary's rows: a new deal (a
    # committed write, a new data version) must still be on the next request.
    settings.READING_CACHE_SECONDS = 60
    cache.clear()
    url = "/flows/?measure=transfers&top=5"
    links = re.compile(r'<path class="link')
    before = len(links.findall(page(client, url)))
    assert len(links.findall(page(client, url))) == before
    add_deals(1)
    pairs = Transfer.objects.filter(cached_is_arms=True).values_list("cached_supplier", "cached_recipient").distinct()
    assert len(links.findall(page(client, url))) == pairs.count() == before + 1
    cache.clear()


def test_query_strings_of_pages_match_the_api_names():
    # The register's parameters are exactly the API's list parameters.
    from transfers.reading.selectors import Register, query

    names = Register(query({})).accepted()
    assert names == {*TransferFilterSet.base_filters, "search", "ordering", "limit", "offset"}


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", [["delivery_year", "category"], ["supplier", "recipient"], ["system"]])
def test_a_summary_of_some_measures_is_the_same_figures_for_fewer_queries(seed, group_by):
    add_deals(6)
    transfers = selectors.transfer_register_base()
    with CaptureQueriesContext(connection) as everything:
        full = selectors.transfer_summary(transfers=transfers, group_by=group_by)
    with CaptureQueriesContext(connection) as some:
        lean = selectors.transfer_summary(transfers=transfers, group_by=group_by, measures=["quantity_delivered"])
    assert lean == [{"group": row["group"], "quantity_delivered": row["quantity_delivered"]} for row in full]
    assert len(some) < len(everything)  # no values query
    with pytest.raises(ValueError):
        selectors.transfer_summary(transfers=transfers, group_by=group_by, measures=["price"])
