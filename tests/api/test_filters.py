"""Each filter, with rows that must match and rows that must not; bad values are 400s naming the parameter."""

import pytest

ALL_TRANSFERS = {"tor-m1", "9m338", "f-16c", "rafale"}

TRANSFER_CASES = [
    ("supplier=RUS", {"tor-m1", "9m338"}),
    ("supplier=rus,usa", {"tor-m1", "9m338", "f-16c"}),
    ("recipient=isr", {"f-16c"}),
    ("supplier=RUS&recipient=IRN", {"tor-m1", "9m338"}),
    ("system=rafale", {"rafale"}),
    ("system=rafale,f-16c", {"rafale", "f-16c"}),
    ("category=aircraft", {"f-16c", "rafale"}),
    ("category=air-defence,missiles", {"tor-m1", "9m338"}),
    ("status=completed", {"f-16c"}),
    ("status=signed,completed", {"f-16c", "rafale"}),
    ("condition=second-hand", {"f-16c"}),
    ("contract=rafale", {"rafale"}),
    ("ordered_from=2005", {"tor-m1", "9m338", "rafale"}),
    ("ordered_to=2005", {"tor-m1", "9m338", "f-16c"}),
    ("ordered_from=2005&ordered_to=2005", {"tor-m1", "9m338"}),
    ("delivered_from=2007", {"tor-m1", "9m338"}),
    ("delivered_to=2006", {"tor-m1", "f-16c"}),
    ("delivered_from=2006&delivered_to=2006", {"tor-m1"}),
    ("delivered_from=1999&delivered_to=2005", set()),
    # The confirming claim is about a Tor-M1 delivery: it does not confirm the missile line.
    ("confirmed=true", {"tor-m1"}),
    ("confirmed=false", {"9m338", "f-16c", "rafale"}),
    ("source=news-a", {"tor-m1", "f-16c"}),
    ("source=register-b", {"rafale"}),
    ("search=rafale", {"rafale"}),
    ("search=nuclear", {"tor-m1"}),
    ("search=israel", {"f-16c"}),
    ("search=SAM", {"tor-m1", "9m338"}),
]


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db
@pytest.mark.parametrize("query,expected", TRANSFER_CASES, ids=[c[0] for c in TRANSFER_CASES])
def test_transfer_filters(api, register, query, expected):
    assert expected < ALL_TRANSFERS  # some rows must not match
    got = {row["system"]["slug"] for row in rows(api.get(f"/api/transfers/?{query}"))}
    assert got == expected
    # The summary obeys the same filters.
    summary = api.get(f"/api/transfers/summary/?{query}&group_by=system").json()
    assert {row["group"]["system"]["slug"] for row in summary} == expected


@pytest.mark.django_db
def test_non_arms_contracts_stay_out_of_the_register(api, register):
    got = {row["system"]["slug"] for row in rows(api.get("/api/transfers/?limit=1000"))}
    assert got == ALL_TRANSFERS
    contracts = {row["reference"]: row for row in rows(api.get("/api/contracts/"))}
    assert contracts["bushehr"]["kind"] == "non-arms"


BAD_TRANSFER_QUERIES = [
    ("supplier=XXX", "supplier", "Unknown actor code: XXX"),
    ("supplier=RUS,nowhere", "supplier", "nowhere"),
    ("recipient=ZZZ", "recipient", "ZZZ"),
    ("system=no-such-system", "system", "no-such-system"),
    ("category=tanks", "category", "tanks"),
    ("status=done", "status", "done"),
    ("condition=used", "condition", "used"),
    ("ordered_from=abc", "ordered_from", "whole number"),
    ("ordered_to=20x5", "ordered_to", "whole number"),
    ("ordered_from=99999999", "ordered_from", "less than or equal"),
    ("delivered_from=-5", "delivered_from", "greater than or equal"),
    ("delivered_to=1e3", "delivered_to", "whole number"),
    ("confirmed=maybe", "confirmed", "maybe"),
    ("source=nope", "source", "nope"),
    ("contract=999999", "contract", "999999"),
    ("ordering=-price", "ordering", "price"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("query,param,text", BAD_TRANSFER_QUERIES, ids=[c[0] for c in BAD_TRANSFER_QUERIES])
def test_bad_transfer_filters_are_400_naming_the_parameter(api, register, query, param, text):
    for path in ["/api/transfers/", "/api/transfers/summary/", "/api/transfers/?format=csv&"]:
        url = f"{path}{'&' if '?' in path else '?'}{query}".replace("?&", "?").replace("&&", "&")
        response = api.get(url)
        assert response.status_code == 400, url
        if "csv" not in url:
            body = response.json()
            assert param in body
            assert text in " ".join(body[param])


OTHER_CASES = [
    ("actors", "kind=non-state", "code", {"hezbollah"}),
    ("actors", "role=supplier", "code", {"RUS", "USA", "FRA"}),
    ("actors", "role=recipient", "code", {"IRN", "ISR", "IND"}),
    ("actors", "search=isr", "code", {"ISR"}),
    ("people", "affiliation=rus", "slug", {"ivanov"}),
    ("people", "search=ivanov", "slug", {"ivanov"}),
    ("systems", "category=aircraft", "slug", {"f-16c", "rafale"}),
    ("systems", "origin=RUS", "slug", {"tor-m1", "9m338", "bushehr-plant"}),
    ("systems", "search=SAM", "slug", {"tor-m1", "9m338"}),
    ("contracts", "supplier=RUS", "reference", {"tor", "bushehr"}),
    ("contracts", "recipient=isr", "reference", {"f16"}),
    ("contracts", "status=signed", "reference", {"rafale"}),
    ("contracts", "kind=non-arms", "reference", {"bushehr"}),
    ("contracts", "ordered_from=2000&ordered_to=2010", "reference", {"tor"}),
    ("contracts", "system=f-16c", "reference", {"f16"}),
    ("contracts", "search=rafale", "reference", {"rafale"}),
    ("deliveries", "contract=tor", "quantity", {15, 14, 750}),
    ("deliveries", "delivered_from=2007", "quantity", {14, 750}),
    ("deliveries", "delivered_to=2006", "quantity", {15, 50}),
    ("deliveries", "supplier=usa", "quantity", {50}),
    ("sources", "kind=register", "key", {"register-b"}),
    ("sources", "publisher=wire a", "key", {"news-a"}),
    ("sources", "published_from=2010", "key", {"register-b"}),
    ("sources", "published_to=2010", "key", {"news-a"}),
    ("sources", "search=report", "key", {"news-a"}),
    ("claims", "source=register-b", "key", {"register", "deny"}),
    ("claims", "contract=tor", "key", {"confirm"}),
    ("claims", "system=f-16c", "key", set()),
    ("claims", "actor=hezbollah", "key", {"deny"}),
    ("claims", "actor=RUS", "key", {"confirm"}),
    ("claims", "speaker=ivanov", "key", {"confirm"}),
    ("claims", "stance=confirms", "key", {"confirm"}),
    ("claims", "attribution=anonymous,source", "key", {"anon", "register"}),
    ("claims", "rank=deprecated", "key", {"deny"}),
    ("claims", "stated_from=2007", "key", {"confirm"}),
    ("claims", "search=sergei", "key", {"confirm"}),  # the speaker's name
    ("claims", "search=fifty jets", "key", {"anon"}),  # every term, in the summary
    ("claims", "search=ordered 36", "key", {"register"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("resource,query,key,expected", OTHER_CASES, ids=[f"{c[0]}?{c[1]}" for c in OTHER_CASES])
def test_resource_filters(api, register, resource, query, key, expected):
    everything = {row[key] for row in rows(api.get(f"/api/{resource}/?limit=1000"))}
    assert expected < everything
    got = {row[key] for row in rows(api.get(f"/api/{resource}/?{query}&limit=1000"))}
    assert got == expected


@pytest.mark.django_db
@pytest.mark.parametrize("listed", [2000, 0])  # the matching ids read first; or as a subquery
def test_claim_filter_by_transfer_includes_its_deliveries(api, register, listed, monkeypatch):
    monkeypatch.setattr("transfers.api.filters.RecordListFilter.MAX_LISTED", listed)
    tor_line = register["contract"]["tor"].transfers.get(system__slug="tor-m1")
    got = {row["key"] for row in rows(api.get(f"/api/claims/?transfer={tor_line.pk}"))}
    assert got == {"confirm"}
    actor = {row["key"] for row in rows(api.get("/api/claims/?actor=RUS,hezbollah"))}
    assert actor == {"confirm", "deny"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/actors/?kind=planet", "kind"),
        ("/api/actors/?role=broker", "role"),
        ("/api/people/?affiliation=XXX", "affiliation"),
        ("/api/systems/?category=lasers", "category"),
        ("/api/systems/?producer=nobody", "producer"),
        ("/api/contracts/?supplier=XXX", "supplier"),
        ("/api/contracts/?ordered_from=year", "ordered_from"),
        ("/api/deliveries/?transfer=abc", "transfer"),
        ("/api/deliveries/?delivered_to=x", "delivered_to"),
        ("/api/sources/?kind=rumour", "kind"),
        ("/api/sources/?published_from=20.5", "published_from"),
        ("/api/claims/?stance=shouts", "stance"),
        ("/api/claims/?speaker=nobody", "speaker"),
        ("/api/claims/?contract=nope", "contract"),
        ("/api/claims/?ordering=colour", "ordering"),
        ("/api/transfers/summary/?group_by=colour", "group_by"),
        ("/api/transfers/summary/?group_by=supplier,recipient,system", "group_by"),
        ("/api/transfers/summary/?group_by=supplier,supplier", "group_by"),
    ],
)
def test_bad_filters_on_every_resource(api, register, url, param):
    response = api.get(url)
    assert response.status_code == 400
    assert param in response.json()


@pytest.mark.django_db
def test_ordering(api, register):
    got = [row["system"]["slug"] for row in rows(api.get("/api/transfers/?ordering=-order_date"))]
    assert got[0] == "rafale" and got[-1] == "f-16c"
    got = [row["quantity_ordered"] for row in rows(api.get("/api/transfers/?ordering=quantity_ordered"))]
    assert got == sorted(got)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ordering,key",
    [
        ("supplier", lambda row: (row["supplier"]["code"], row["id"])),
        ("-supplier", lambda row: (row["supplier"]["code"], row["id"])),
        ("system,-id", lambda row: (row["system"]["designation"], -row["id"])),
        ("-status", lambda row: (row["contract"]["status"], row["id"])),
    ],
)
@pytest.mark.parametrize("few", [10_000, 0])  # few matches sorted as an expression, or by the index
def test_pages_ordered_on_other_tables_are_whole_and_in_order(api, register, ordering, key, few, monkeypatch):
    monkeypatch.setattr("transfers.api.pagination.LimitOffsetPagination.FEW", few)
    # Read in two steps (ids, then rows): every page in order, no row lost or repeated.
    expected = sorted(rows(api.get("/api/transfers/?limit=1000")), key=key, reverse=ordering.startswith("-"))
    pages = [rows(api.get(f"/api/transfers/?ordering={ordering}&limit=3&offset={offset}")) for offset in (0, 3)]
    got = [row["id"] for page in pages for row in page]
    assert got == [row["id"] for row in expected]
    assert pages[0][0] == rows(api.get(f"/api/transfers/?ordering={ordering}&limit=1"))[0]


@pytest.mark.django_db
@pytest.mark.parametrize("few", [10_000, 0])
@pytest.mark.parametrize("ordering", ["", "-id", "stated_date", "-stance"])
def test_claim_pages_read_ids_first_are_whole_and_in_order(api, register, ordering, few, monkeypatch):
    monkeypatch.setattr("transfers.api.pagination.LimitOffsetPagination.FEW", few)
    whole = [row["key"] for row in rows(api.get(f"/api/claims/?ordering={ordering}&limit=1000"))]
    assert len(whole) == 4
    pages = [rows(api.get(f"/api/claims/?ordering={ordering}&limit=3&offset={offset}")) for offset in (0, 3)]
    assert [row["key"] for page in pages for row in page] == whole
    if ordering == "-id":
        assert whole == [row["key"] for row in sorted(rows(api.get("/api/claims/")), key=lambda r: -r["id"])]
    searched = rows(api.get(f"/api/claims/?ordering={ordering}&search=delivered"))
    assert [row["key"] for row in searched] == ["confirm"]


@pytest.mark.django_db
@pytest.mark.parametrize("query,expected", [c for c in TRANSFER_CASES if c[0].startswith("search=")])
def test_search_for_broad_terms_matches_the_same(api, register, monkeypatch, query, expected):
    # Past a number of matching systems, search looks them up in a subquery instead of listing ids.
    from transfers.api.filters import TransferSearchFilter

    monkeypatch.setattr(TransferSearchFilter, "MAX_LISTED", 0)
    assert {row["system"]["slug"] for row in rows(api.get(f"/api/transfers/?{query}"))} == expected
