"""Articles to reviewed claims (#17): the command, the admin (paste, review, accept, edit,
reject), drafts kept out of claims and evidence, untrusted text, and the evaluation's
targets on the seed article."""

import datetime
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from transfers.articles.evaluation import ROOT, article_evaluate, seed_targets_met
from transfers.articles.models import Article, Draft
from transfers.articles.text import MAX_CHARS, html_to_text
from transfers.evidence import contract_evidence
from transfers.models import Actor, Claim, Contract, Person, Source, WeaponSystem

DATA = Path(__file__).parent / "data" / "articles"
SEED_TEXT = DATA / "ap-2007-01-16-russia-iran-tor-m1.txt"


def ingest(tmp_path, text, *args):
    path = tmp_path / "article.txt"
    path.write_text(text, encoding="utf-8")
    call_command("ingest_article", str(path), *args, verbosity=0)
    return Article.objects.latest("pk")


def review_url(article):
    return reverse("admin:transfers_article_review", args=[article.pk])


def drafts_of(token_client, text, published_date):
    """The drafts of `text` posted to /api/articles/ by an editor."""
    response = token_client().post("/api/articles/", {"text": text, "published_date": published_date}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["drafts"]


def test_evaluation_meets_the_targets_on_the_seed_article():
    result = article_evaluate(annotation_path=DATA / "ap-2007-01-16-russia-iran-tor-m1.json")
    assert result["claims"] == 16
    unmet = [row for row in seed_targets_met(result) if not row[3]]
    assert unmet == [], unmet


@pytest.mark.django_db
def test_command_keeps_the_article_as_a_source_with_its_text_and_drafts_its_claims(seed, tmp_path):
    claims_before = Claim.objects.count()
    article = ingest(tmp_path, SEED_TEXT.read_text(encoding="utf-8"), "--date", "2007-01-16", "--outlet", "NBC News")
    source = article.source
    assert source.title == "Russian official confirms sale of missiles to Iran"
    assert source.publisher == "The Associated Press"  # from "/ Source: The Associated Press"
    assert source.published_date == datetime.date(2007, 1, 16)
    assert "Tor-M1 system can identify up to 48 targets" in article.text
    drafts = list(article.drafts.all())
    assert len(drafts) >= 16
    value = next(d for d in drafts if d.assertion_field == "value" and d.contract and "tor-m1" in d.contract.reference)
    assert value.assertion_value == "USD 700000000"
    assert article.text[value.start : value.end].startswith("Ministry officials have previously said")
    assert value.attribution == "media-report"
    assert value.speaker_actor.code == "rus-ministry-of-defence"
    assert value.cues["assertion"] == ["amount “$700 million”"]
    ivanov = next(d for d in drafts if d.assertion_field == "status" and d.speaker_id)
    assert (ivanov.speaker.slug, ivanov.stance, ivanov.assertion_value) == ("sergei-ivanov", "confirms", "delivered")
    anonymous = next(d for d in drafts if d.attribution == "anonymous")
    assert anonymous.speaker_id is None and "ministry official" in anonymous.speaker_role
    # Drafts are not claims: nothing counts them until accepted.
    assert Claim.objects.count() == claims_before


@pytest.mark.django_db
def test_metadata_read_from_a_dateline_and_a_date_line(db, tmp_path):
    text = (
        "Venezuela buys Russian jets\n\nPublished March 3, 2009\n\n"
        "CARACAS, Venezuela (Reuters) — Venezuela has ordered 12 Su-30 fighters from Russia, "
        "Defense Minister Pedro Alvarez said on Monday.\n"
    )
    article = ingest(tmp_path, text)
    assert article.source.title == "Venezuela buys Russian jets"
    assert article.source.publisher == "Reuters"
    assert article.source.published_date == datetime.date(2009, 3, 3)
    assert "dateline" in article.source.notes


@pytest.mark.django_db
def test_command_refuses_an_article_over_the_limit_and_an_unreadable_date(db, tmp_path):
    with pytest.raises(CommandError, match=r"limit is 100,000"):
        ingest(tmp_path, "Word. " * 20_000)
    with pytest.raises(CommandError, match=r"--date"):
        ingest(tmp_path, "Russia said so.", "--date", "16/01/2007")
    # Given metadata is refused whole, as the admin and the API refuse it (it was cut).
    with pytest.raises(CommandError, match=r"title: At most 500 characters; this has 5,000"):
        ingest(tmp_path, "Russia said so.", "--title", "t" * 5000)
    with pytest.raises(CommandError, match=r"publisher: At most 200 characters"):
        ingest(tmp_path, "Russia said so.", "--publisher", "p" * 201)
    with pytest.raises(CommandError, match=r"NUL characters: a binary file"):
        ingest(tmp_path, "binary\x00\x01\x02")
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_html_is_reduced_to_its_text(db, tmp_path):
    html = (
        "<html><head><title>x</title><script>alert('no')</script></head><body><h1>Iran buys drones</h1>"
        "<p>TEHRAN, Iran (AP) — Iran <b>bought</b> 5 drones from China, an official said.</p></body></html>"
    )
    article = ingest(tmp_path, html, "--date", "2020-05-05")
    assert "alert" not in article.text and "<b>" not in article.text
    assert "Iran bought 5 drones from China, an official said." in article.text
    assert article.source.title == "Iran buys drones"


def test_html_text_keeps_block_breaks_and_leaves_out_what_is_not_read():
    html = (
        "<!DOCTYPE html><html><head><title>x</title><style>p {}</style></head><body><!-- a comment -->"
        "<nav>Home</nav><div><div><p>Russia <i>sold</i> 5<br>radars.</p><script>alert(1)</script>"
        "<noscript><p>Enable scripts</p></noscript></div>Then</div><ul><li>one</li><li>two</li></ul>"
        "<p><![CDATA[kept]]></p></body></html>"
    )
    assert html_to_text(html) == "Russia sold 5\n\nradars.\n\nThen\n\none\n\ntwo\n\nkept"


@pytest.mark.django_db
def test_a_page_of_blocks_nested_as_deep_as_the_size_limit_allows_is_read(db, token_client):
    """20,000 blocks one in another (100,000 characters) took half a minute of a worker's
    time (BeautifulSoup's insert_after walks a tag's descendants); now one walk."""
    words = "Russia delivered 29 Tor-M1 systems to Iran, an official said."
    blocks = (MAX_CHARS - len(words)) // len("<div>")
    body = {"text": "<div>" * blocks + words, "published_date": "2007-01-16"}
    response = token_client().post("/api/articles/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Article.objects.get().text == words


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text,kept",
    [
        # 4,000 spaces took 10 s (a pattern's `\s*` tried at every space); 100,000 without a
        # line end after them 10 to 20 s in the clean-up before the engine.
        ("Russia said it sold" + " " * 4_000 + "x.", "Russia said it sold x."),
        ("Russia said it sold" + "\t" * 95_000 + "x.", "Russia said it sold x."),
        # 25,000 sentences on one line: every sentence read every mention of the line (32 s).
        ("US. " * 24_000, "US. US."),
        # Unclosed tags and comments: Python's HTML parser looked for each one's end to the end
        # of the page (CVE-2025-6069): 8,000 took 10 s, the size limit's some 150 s.
        ("<p>Russia sold 29 Tor-M1 systems to Iran." + "<a " * 33_000, "<a <a"),
        ("<p>Russia sold 29 Tor-M1 systems to Iran.</p>" + "<!--" * 24_000, "Russia sold 29 Tor-M1 systems to Iran."),
    ],
)
def test_texts_that_took_a_worker_for_minutes_are_read_in_one_pass(seed, token_client, text, kept):
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert response.status_code == 201, response.content[:300]
    assert kept in Article.objects.get().text


@pytest.mark.django_db
def test_a_run_of_punctuation_without_a_space_is_read_and_the_text_around_it_drafted(seed, token_client):
    """spaCy's tokenizer is quadratic in such a run: 20,000 quotation marks took 34 s of a
    worker, the size limit's 100,000 many minutes. The run is read a piece at a time."""
    url = "https://example.com/" + "news/" * 30 + "russia-iran-tor-m1.html"
    text = f"{'(' * 20000}\n\nRussia's defence minister said Moscow delivered 29 Tor-M1 systems to Iran (page {url})."
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert response.status_code == 201, response.json()
    drafts = response.json()["drafts"]
    delivered = [d for d in drafts if d["assertion_field"] == "quantity_delivered"]
    assert [d["assertion_value"] for d in delivered] == ["29"], drafts
    # Offsets are the article's own: the highlighted sentence is the one written.
    article = Article.objects.get()
    assert article.text == text
    sentence = delivered[0]["sentence"]
    assert sentence == text[20002:-1] and url in sentence, sentence


@pytest.mark.django_db
def test_a_sentence_as_long_as_the_limit_is_drafted(seed, token_client):
    """Found by an adversarial pass: 99,000 characters of `sold 9 Tor-M1` with no full stop
    held a worker for minutes (a gunicorn timeout), since the rules compare each word with the
    others in its sentence. Sentences are read in pieces of MAX_SENTENCE tokens."""
    text = ("Russia sold 9 Tor-M1 systems to Iran " * 2700)[:99_000]
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert response.status_code == 201, response.content
    drafts = response.json()["drafts"]
    assert {(d["assertion_field"], d["assertion_value"]) for d in drafts} == {("quantity_ordered", "9")}, drafts


@pytest.mark.parametrize(
    "figure, drafted",
    [("²", None), ("²⁹", None), ("①", None), ("29 Tor-M1 systems in ²⁰⁰⁷, and", "29"), ("٢٩", "29")],
)
@pytest.mark.django_db
def test_digits_that_are_not_decimal_digits_are_no_figure_and_no_500(seed, token_client, figure, drafted):
    """Found by an adversarial pass: `str.isdigit()` holds for ², ²⁹ and ①, which int()
    refuses: a 500 from the API and the admin. Arabic-Indic digits are decimal digits."""
    text = f"Russia has delivered {figure} Tor-M1 systems to Iran."
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert response.status_code == 201, response.content
    quantities = [
        d["assertion_value"] for d in response.json()["drafts"] if d["assertion_field"] == "quantity_delivered"
    ]
    assert quantities == ([drafted] if drafted else []), response.json()["drafts"]


@pytest.mark.django_db
def test_review_actions_and_reading_room_take_non_ascii_digits_as_no_id(seed, admin_client):
    admin_client.post(reverse("admin:transfers_article_add"), {"text": "Russia sold 29 Tor-M1 systems to Iran."})
    article, claims = Article.objects.get(), Claim.objects.count()
    review = reverse("admin:transfers_article_review", args=[article.pk])
    response = admin_client.post(review, {"draft": "²", "action": "accept"}, follow=True)
    assert response.status_code == 200 and Claim.objects.count() == claims
    assert admin_client.get("/deals/²/").status_code == 404


@pytest.mark.django_db
def test_review_page_shows_the_article_escaped_with_drafts_highlighted(seed, admin_client):
    response = admin_client.post(
        reverse("admin:transfers_article_add"),
        {
            "text": "Russia’s defence minister said <script>alert(1)</script> Moscow sold 29 Tor-M1 systems to Iran.",
            "published_date": "2007-01-16",
            "title": "Test <b>title</b>",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == review_url(article)
    page = admin_client.get(review_url(article)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Test &lt;b&gt;title&lt;/b&gt;" in page
    assert re.search(r'<mark id="s\d+" data-drafts="1 ', page)
    assert 'href="#draft-1"' in page and re.search(r'<a href="#s\d+" title="Show the sentence">1\.</a>', page)
    assert "Accept" in page and "quantity ordered = 29" in page


@pytest.mark.django_db
def test_admin_refuses_an_empty_or_oversized_article(db, admin_client):
    response = admin_client.post(reverse("admin:transfers_article_add"), {"text": ""})
    assert response.status_code == 200 and "Paste the article or upload a file." in response.content.decode()
    response = admin_client.post(reverse("admin:transfers_article_add"), {"text": "x" * 100_001})
    assert "at most 100000 characters" in response.content.decode().replace(",", "")
    assert not Article.objects.exists()
    assert admin_client.get("/admin/transfers/article/x/change/").status_code == 404
    assert admin_client.get("/admin/transfers/article/99999999999999999999/review/").status_code == 404


@pytest.mark.django_db
def test_accepting_creates_the_claim_with_history_naming_the_article(seed, admin_client, tmp_path):
    article = ingest(tmp_path, SEED_TEXT.read_text(encoding="utf-8"), "--date", "2007-01-16")
    drafts = article.drafts.filter(
        group=article.drafts.get(
            assertion_field="value", contract__isnull=False, contract__reference="rus-irn-2005-tor-m1"
        ).group
    )
    evidence_before = contract_evidence(contract=Contract.objects.get(reference="rus-irn-2005-tor-m1"))
    for draft in drafts:
        response = admin_client.post(review_url(article), {"draft": draft.pk, "action": "accept"})
        assert response.status_code == 302
    claims = Claim.objects.filter(source=article.source)
    assert claims.count() == 3
    value = claims.get(assertion_field="value")
    assert value.assertion_amount == 700_000_000 and value.assertion_currency == "USD"
    assert value.assertion_value == "$700 million"
    assert value.statement and set(claims.values_list("statement", flat=True)) == {value.statement}
    record = value.history.latest()
    assert record.history_change_reason == f"accepted from article {article.source.key}"
    assert record.history_user.username == "editor"
    assert Draft.objects.filter(article=article, status="accepted").count() == 3
    evidence_after = contract_evidence(contract=Contract.objects.get(reference="rus-irn-2005-tor-m1"))
    assert evidence_after != evidence_before
    # Accepting twice is refused with a message, not a second claim.
    response = admin_client.post(review_url(article), {"draft": drafts[0].pk, "action": "accept"}, follow=True)
    assert "already accepted" in response.content.decode()
    assert claims.count() == 3
    pending = article.drafts.filter(status="pending").count()
    listing = admin_client.get(reverse("admin:transfers_article_changelist")).content.decode()
    assert f"{pending} / 3 / 0" in listing


@pytest.mark.django_db
def test_rejecting_and_editing_a_draft(seed, admin_client, tmp_path):
    article = ingest(tmp_path, SEED_TEXT.read_text(encoding="utf-8"), "--date", "2007-01-16")
    first, second = article.drafts.all()[:2]
    admin_client.post(review_url(article), {"draft": first.pk, "action": "reject"})
    first.refresh_from_db()
    assert first.status == "rejected" and first.claim is None
    # The draft as drafted, then the decision and who made it, are in its history.
    history = list(first.history.order_by("history_id"))
    assert history[0].history_change_reason == "drafted by the engine" and history[0].status == "pending"
    assert history[-1].status == "rejected" and history[-1].history_user.username == "editor"
    change = reverse("admin:transfers_draft_change", args=[second.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(
        summary="Edited summary.", stance="comments", proposed_contract="{}", assertion_field="", assertion_value=""
    )
    for name in ("speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"):
        value = getattr(second, f"{name}_id")
        data[name] = value if value is not None else ""
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    admin_client.post(review_url(article), {"draft": second.pk, "action": "accept"})
    claim = Claim.objects.get(source=article.source)
    assert (claim.summary, claim.stance, claim.assertion_field) == ("Edited summary.", "comments", "")


@pytest.mark.django_db
def test_accepting_a_proposed_deal_and_person_creates_them_once(seed, tmp_path):
    from transfers.articles.review import draft_accept

    text = (
        "MOSCOW (AP) — Russia will deliver 12 S-300 systems to Syria under a $900 million deal, "
        "Deputy Foreign Minister Anatoly Petrov said on Tuesday.\n"
    )
    call_command("load_countries", verbosity=0)
    article = ingest(tmp_path, text, "--date", "2013-05-14")
    drafts = list(article.drafts.all())
    assert {d.assertion_field for d in drafts} == {"quantity_ordered", "value"}
    assert all(d.proposed_contract == {"supplier": "RUS", "recipient": "SYR", "system": "s-300"} for d in drafts)
    assert all(d.proposed_speaker == "Anatoly Petrov" for d in drafts)
    contracts_before = Contract.objects.count()
    claims = [draft_accept(draft=d) for d in drafts]
    assert Contract.objects.count() == contracts_before + 1
    petrov = Person.objects.get(name="Anatoly Petrov")
    assert petrov.title == "Deputy Foreign Minister"
    assert {c.speaker for c in claims} == {petrov}
    deal = Contract.objects.latest("pk")
    assert (deal.supplier.code, deal.recipient.code, deal.status) == ("RUS", "SYR", "reported")
    assert deal.history.latest().history_change_reason == f"accepted from article {article.source.key}"
    assert {c.assertion_field for c in claims} == {"quantity_ordered", "value"}


# --- The API: POST /api/articles/ ------------------------------------------------------------------------


@pytest.fixture
def token_client(db, django_user_model):
    from django.contrib.auth.models import Permission
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(*, perms=True):
        user = django_user_model.objects.create_user(f"api-{perms}", password="pw-api-123")
        if perms:
            user.user_permissions.set(Permission.objects.filter(content_type__app_label="transfers"))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


@pytest.mark.django_db
def test_api_post_article_drafts_its_claims_and_lists_no_claim(seed, token_client):
    client = token_client()
    body = {"text": SEED_TEXT.read_text(encoding="utf-8"), "published_date": "2007-01-16", "outlet": "NBC News"}
    response = client.post("/api/articles/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["title"] == "Russian official confirms sale of missiles to Iran"
    assert data["publisher"] == "The Associated Press" and data["outlet"] == "NBC News"
    assert data["review_url"] == f"/admin/transfers/article/{data['id']}/review/"
    value = next(d for d in data["drafts"] if d["assertion_field"] == "value" and d["subject"] == "rus-irn-2005-tor-m1")
    assert value["assertion_value"] == "USD 700000000" and value["sentence"].startswith("Ministry officials")
    assert value["speaker_actor"] == "rus-ministry-of-defence" and value["cues"]["attribution"]
    # Drafts are not claims: the source has none, in the list or the deal's evidence.
    claims = client.get("/api/claims/", {"source": data["source"]}).json()
    assert claims["count"] == 0
    assert client.get(f"/api/articles/{data['id']}/").json()["drafts"] == data["drafts"]
    assert client.get("/api/articles/").json()["count"] == 1


@pytest.mark.django_db
def test_api_articles_need_credentials_and_permission(db, token_client):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get("/api/articles/").status_code == 401
    assert anonymous.post("/api/articles/", {"text": "Russia sold arms."}, format="json").status_code == 401
    reader = token_client(perms=False)
    assert reader.post("/api/articles/", {"text": "Russia sold arms."}, format="json").status_code == 403
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_api_refuses_bad_input_with_field_messages(db, token_client):
    client = token_client()
    too_long = client.post("/api/articles/", {"text": "x" * 100_001}, format="json")
    assert too_long.status_code == 400 and "limit is 100,000 characters" in too_long.json()["text"][0]
    bad_date = client.post(
        "/api/articles/", {"text": "Russia sold arms.", "published_date": "16/01/2007"}, format="json"
    )
    assert bad_date.status_code == 400 and "published_date" in bad_date.json()
    empty = client.post("/api/articles/", {"text": "<p> </p>"}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()
    form = client.post("/api/articles/", "text=Russia+sold+arms.", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    unknown = client.get("/api/articles/", {"sort": "title"})
    assert unknown.status_code == 400 and "sort" in unknown.json()
    first = client.post("/api/articles/", {"text": "Russia sold arms.", "url": "https://example.org/a"}, format="json")
    assert first.status_code == 201
    again = client.post("/api/articles/", {"text": "Russia sold arms.", "url": "https://example.org/a"}, format="json")
    assert again.status_code == 400 and "url" in again.json()
    assert Article.objects.count() == 1
    assert client.get("/api/articles/99999999999999999999/").status_code == 404
    # Found by schemathesis: a page of none, an offset that is not a number, a number for a text.
    assert client.get("/api/articles/", {"limit": "0"}).status_code == 400
    assert client.get("/api/articles/", {"offset": "AAA"}).status_code == 400
    assert client.post("/api/articles/", {"text": "Russia sold arms.", "outlet": 0}, format="json").status_code == 400
    assert client.get("/api/articles/x/").status_code == 404
    # An adversarial pass: an escape code in a title or a name was stored and replayed by any
    # terminal that printed it. The text's own are dropped; a title, publisher or outlet with
    # one is refused (a no-break space pasted from a page is not one).
    for name in ("title", "publisher", "outlet"):
        escaped = client.post("/api/articles/", {"text": "Iran bought arms.", name: "A\x1b[2J B"}, format="json")
        assert escaped.status_code == 400 and escaped.json()[name] == ["Holds a control character; give plain text."]
    spaced = client.post(
        "/api/articles/", {"text": "Iran \x1b[31mbought arms.", "title": "Iran\xa0buys"}, format="json"
    )
    assert spaced.status_code == 201 and spaced.json()["title"] == "Iran\xa0buys"
    assert "\x1b" not in Article.objects.get(pk=spaced.json()["id"]).text


@pytest.mark.django_db
def test_drafts_stay_out_of_the_timeline_evidence_and_disputed_flags(seed, token_client, tmp_path):
    from django.core.management import call_command as run

    run("loaddata", "tor-m1-reports", verbosity=0)
    client = token_client()
    tor = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    s300 = Contract.objects.get(reference="rus-irn-s-300-talks")
    before = {
        "timeline": client.get(f"/api/contracts/{tor.pk}/timeline/").json(),
        "evidence": client.get(f"/api/contracts/{tor.pk}/evidence/").json(),
        "claims": client.get("/api/claims/").json()["count"],
        "disputed": client.get("/api/transfers/", {"disputed": "true"}).json()["count"],
    }
    # A report that would dispute the S-300 deal's status and the Tor-M1 deal's value, were it evidence.
    text = (
        "MOSCOW (AP) — Russia has delivered S-300 missiles to Iran, a defence ministry official said. "
        "The Tor-M1 contract was worth $2 billion, Russian media reported.\n"
    )
    ingest(tmp_path, text, "--date", "2008-03-03")
    assert Draft.objects.filter(assertion_field__in=["status", "value"]).count() >= 2
    after = {
        "timeline": client.get(f"/api/contracts/{tor.pk}/timeline/").json(),
        "evidence": client.get(f"/api/contracts/{tor.pk}/evidence/").json(),
        "claims": client.get("/api/claims/").json()["count"],
        "disputed": client.get("/api/transfers/", {"disputed": "true"}).json()["count"],
    }
    assert after == before
    s300.refresh_from_db()
    assert not s300.disputed


@pytest.mark.django_db
def test_a_denial_once_accepted_disputes_the_report_it_denies(seed, tmp_path):
    """A denial denies what it names. "Russia is not negotiating ..., rejecting the report" was
    drafted as "not negotiating" that it denies: two negations, read by the evidence rule as
    "negotiating", so once accepted it agreed with the report it rejected."""
    from transfers.articles.review import draft_accept

    text = (
        "MOSCOW (AP) — Russia is negotiating the sale of S-300 missiles to Iran, a Gulf newspaper reported.\n\n"
        "Russia is not negotiating the sale of S-300 missiles to Iran, Kremlin spokesman Pavel Orlov said, "
        "rejecting the report.\n"
    )
    article = ingest(tmp_path, text, "--date", "2008-03-03")
    statuses = article.drafts.filter(assertion_field="status").order_by("start")
    assert [(d.assertion_value, d.stance) for d in statuses] == [("negotiating", "asserts"), ("negotiating", "denies")]
    for draft in statuses:
        draft_accept(draft=draft)
    s300 = Contract.objects.get(reference="rus-irn-s-300-talks")
    assert s300.disputed


@pytest.mark.parametrize(
    ("sentence", "field", "value"),
    [
        ("Russia sold Iran 29 Tor-M1 systems under a $700 million contract.", "value", "USD 700000000"),
        ("Russia will supply the Tor-M1 systems to Iran for 1 billion dollars.", "value", "USD 1000000000"),
        ("Russia agreed to sell Tor-M1 systems to Iran in a deal worth €7.8bn.", "value", "EUR 7800000000"),
        ("Russia sold Iran about 30 Tor-M1 systems.", "quantity_ordered", "about 30"),
        ("The Tor-M1 contract with Iran was signed in December 2005.", "order_date", "2005-12"),
        ("Russia delivered the Tor-M1 systems to Iran last year.", "delivery_date", "2006"),
        ("Russia delivered the Tor-M1 systems to Iran on Tuesday.", "delivery_date", "2007-01-16"),
        ("Russia has not delivered the Tor-M1 systems to Iran.", "status", "not delivered"),
        # A designation counted in the plural; an ISO code run into its figure, as Janes writes it.
        ("Russia sold Iran 29 Tor-M1s.", "quantity_ordered", "29"),
        ("Russia sold Iran 29 Tor-M1 systems at EUR1.1 billion (USD1.19 billion).", "value", "EUR 1100000000"),
        # A date an aside keeps from its verb (`bought ..., known locally as ..., in 2014`).
        ("Iran bought 29 Tor-M1 systems, known in Russia as the 9K331, in 2005.", "order_date", "2005"),
        # `the first four of 29 ... that Iran ordered ... have arrived`: four delivered (blind set 7).
        (
            "The first four of 29 Tor-M1 systems that Iran ordered from Russia in 2005 have arrived in Tehran.",
            "quantity_delivered",
            "4",
        ),
        # The buyer's side of a delivery (blind sets 4, 5, 6 and 8).
        ("Iran has taken delivery of its first Tor-M1 system from Russia.", "status", "delivered"),
        ("Iran took delivery of the Tor-M1 systems in January.", "status", "delivered"),
        ("Iran has received the first of 29 Tor-M1 systems it ordered from Russia.", "status", "delivered"),
        ("Iran has received the first of 29 Tor-M1 systems it ordered from Russia.", "quantity_ordered", "29"),
        ("Iran has not yet taken delivery of the Tor-M1 systems.", "status", "not delivered"),
        # An amount written as one hyphenated word (blind set 9: `the 13.5-billion-baht contract`),
        # and India's `Rs ... crore`.
        ("Iran signed the 13.5-billion-euro contract for the Tor-M1 systems.", "value", "EUR 13500000000"),
        ("Russia sold the Tor-M1 systems to Iran in a $1.5-billion deal.", "value", "USD 1500000000"),
        ("Russia sold Iran the Tor-M1 systems in a deal worth Rs 5,000 crore.", "value", "INR 50000000000"),
        ("Russia sold Iran the Tor-M1 systems in a Rs. 4,150-crore deal.", "value", "INR 41500000000"),
        # Blind set 8: a supply denied, talks without a deal, a month with its part named.
        ("Russia has not sent and will not send Tor-M1 systems to Iran.", "status", "not delivered"),
        ("Iran asked Russia for Tor-M1 systems, but no agreement has been reached.", "status", "not signed"),
        ("The Tor-M1 systems were unloaded in Iran in the second half of September.", "delivery_date", "2006-09"),
        # What a denial names (blind set 9): `denied that an agreement had been reached`.
        ("Iran denied that an agreement had been reached with Russia on more Tor-M1 systems.", "status", "signed"),
    ],
)
@pytest.mark.django_db
def test_amounts_quantities_dates_and_statuses_as_news_writes_them(seed, token_client, sentence, field, value):
    found = {(d["assertion_field"], d["assertion_value"]) for d in drafts_of(token_client, sentence, "2007-01-18")}
    assert (field, value) in found, found


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A range of figures, a figure's scale and an article between a qualifier and its figure.
        ("Russia sold Iran between 20 and 30 Tor-M1 systems.", {"assertion_value": "20-30"}),
        ("Russia has shipped 3 million artillery shells to Iran.", {"assertion_value": "3000000"}),
        # Past what a quantity holds: no figure drafted (accepting it could only fail); that the
        # shells were shipped is.
        ("Russia will ship 5000 million artillery shells to Iran, the ministry said.", {"assertion_field": ""}),
        ("Russia has shipped 5000 million artillery shells to Iran.", {"assertion_value": "delivered"}),
        ("Russia has supplied at least a dozen Tor-M1 systems to Iran.", {"assertion_value": "at least 12"}),
        # `had supplied`: handed over, not ordered.
        ("Russia had supplied 29 Tor-M1 systems to Iran.", {"assertion_field": "quantity_delivered"}),
        # Shells are not the Tor-M1 named in the sentence before.
        (
            "Russia delivered 29 Tor-M1 systems to Iran. Russia has shipped 3 million artillery shells to Iran.",
            {
                "assertion_value": "3000000",
                "subject_type": "proposal",
                "proposed_contract": {"supplier": "RUS", "recipient": "IRN"},
            },
        ),
        # Where a report comes from is not a party: not Iran selling to Iran.
        (
            "Iran ordered 29 Tor-M1 systems in 2005, according to Iranian media.",
            {"assertion_field": "quantity_ordered", "subject_type": "transfer", "subject": "rus-irn-2005-tor-m1/1"},
        ),
        # A follow-on order, or one signed in another year, is not the recorded deal.
        (
            "Iran ordered 20 more Tor-M1 systems from Russia.",
            {
                "subject_type": "proposal",
                "proposed_contract": {"supplier": "RUS", "recipient": "IRN", "system": "tor-m1"},
            },
        ),
        (
            "Russia and Iran signed a contract for Tor-M1 systems in March 2010.",
            {"assertion_field": "order_date", "subject_type": "proposal"},
        ),
        ("Russia and Iran signed a contract for Tor-M1 systems in December 2005.", {"subject": "rus-irn-2005-tor-m1"}),
        # A government agency speaks for its side, as a ministry does (no person's name: its
        # words are not `Federal Security`'s); a news agency reports.
        (
            "Russia delivered 29 Tor-M1 systems to Iran, the Federal Security Agency said.",
            {"assertion_field": "quantity_delivered", "attribution": "spokesperson", "proposed_speaker": ""},
        ),
        (
            "Russia delivered 29 Tor-M1 systems to Iran, the Interfax news agency reported.",
            {"assertion_field": "quantity_delivered", "attribution": "media-report"},
        ),
        # What is denied before a quotation is read, not only the quotation.
        (
            "Russia's defence ministry denied that any Tor-M1 systems had been delivered to Iran, "
            'calling the report "a fabrication."',
            {"assertion_field": "status", "assertion_value": "delivered", "stance": "denies"},
        ),
        (
            "Russia delivered 29 Tor-M1 systems to Iran between December 2006 and March 2007.",
            {"assertion_field": "delivery_date", "assertion_value": "2006-12/2007-03"},
        ),
        (
            "Russia delivered the Tor-M1 systems to Iran, and Iran's defence minister welcomed the delivery.",
            {"stance": "comments"},
        ),
        # `to the Philippines`: a party after an article; `negotiating with`: the other party.
        (
            "Israel delivered 12 Tor-M1 systems to the United States.",
            {
                "subject_type": "proposal",
                "proposed_contract": {"supplier": "ISR", "recipient": "USA", "system": "tor-m1"},
            },
        ),
        (
            "Israel is negotiating with the United States over the purchase of 12 Tor-M1 systems.",
            {
                "subject_type": "proposal",
                "proposed_contract": {"supplier": "USA", "recipient": "ISR", "system": "tor-m1"},
            },
        ),
        # `anti-ship` is no verb; a figure far from the one order word of its sentence is ordered.
        (
            "Iran signed a $700 million contract with Rosoboronexport, Russia's arms exporter, "
            "in December 2005 for 29 Tor-M1 systems.",
            {"assertion_field": "quantity_ordered", "assertion_value": "29"},
        ),
        # `signed a contract with`: the other party sells, unless the signer makes the system.
        (
            "Israel has signed a contract with the United States for 12 Tor-M1 systems.",
            {
                "subject_type": "proposal",
                "proposed_contract": {"supplier": "USA", "recipient": "ISR", "system": "tor-m1"},
            },
        ),
        # `three more batteries`: a follow-on order named by its kind, not the recorded deal.
        (
            "Russia delivered 29 Tor-M1 systems to Iran. Iran has asked to buy three more batteries.",
            {"assertion_value": "3", "subject_type": "proposal"},
        ),
        # A delivery told with `handed over` and no other deal word.
        (
            "Russia sold 29 Tor-M1 systems to Iran. The first battery was handed over in December 2006.",
            {"assertion_field": "delivery_date", "assertion_value": "2006-12"},
        ),
        # What is said opens the sentence, the speaker and a quotation follow.
        (
            "Iran has signed a contract with Russia for 29 Tor-M1 systems, Defence Minister Mostafa Najjar said "
            'on Tuesday, calling it "a great day."',
            {"assertion_field": "quantity_ordered", "assertion_value": "29", "subject": "rus-irn-2005-tor-m1/1"},
        ),
        # `in April last year`: the month of the year before the article's (2024-05-01).
        (
            "Russia sold 29 Tor-M1 systems to Iran. The first battery was handed over in April last year.",
            {"assertion_field": "delivery_date", "assertion_value": "2023-04"},
        ),
        # A rank is no part of a name; `Dela Cruz` later is the person named in full before.
        (
            "Russia delivered 29 Tor-M1 systems to Iran, navy spokeswoman Captain Marissa Dela Cruz said.",
            {"proposed_speaker": "Marissa Dela Cruz", "attribution": "spokesperson"},
        ),
        (
            "Russia delivered 29 Tor-M1 systems to Iran, Major General Marissa Dela Cruz said. "
            "Iran paid $700 million for them, Dela Cruz said.",
            {"proposed_speaker": "Marissa Dela Cruz", "assertion_field": "value", "assertion_value": "USD 700000000"},
        ),
        # `the first six of 29`: 29 ordered, six of them delivered.
        (
            "Iran has received the first six of 29 Tor-M1 systems it ordered from Russia.",
            {"assertion_field": "quantity_delivered", "assertion_value": "6"},
        ),
        (
            "Iran has received the first six of 29 Tor-M1 systems it ordered from Russia.",
            {"assertion_field": "quantity_ordered", "assertion_value": "29"},
        ),
        # `in talks`: negotiating, as news usually says it; `no talks`: not.
        (
            "Iran is in talks with Russia to buy more Tor-M1 systems.",
            {"assertion_field": "status", "assertion_value": "negotiating"},
        ),
        (
            "Russia is holding no talks with Iran on Tor-M1 systems, the ministry said.",
            {"assertion_field": "status", "assertion_value": "not negotiating"},
        ),
        # Currencies as the wires write them: prefixed dollars, crowns and francs with their
        # country, Indian crore.
        *[
            (f"Iran signed a deal with Russia for 29 Tor-M1 systems worth {amount}.", {"assertion_value": value})
            for amount, value in [
                ("A$900 million", "AUD 900000000"),
                ("39.3 billion Swedish crowns", "SEK 39300000000"),
                ("some 30 billion CFA francs", "about XOF 30000000000"),
                ("₹36,000 crore", "INR 360000000000"),
                ("T$24.7 billion", "TWD 24700000000"),
            ]
        ],
        # `landed`: delivered (2024-05-01 is a Wednesday).
        (
            "Russia sold 29 Tor-M1 systems to Iran. The first battery landed at Mehrabad on Monday.",
            {"assertion_field": "delivery_date", "assertion_value": "2024-04-29"},
        ),
        # Media that value a deal report it.
        (
            "Russia sold 29 Tor-M1 systems to Iran in a deal Iranian media have valued at about $700 million.",
            {"assertion_field": "value", "attribution": "media-report"},
        ),
        # `has taken delivery of`: the one who takes receives.
        (
            "Israel has taken delivery of 12 Tor-M1 systems.",
            {"proposed_contract": {"supplier": "RUS", "recipient": "ISR", "system": "tor-m1"}},
        ),
        # A delivery still to come, told after a statement: the same speaker goes on.
        (
            "Russia delivered the first six of 29 Tor-M1 systems to Iran, ministry spokeswoman Esther Wanjiru "
            "said.\n\nThe remaining ones are expected by December.",
            {"proposed_speaker": "Esther Wanjiru", "assertion_field": "", "subject": "rus-irn-2005-tor-m1"},
        ),
        # A name before a comma, its role after: the name is the speaker, not the party's.
        (
            "Russia delivered 29 Tor-M1 systems to Iran.\n\nChiara Benassi, a lawmaker for the Green and Left "
            "Alliance, said Russia should not sell arms to Iran.",
            {"proposed_speaker": "Chiara Benassi", "attribution": "on-record", "stance": "criticises"},
        ),
        # `a title, Name, said`: the title is the speaker's, not what is said (Israel buys nothing).
        (
            "Russia delivered 29 Tor-M1 systems to Iran.\n\nIsrael's foreign ministry spokesman, Reza Mahdavi, "
            'said the purchase would not make the region safer. "Weapons never brought security," he added.',
            {"proposed_speaker": "Reza Mahdavi", "subject": "rus-irn-2005-tor-m1"},
        ),
        # A hyphenated given name is one name, not the words before the hyphen.
        (
            "Russia delivered 29 Tor-M1 systems to Iran, opposition legislator Chen Yu-ting said.",
            {"proposed_speaker": "Chen Yu-ting", "assertion_field": "quantity_delivered"},
        ),
        # `two people familiar with the talks told Reuters`: anonymous sources, after what they said.
        (
            "Russia is negotiating the sale of 20 more Tor-M1 systems to Iran, two people familiar with the "
            "talks told Reuters.",
            {"assertion_field": "quantity_ordered", "assertion_value": "20", "attribution": "anonymous"},
        ),
        # An American lawmaker's party and state after the name: the name speaks, and
        # resolutions of disapproval are criticism (blind set 8).
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nSen. Laura Brennan, D-Md., said she would file joint "
            "resolutions of disapproval against the sale.",
            {"proposed_speaker": "Laura Brennan", "attribution": "on-record", "stance": "criticises"},
        ),
        # `both packages`: the deals of the article, as `the sale` is.
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nSen. Laura Brennan, D-Md., said she would file joint "
            "resolutions of disapproval against both packages as early as next week.",
            {"proposed_speaker": "Laura Brennan", "stance": "criticises"},
        ),
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nTwo senators said they would force votes to block both sales.",
            {"stance": "criticises"},
        ),
        # `delivered four more`: more of the recorded deal's deliveries, not a new order
        # (blind sets 7 and 8; `ordered four more` is a new one).
        (
            "Russia has delivered four more Tor-M1 systems to Iran.",
            {"subject": "rus-irn-2005-tor-m1/1", "assertion_field": "quantity_delivered", "assertion_value": "4"},
        ),
        (
            "Iran has ordered four more Tor-M1 systems from Russia.",
            {"subject_type": "proposal", "assertion_field": "quantity_ordered", "assertion_value": "4"},
        ),
        # `ordered by Iran`: the buyer, though the article is mostly about another (blind set 8).
        (
            "Russia sold 12 Tor-M1 systems to Israel. Russia sold 12 more Tor-M1 systems to Israel in 2010.\n\n"
            "Russia has delivered the first of 29 Tor-M1 systems ordered by Iran, officials said.",
            {"subject": "rus-irn-2005-tor-m1/1", "assertion_field": "quantity_ordered", "assertion_value": "29"},
        ),
        # `the second of its two aircraft`: two ordered (blind set 8).
        (
            "Iran took delivery of the second of its 29 Tor-M1 systems in December.",
            {"assertion_field": "quantity_ordered", "assertion_value": "29"},
        ),
        # A running total beside the batch it counts (blind sets 7 and 8).
        (
            "Russia has delivered four Tor-M1 systems to Iran, bringing the total it has supplied to about 29.",
            {"assertion_field": "quantity_delivered", "assertion_value": "about 29"},
        ),
        (
            "Russia has delivered four Tor-M1 systems to Iran, bringing to 29 the number Iran has received.",
            {"assertion_field": "quantity_delivered", "assertion_value": "29"},
        ),
        # `the export version of`: a noun, naming no seller (blind set 8).
        (
            "Iran signed the contract for the Tor-M1, the export version of Russia's Tor system, in 2005.",
            {"subject": "rus-irn-2005-tor-m1", "assertion_field": "order_date", "assertion_value": "2005"},
        ),
        # An analyst who estimated the value speaks (not `an estimated $700 million`).
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nJohn Hale, a defence analyst at the Stockholm institute, "
            "estimated the value of the deal at around $700 million.",
            {"proposed_speaker": "John Hale", "assertion_field": "value", "assertion_value": "about USD 700000000"},
        ),
        # `a Western diplomat in Tehran`: where the speaker is, not whom they speak for.
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nA Western diplomat in Tehran, who asked not to be named, "
            "said all 29 had been delivered.",
            {"speaker_actor": None, "attribution": "anonymous", "assertion_field": "status"},
        ),
        # `she wrote on X.` ends its sentence: the next is another statement (blind set 8).
        (
            'Russia sold 29 Tor-M1 systems to Iran.\n\nAn opposition lawmaker criticised the sale. "Citizens '
            'have a right to know the price," Jelena Markovic wrote on X. Dragan Ilic rejected the criticism, saying '
            "the price was classified.",
            {"proposed_speaker": "Dragan Ilic", "stance": "denies", "quote": ""},
        ),
        # `officials in Tehran` do speak for Iran.
        (
            "Russia sold 29 Tor-M1 systems to Iran.\n\nOfficials in Tehran rejected the criticism.",
            {"speaker_actor": "IRN", "stance": "denies"},
        ),
        # Aid verbs: `will send` is what is agreed; `sends a signal` is no supply.
        (
            "Russia will send 29 Tor-M1 systems to Iran.",
            {"assertion_field": "quantity_ordered", "assertion_value": "29"},
        ),
    ],
)
@pytest.mark.django_db
def test_deals_parties_and_figures_as_wire_reports_write_them(seed, token_client, sentence, expected):
    """Found by a blind set of five wire reports (tests/data/articles/*-heldout3): each case was
    drafted otherwise before its rule."""
    drafts = drafts_of(token_client, sentence, "2024-05-01")
    shown = [{k: d.get(k) for k in expected} for d in drafts]
    assert any(all(d.get(k) == v for k, v in expected.items()) for d in drafts), shown


@pytest.mark.parametrize(
    ("text", "ministry"),
    [
        # The dateline's state: a report from Moscow.
        (
            "MOSCOW (Reuters) - Russia will sell 12 Tor-M1 systems to Syria, the defence ministry said.",
            "rus-ministry-of-defence",
        ),
        (
            "MOSCOW (AP) — Syria ordered 12 Tor-M1 systems from Russia, the Ministry of Defense said.",
            "rus-ministry-of-defence",
        ),
        # No dateline: the buyer's, as the signing side's ministry speaks of its purchase.
        (
            "Israel signed a contract for 12 Tor-M1 systems from Russia, the foreign ministry said.",
            "isr-ministry-of-foreign-affairs",
        ),
        # A portfolio no state of the report has recorded: none guessed.
        ("MOSCOW (Reuters) - Russia will sell 12 Tor-M1 systems to Syria, the finance ministry said.", None),
    ],
)
@pytest.mark.django_db
def test_a_ministry_named_without_its_state_is_the_reports_state(seed, token_client, text, ministry):
    """Found by the ninth blind set: `the defence ministry said` in a report from Bucharest is
    Romania's ministry speaking; it was drafted with no speaker."""
    drafts = drafts_of(token_client, text, "2024-05-01")
    assert drafts and {d["speaker_actor"] for d in drafts} == {ministry}, drafts


@pytest.mark.parametrize(
    ("opening", "seller"),
    [
        ("The package", True),
        # A sentence naming another state is not the deal in the news.
        ("Russia's package", False),
    ],
)
@pytest.mark.django_db
def test_a_resale_goes_on_from_its_seller_not_from_the_systems_maker(seed, token_client, opening, seller):
    """Found by the ninth blind set: after `... to buy second-hand Hornets from Kuwait`, `the
    package could be worth ...` was drafted as a sale by the United States, where the jets are
    made. A sentence that names neither party nor system goes on with the deal in the news."""
    text = (
        "Iran is negotiating to buy 10 second-hand Tor-M1 systems from Israel, people familiar with the talks said.\n\n"
        f"{opening} could be worth up to $300 million, one of the sources said."
    )
    drafts = drafts_of(token_client, text, "2024-05-01")
    pairs = {
        d["assertion_field"]: (d["proposed_contract"].get("supplier"), d["proposed_contract"].get("recipient"))
        for d in drafts
    }
    assert pairs["quantity_ordered"] == ("ISR", "IRN"), pairs
    assert (pairs["value"] == ("ISR", "IRN")) is seller, pairs


@pytest.mark.django_db
def test_a_figure_hyphenated_to_a_word_says_what_the_systems_are_not_how_many(seed, token_client):
    """Blind set 9: `The eight-wheeled vehicles arrived` was drafted as eight delivered."""
    text = "Russia delivered 29 Tor-M1 systems to Iran. The eight-wheeled vehicles and two-seat launchers came in May."
    drafts = drafts_of(token_client, text, "2007-01-16")
    quantities = [d["assertion_value"] for d in drafts if d["assertion_field"].startswith("quantity")]
    assert quantities == ["29"], drafts


@pytest.mark.django_db
def test_a_rank_and_a_given_name_are_the_person_named_in_full_before(seed, token_client):
    """Blind set 9: Thai (and Indonesian) reports name `army spokesman Col Pichit Sangkhao`, then
    `Col Pichit said`: the same person, recorded or proposed, not a speaker left blank."""
    text = (
        "Russia has delivered 29 Tor-M1 systems to Iran, spokesman Col Pichit Sangkhao said on Thursday.\n\n"
        "The systems arrived in Tehran on Monday, Col Pichit said.\n\n"
        "Iran has paid for all of them, Deputy Minister Sergei Ivanov said.\n\n"
        "Col Sergei rejected the criticism of the deal."
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    speakers = [(d["proposed_speaker"] or d["speaker"]) for d in drafts]
    assert speakers[:2] == ["Pichit Sangkhao", "Pichit Sangkhao"], drafts
    ivanov = next(d for d in drafts if d["stance"] == "denies")
    assert ivanov["speaker"] is not None and ivanov["proposed_speaker"] == "", ivanov


@pytest.mark.parametrize(
    ("text", "government"),
    [
        # A dateline with no wire, as trade press and national papers write it (blind set 9).
        ("MOSCOW - Iran signed a contract for 12 Tor-M1 systems with Russia, the government said.", "RUS"),
        ("MOSCOW, Jan. 16: Iran signed a contract for 12 Tor-M1 systems with Russia, the government said.", "RUS"),
        # No dateline: the buyer's government.
        ("Iran signed a contract for 12 Tor-M1 systems with Russia, the government said.", "IRN"),
    ],
)
@pytest.mark.django_db
def test_the_government_named_without_its_state_is_the_reports_state(seed, token_client, text, government):
    drafts = drafts_of(token_client, text, "2007-01-16")
    assert drafts and {d["speaker_actor"] for d in drafts} == {government}, drafts
    assert all(d["sentence"].startswith("Iran signed") for d in drafts), drafts


@pytest.mark.parametrize(
    ("sentence", "speaker", "stance"),
    [
        (
            'Israel\'s Ministry of Foreign Affairs called the sale "a threat to the region."',
            "isr-ministry-of-foreign-affairs",
            None,
        ),
        (
            "Ministry spokeswoman Carmen Vidal defended the sale, saying Iran needed air defences.",
            "Carmen Vidal",
            "defends",
        ),
    ],
)
@pytest.mark.django_db
def test_who_defends_or_calls_a_sale_something_speaks(seed, token_client, sentence, speaker, stance):
    """Blind set 9: `X defended the decision, saying ...` and `X called the decision "..."` were
    drafted with no speaker, as the article's own words."""
    text = f"Russia sold 29 Tor-M1 systems to Iran in 2005.\n\n{sentence}"
    drafts = drafts_of(token_client, text, "2007-01-16")
    said = next(d for d in drafts if d["sentence"].startswith(sentence[:20]))
    assert speaker in (said["speaker_actor"], said["proposed_speaker"]), said
    assert said["attribution"] != "source", said
    if stance:
        assert said["stance"] == stance, said


@pytest.mark.django_db
def test_our_units_receiving_what_is_handed_over_do_not_make_the_speaker_the_seller(seed, token_client):
    """Blind set 9: a buyer's minister saying `... our light mechanised units, and the vehicles
    handed over today ...` was drafted as his own state selling them (`our` before a supply
    verb); `we` before it still is the speaker's side supplying."""
    text = (
        "Russia delivered 29 Tor-M1 systems to Iran in 2006.\n\n"
        '"The Tor-M1 is now the backbone of our air defence, and the systems handed over today are better '
        "than anything before,\" Iran's defence minister said.\n\n"
        '"We have handed over all 29 Tor-M1 systems to Iran," a Russian official said.'
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    minister = next(d for d in drafts if d["sentence"].startswith('"The Tor-M1'))
    assert minister["subject_type"] in ("contract", "transfer"), minister
    official = next(d for d in drafts if d["sentence"].startswith('"We have'))
    assert official["subject_type"] in ("contract", "transfer"), official


@pytest.mark.django_db
def test_a_quotation_of_two_sentences_is_one_statement_of_its_speaker(seed, token_client):
    """Blind set 8: the first sentence of `"Iran is no longer just a buyer. We have delivered
    ...," he said.` was taken for more of the statement before (a delivery's date, by another)."""
    text = (
        "The Tor-M1 systems were unloaded in Iran in September 2006, a Russian official said.\n\n"
        '"Iran is no longer just a buyer of Tor-M1 systems. We have delivered all 29 of them," he said.\n\n'
        "Iran and Russia have agreed on the text of a treaty but have not signed it.\n\n"
        "Russia put the value of the Tor-M1 systems at $700 million when the contract was signed in 2005."
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    opening = text.index('"Iran is no longer')
    quoted = [d for d in drafts if any(start <= opening < end for start, end in [(d["start"], d["end"]), *d["also"]])]
    assert quoted and all(d["sentence"].startswith("We have delivered") for d in quoted), drafts
    # A treaty not signed is no deal's status, nor is a contract's signing dated.
    assert not [d for d in drafts if d["assertion_field"] == "status" and "signed" in d["assertion_value"]], drafts


@pytest.mark.django_db
def test_the_articles_own_background_is_not_drafted(seed, token_client):
    """A sentence that states no figure, date or status, quotes no one and takes no side is
    the article's background, not a claim: such drafts were most of those editors had to
    reject in the blind sets. A party's own words without a figure are still drafted."""
    text = (
        "Russia delivered 29 Tor-M1 systems to Iran in 2006.\n\n"
        "The Tor-M1, a short-range system designed to shoot down aircraft and cruise missiles, "
        "is carried on a tracked vehicle.\n\n"
        "Rosoboronexport declined to comment.\n\n"
        "Iran has long relied on Russian air defences.\n\n"
        'Israel criticised the sale, calling it "a threat to the region."'
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    drafted = {text[d["start"] : d["end"]][:20] for d in drafts}
    assert drafted == {"Russia delivered 29 ", "Israel criticised th"}, drafted
    criticism = next(d for d in drafts if d["stance"] == "criticises")
    assert criticism["assertion_field"] == "" and criticism["quote"] == "a threat to the region."


@pytest.mark.django_db
def test_a_system_is_sold_by_its_maker_not_by_the_articles_main_supplier(seed, token_client):
    """A report of Russia's Tor-M1 for Iran that also tells of American Harpoons: the Harpoons'
    supplier is where they come from, whether the sentence names them or refers back to them
    (blind set 7: Turkish KAAN jets were proposed as French in a report that named Rafales)."""
    WeaponSystem.objects.create(
        designation="Harpoon", slug="harpoon", category="missiles", origin=Actor.objects.get(code="USA")
    )
    text = (
        "Russia delivered 29 Tor-M1 systems to Iran, the ministry said.\n\n"
        "Russia will deliver the rest of the Tor-M1 systems next year.\n\n"
        "Iran has also ordered 40 Harpoon missiles, an official said.\n\n"
        "The missiles would cost about $200 million, the official said."
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    proposals = {
        (d["assertion_field"], d["proposed_contract"].get("supplier"), d["proposed_contract"].get("recipient"))
        for d in drafts
        if d["subject_type"] == "proposal"
    }
    assert ("quantity_ordered", "USA", "IRN") in proposals and ("value", "USA", "IRN") in proposals, drafts
    assert not {p for p in proposals if p[1] == "RUS"}, proposals


@pytest.mark.django_db
def test_of_two_recorded_deals_the_news_is_about_the_latest_unless_it_says_the_first(seed, token_client):
    from transfers.models import Transfer

    later = Contract.objects.create(
        reference="rus-irn-2015-tor-m1",
        supplier=Actor.objects.get(code="RUS"),
        recipient=Actor.objects.get(code="IRN"),
        order_date=datetime.date(2015, 1, 1),
        order_date_precision="year",
    )
    Transfer.objects.create(contract=later, system=WeaponSystem.objects.get(slug="tor-m1"))
    client = token_client()

    def deals(text):
        response = client.post("/api/articles/", {"text": text, "published_date": "2016-05-01"}, format="json")
        assert response.status_code == 201, response.content
        return {d["subject"].split("/")[0] for d in response.json()["drafts"]}

    assert deals("Russia delivered 10 Tor-M1 systems to Iran, the ministry said.") == {"rus-irn-2015-tor-m1"}
    assert deals("Under the original contract, Russia delivered 29 Tor-M1 systems to Iran.") == {"rus-irn-2005-tor-m1"}


@pytest.mark.django_db
def test_admin_upload_of_an_html_file(seed, admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    html = "<html><body><h1>Iran gets Tor-M1</h1><p>MOSCOW (AP) — Russia delivered Tor-M1 systems to Iran.</p>"
    html = (html + "</body></html>").encode("utf-8")
    upload = SimpleUploadedFile("report.html", html, content_type="text/html")
    response = admin_client.post(
        reverse("admin:transfers_article_add"), {"file": upload, "published_date": "2007-01-16"}
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert article.source.title == "Iran gets Tor-M1" and article.source.publisher == "The Associated Press"
    assert "<p>" not in article.text
    assert article.drafts.filter(assertion_field="status", assertion_value="delivered").exists()


@pytest.mark.django_db
def test_an_amount_beyond_the_columns_is_not_drafted_and_is_a_form_error(seed, token_client, admin_client):
    """27 digits and more could not be rounded to cents: a 500 before, from the API, the
    command and the admin alike."""
    text = "Russia sold Iran 29 Tor-M1 systems in a deal worth $100,000,000,000,000,000,000,000,000,000."
    drafts = drafts_of(token_client, text, "2007-01-18")
    assert drafts and not [d for d in drafts if d["assertion_field"] == "value"], drafts
    draft = Draft.objects.get(pk=drafts[0]["id"])
    change = reverse("admin:transfers_draft_change", args=[draft.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {name: ("" if form.initial.get(name) is None else form.initial.get(name)) for name in form.fields}
    for name in ("speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"):
        value = getattr(draft, f"{name}_id")
        data[name] = value if value is not None else ""
    data.update(proposed_contract="{}", assertion_field="value", assertion_value="USD 100000000000000000000000000")
    page = admin_client.post(change, data)
    assert page.status_code == 200
    assert "too large" in str(page.context["adminform"].form.errors)
    review = admin_client.get(review_url(draft.article))
    assert review.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("proposal", ["[1, 2]", '"x"', "5"])
def test_a_proposed_deal_that_is_not_an_object_is_a_form_error(seed, admin_client, tmp_path, proposal):
    article = ingest(tmp_path, SEED_TEXT.read_text(encoding="utf-8"), "--date", "2007-01-16")
    draft = article.drafts.first()
    change = reverse("admin:transfers_draft_change", args=[draft.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {name: ("" if form.initial.get(name) is None else form.initial.get(name)) for name in form.fields}
    for name in ("speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"):
        data[name] = ""
    data.update(proposed_contract=proposal, assertion_field="", assertion_value="")
    page = admin_client.post(change, data)
    assert page.status_code == 200
    assert "A proposed deal is a JSON object" in str(page.context["adminform"].form.errors)


@pytest.mark.django_db(transaction=True)  # PostgreSQL's feed serves committed transactions only
def test_the_change_feed_serves_articles_and_drafts_only_to_editors(seed, token_client, django_user_model):
    """Found by an adversarial pass: anonymous clients read every article's text and every
    draft (with the reviewing editor's user id) through /api/changes/, which the articles'
    own endpoint refuses them."""
    from rest_framework.test import APIClient

    editor = token_client()
    text = "Russia delivered 29 Tor-M1 systems to Iran, the ministry said."
    posted = editor.post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert posted.status_code == 201, posted.content

    def types(client, **params):
        response = client.get("/api/changes/", {"limit": 1000, **params})
        assert response.status_code == 200, response.content
        return {entry["record_type"] for entry in response.json()["results"]}

    assert {"article", "draft", "source"} <= types(editor)
    made = editor.get("/api/changes/", {"record_type": "article,draft", "limit": 1000}).json()["results"]
    assert made and {entry["channel"] for entry in made} == {"article"}, made
    anonymous, reader = APIClient(), token_client(perms=False)
    for client in (anonymous, reader):
        seen = types(client)
        assert "source" in seen and not seen & {"article", "draft"}, seen
        for record_type in ("article", "draft", "article,claim"):
            response = client.get("/api/changes/", {"record_type": record_type})
            assert response.status_code in (401, 403), response.content
            assert "editors" in response.json()["detail"]
    assert types(anonymous, record_type="claim,source") <= {"claim", "source"}


@pytest.mark.django_db
def test_a_reviewer_who_may_not_add_deals_or_people_cannot_add_them_by_accepting_a_draft(
    seed, admin_client, client, django_user_model
):
    """Found by an adversarial pass: a reviewer with only view_article, view_draft, add_claim
    and change_draft, refused at /admin/transfers/contract/add/, created a deal, its line and
    a person by accepting drafts that proposed them."""
    from django.contrib.auth.models import Permission

    call_command("load_countries", verbosity=0)
    text = "Russia will deliver 12 S-300 systems to Syria, Deputy Foreign Minister Anatoly Petrov said."
    admin_client.post(reverse("admin:transfers_article_add"), {"text": text, "published_date": "2013-05-14"})
    article = Article.objects.get()
    draft = article.drafts.get(assertion_field="quantity_ordered")
    assert draft.proposed_contract and draft.proposed_speaker == "Anatoly Petrov"
    reviewer = django_user_model.objects.create_user("reviewer", password="pw-review-123", is_staff=True)
    codenames = ["view_article", "view_draft", "add_claim", "change_draft"]
    reviewer.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(reviewer)
    review = reverse("admin:transfers_article_review", args=[article.pk])
    counts = (Contract.objects.count(), Person.objects.count(), Claim.objects.count())

    page = client.post(review, {"draft": draft.pk, "action": "accept"}, follow=True).content.decode()
    assert "which your account may not add (add_contract, add_transfer)" in page
    assert (Contract.objects.count(), Person.objects.count(), Claim.objects.count()) == counts
    draft.refresh_from_db()
    assert draft.status == "pending"

    # Given the recorded deal instead, only the person is refused; with add_person it is accepted.
    draft.contract = Contract.objects.get(reference="rus-irn-s-300-talks")
    draft.proposed_contract = {}
    draft.save()
    page = client.post(review, {"draft": draft.pk, "action": "accept"}, follow=True).content.decode()
    assert "adds a new person, which your account may not add (add_person)" in page
    reviewer.user_permissions.add(Permission.objects.get(codename="add_person"))
    client.post(review, {"draft": draft.pk, "action": "accept"})
    draft.refresh_from_db()
    assert draft.status == "accepted" and draft.claim.speaker.name == "Anatoly Petrov"
    assert Contract.objects.count() == counts[0] and Claim.objects.count() == counts[2] + 1


@pytest.mark.parametrize("proposal", ["[1, 2]", '"just a string"', '{"supplier": ["RUS"]}', '{"seller": "RUS"}'])
@pytest.mark.django_db
def test_a_proposed_deal_that_is_not_an_object_of_codes_is_refused_and_never_a_500(
    seed, admin_client, tmp_path, proposal
):
    """Found by an adversarial pass: with a deal chosen, the form took `[1, 2]` as the proposed
    deal; once that deal was deleted the article's review page was a 500 on every view."""
    article = ingest(tmp_path, SEED_TEXT.read_text(encoding="utf-8"), "--date", "2007-01-16")
    draft = article.drafts.filter(contract__isnull=False).first() or article.drafts.first()
    change = reverse("admin:transfers_draft_change", args=[draft.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {name: ("" if form.initial.get(name) is None else form.initial.get(name)) for name in form.fields}
    for name in ("speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"):
        data[name] = getattr(draft, f"{name}_id") or ""
    data["contract"] = Contract.objects.get(reference="rus-irn-2005-tor-m1").pk
    data.update(transfer="", delivery="", system="", actor="", proposed_contract=proposal)
    response = admin_client.post(change, data)
    assert response.status_code == 200 and "proposed_contract" in response.context["adminform"].form.errors
    # Stored by other means, it is shown as no proposal, and accepting it says why it cannot be.
    Draft.objects.filter(pk=draft.pk).update(
        proposed_contract=json.loads(proposal), contract=None, transfer=None, delivery=None, system=None, actor=None
    )
    page = admin_client.get(review_url(article))
    assert page.status_code == 200
    page = admin_client.post(review_url(article), {"draft": draft.pk, "action": "accept"}, follow=True)
    assert page.status_code == 200 and "A proposed deal is a JSON object of codes" in page.content.decode()


@pytest.mark.django_db
def test_a_date_line_past_any_sane_year_is_no_publication_date(seed, token_client):
    """Found by an adversarial pass: `Published Jan. 16, 2099` in the text refused the article
    (400 on published_date, which the client never sent). It is taken without that date."""
    client = token_client()
    text = "Published Jan. 16, 2099\nMOSCOW (AP) — Russia has delivered 29 Tor-M1 systems to Iran."
    response = client.post("/api/articles/", {"text": text}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["published_date"] is None
    text = "Published Jan. 16, 2007\nMOSCOW (AP) — Russia has delivered 29 Tor-M1 systems to Iran."
    response = client.post("/api/articles/", {"text": text}, format="json")
    assert response.status_code == 201 and response.json()["published_date"] == "2007-01-16"


@pytest.mark.parametrize(
    "encoding, data",
    [
        (
            "utf-16 (Notepad's 'Unicode')",
            "\ufeffRussia’s ministry said Russia delivered 29 Tor-M1 systems to Iran.".encode("utf-16-le"),
        ),
        (
            "utf-16 big-endian",
            "\ufeffRussia’s ministry said Russia delivered 29 Tor-M1 systems to Iran.".encode("utf-16-be"),
        ),
        (
            "utf-8 with a BOM",
            "\ufeffRussia’s ministry said Russia delivered 29 Tor-M1 systems to Iran.".encode("utf-8"),
        ),
        ("windows-1252", "Russia’s ministry said Russia delivered 29 Tor-M1 systems to Iran.".encode("cp1252")),
    ],
)
@pytest.mark.django_db
def test_an_uploaded_text_file_is_read_in_its_encoding(seed, admin_client, tmp_path, encoding, data):
    """Found by an adversarial pass: a UTF-16 file (Notepad's "Unicode", with its byte order
    mark) was refused as "a binary file" for its NUL bytes; Windows-1252 quotes were lost."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("report.txt", data, content_type="text/plain")
    response = admin_client.post(
        reverse("admin:transfers_article_add"), {"file": upload, "published_date": "2007-01-16"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    article = Article.objects.get()
    assert article.text.startswith("Russia’s ministry said"), (encoding, article.text[:40])
    assert article.drafts.filter(assertion_field="quantity_delivered", assertion_value="29").exists()
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    call_command("ingest_article", str(path), "--date", "2007-01-17", stdout=io.StringIO())
    assert Article.objects.order_by("-pk").first().text.startswith("Russia’s ministry said"), encoding


@pytest.mark.django_db
def test_ingest_article_refuses_a_file_over_the_limit_whole_never_cut(seed, tmp_path):
    """Found by an adversarial pass: a UTF-32 file of 162,000 characters was read only to the
    limit's bytes and taken, cut to 100,000 characters; a 10-million-character file was said to
    be "400,004 characters long"."""
    text = "Russia delivered 29 Tor-M1 systems to Iran. " * 3700  # 162,800 characters
    path = tmp_path / "long.txt"
    path.write_bytes(text.encode("utf-32"))
    with pytest.raises(CommandError, match=r"over 400,004 bytes: an article has at most 100,000 characters"):
        call_command("ingest_article", str(path), stdout=io.StringIO())
    path.write_bytes(text[:100_500].encode("utf-8"))
    with pytest.raises(CommandError, match=r"100,500 characters long; the limit is 100,000"):
        call_command("ingest_article", str(path), stdout=io.StringIO())
    assert not Article.objects.exists()


def test_ingest_article_refuses_a_bad_date_or_a_fifo_without_a_traceback(tmp_path):
    """An adversarial pass: `--date 2007-13-45` printed a traceback (the date's type raised a
    CommandError while the arguments were parsed, outside the command), and a FIFO blocked."""
    import os
    import subprocess
    import sys

    path = tmp_path / "a.txt"
    path.write_text("Russia delivered 29 Tor-M1 systems to Iran.")
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest_article", str(path), "--date", "2007-13-45"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "'2007-13-45' is not a date of the form YYYY-MM-DD" in done.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CommandError, match="is not a regular file"):
        call_command("ingest_article", str(fifo), stdout=io.StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sentence,recipient",
    [
        ("Lisbon ordered five C-390 transport aircraft from Embraer in 2019.", "PRT"),
        ("The Dutch government ordered five C-390 transport aircraft from Brazil in 2024.", "NLD"),
        ("Bucharest has ordered three C-390 aircraft.", "ROU"),
        ("The Thai air force has ordered two C-390 aircraft.", "THA"),
    ],
)
def test_a_capital_or_a_demonym_names_its_state(seed, countries, token_client, sentence, recipient):
    """Blind set 8: only fifty states' capitals and demonyms were known, so 'Lisbon ordered
    five aircraft' went to the deal of the Austrians named before it."""
    WeaponSystem.objects.create(
        designation="C-390", slug="c-390", category="aircraft", origin=Actor.objects.get(code="BRA")
    )
    proposed = [d.get("proposed_contract") for d in drafts_of(token_client, sentence, "2026-03-12")]
    assert {"supplier": "BRA", "recipient": recipient, "system": "c-390"} in proposed, proposed


@pytest.mark.django_db
def test_what_a_body_confirmed_to_a_paper_on_a_day_is_what_came_before_its_name(seed, token_client):
    """`..., the Dutch Defence Materiel Organisation (DMO) confirmed to Janes on 10 March.`
    (blind set 8): what is confirmed is the sentence before its speaker, as it is before
    `..., the minister said.`; 'to Janes on 10 March' was taken as what was said, so the
    draft stated nothing and was about the system, not the deal."""
    Actor.objects.create(
        code="irn-dio",
        name="Defence Industries Organisation",
        aliases=["DIO"],
        kind="government-body",
        parent=Actor.objects.get(code="IRN"),
    )
    text = (
        "Russia has delivered 29 Tor-M1 systems ordered by Iran, the Iranian Defence Industries Organisation "
        "(DIO) confirmed to Reuters on 10 March."
    )
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2026-03-12"}, format="json")
    assert response.status_code == 201, response.content
    drafts = response.json()["drafts"]
    shown = [(d["subject"], d["assertion_field"], d["assertion_value"], d["stance"]) for d in drafts]
    assert ("rus-irn-2005-tor-m1/1", "quantity_delivered", "29", "confirms") in shown, shown


@pytest.mark.django_db
@pytest.mark.parametrize("figure", ["9" * 5000, "99,999,999,999,999", "1" + ",0" * 3000])
def test_a_running_total_past_any_count_is_no_figure_and_no_500(seed, token_client, figure):
    """int() refuses more than 4,300 digits: a running total's figure is bounded before it is read."""
    text = f"Russia has delivered four Tor-M1 systems to Iran, bringing the total it has supplied to {figure}."
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2007-01-16"}, format="json")
    assert response.status_code == 201, response.content
    values = [d["assertion_value"] for d in response.json()["drafts"] if d["assertion_field"] == "quantity_delivered"]
    assert values == ["4"], values


@pytest.mark.django_db
def test_a_day_of_the_month_is_no_quantity(seed, token_client):
    """Blind set 8: `signed a contract on 5 March for a sixth C-390` was drafted as five ordered."""
    text = "Russia said on 9 March that it had signed a contract with Iran on 5 March for a sixth Tor-M1 system."
    response = token_client().post("/api/articles/", {"text": text, "published_date": "2026-03-12"}, format="json")
    assert response.status_code == 201, response.content
    drafts = response.json()["drafts"]
    assert [d["assertion_value"] for d in drafts if d["assertion_field"].startswith("quantity")] == [], drafts


@pytest.mark.django_db
def test_a_relative_date_before_1900_is_no_drafts_date(seed, token_client):
    """An article dated 1 January 1900 that says "yesterday" drafted 1899-12-31, which no
    record may hold: accepting the draft was then refused."""
    text = "Russia delivered 29 Tor-M1 systems to Iran yesterday, the defence ministry said."
    response = token_client().post("/api/articles/", {"text": text, "published_date": "1900-01-01"}, format="json")
    assert response.status_code == 201, response.content
    drafts = Draft.objects.filter(article__source__published_date="1900-01-01")
    assert drafts.exists()
    assert not drafts.filter(stated_date__year__lt=1900).exists()
    assert not any("1899" in draft.assertion_value or "1899" in draft.assertion_text for draft in drafts)


@pytest.mark.django_db
def test_two_sales_in_one_sentence_are_drafted_each_with_its_buyer_figure_and_value(seed, countries, token_client):
    """Blind set 8: `the sale of 400 ... to Saudi Arabia for $3.9 billion, and of 1,200 ... to
    the United Arab Emirates for about $610 million, according to ...`: the second sale was not
    drafted. Each sale is its own deal, with the one speaker of both."""
    for designation, slug in [("AGM-179 JAGM", "jagm"), ("Harpoon", "harpoon")]:
        WeaponSystem.objects.create(
            designation=designation, slug=slug, category="missiles", origin=Actor.objects.get(code="USA")
        )
    client = token_client()
    text = (
        "The United States has approved the possible sale of 400 Harpoon missiles to Egypt for an estimated "
        "$3.9 billion, and of 1,200 Joint Air-to-Ground Missiles to Algeria for about $610 million, "
        "according to notices the State Department sent to Congress."
    )
    response = client.post("/api/articles/", {"text": text, "published_date": "2026-02-04"}, format="json")
    assert response.status_code == 201, response.content
    drafts = response.json()["drafts"]
    second = {
        d["assertion_field"]: d["assertion_value"]
        for d in drafts
        if d["proposed_contract"] == {"supplier": "USA", "recipient": "DZA", "system": "jagm"}
    }
    assert second == {"quantity_ordered": "1200", "value": "about USD 610000000"}, drafts
    first = {
        d["assertion_field"]: d["assertion_value"]
        for d in drafts
        if d["proposed_contract"] == {"supplier": "USA", "recipient": "EGY", "system": "harpoon"}
    }
    assert first == {"quantity_ordered": "400", "value": "about USD 3900000000"}, drafts
    assert len(drafts) == 4 and len({d["speaker_actor"] for d in drafts}) == 1, drafts


@pytest.mark.parametrize(
    ("sentence", "drafted"),
    [
        # A system's acronym written out, and a compound of hyphens between the figure and its noun.
        ("Iran has ordered 1,200 Joint Air-to-Ground Missiles from the United States.", {"system": "jagm"}),
        ("Iran has ordered 20 mine-resistant ambush-protected vehicles from the United States.", {"value": "20"}),
        # Not an acronym of a system: no system.
        ("Iran has ordered 12 Joint Strike Fighters from the United States.", {"system": None, "value": "12"}),
        # A second sale whose figure's noun is left out: twelve of the first sale's system.
        ("Russia sold 29 Tor-M1 systems to Iran and 12 to Syria, the ministry said.", {"drafts": 2}),
    ],
)
def test_systems_written_out_and_figures_before_compound_nouns(seed, countries, token_client, sentence, drafted):
    WeaponSystem.objects.create(
        designation="AGM-179 JAGM", slug="jagm", category="missiles", origin=Actor.objects.get(code="USA")
    )
    drafts = drafts_of(token_client, sentence, "2026-02-04")
    quantities = [d for d in drafts if d["assertion_field"] == "quantity_ordered"]
    if "drafts" in drafted:
        assert len(quantities) == drafted["drafts"], drafts
        second = {"supplier": "RUS", "recipient": "SYR", "system": "tor-m1"}
        assert [d["assertion_value"] for d in quantities if d["proposed_contract"] == second] == ["12"], drafts
        return
    (found,) = quantities
    assert found["assertion_value"] == drafted.get("value", found["assertion_value"]), drafts
    if "system" in drafted:
        assert found["proposed_contract"].get("system") == drafted["system"], drafts


@pytest.mark.parametrize(
    "sentence",
    [
        "The Russian government has approved the possible sale of 10 Tor-M1 systems to Iran for $300 million.",
        "Moscow notified the proposed sale of 10 Tor-M1 systems to Iran for $300 million.",
    ],
)
def test_a_possible_sale_is_proposed_never_the_recorded_deal(seed, token_client, sentence):
    """Blind sets 3, 5, 7 and 8: a sale a government approves or notifies is not yet a deal, so
    not the recorded one of the same parties and system (the 2005 Tor-M1 deal here)."""
    drafts = drafts_of(token_client, sentence, "2026-02-04")
    assert {d["subject_type"] for d in drafts} == {"proposal"}, drafts
    proposed = {"supplier": "RUS", "recipient": "IRN", "system": "tor-m1"}
    assert {d["assertion_field"]: d["assertion_value"] for d in drafts if d["proposed_contract"] == proposed} == {
        "quantity_ordered": "10",
        "value": "USD 300000000",
    }, drafts


@pytest.mark.parametrize(
    ("speaker", "named"),
    [
        # The title first, the name in the next paragraph: one person (blind set 8).
        ("the head of Russia's arms export agency", "Viktor Orlov"),
        # An official is anyone: not the person named next.
        ("a Russian official", ""),
    ],
)
def test_a_speaker_given_by_title_is_the_person_named_next(seed, token_client, speaker, named):
    text = (
        f"Russia has delivered 29 Tor-M1 systems to Iran, {speaker} said on Tuesday.\n\n"
        "The systems were shipped by sea in December, Major General Viktor Orlov told a news conference.\n\n"
        "Orlov said Iran had also ordered 10 more Tor-M1 systems."
    )
    drafts = drafts_of(token_client, text, "2007-01-16")
    first = [d for d in drafts if d["assertion_field"] == "quantity_delivered"]
    assert first and all(d["proposed_speaker"] == named for d in first), drafts
    if named:
        assert all(d["attribution"] == "on-record" for d in first), drafts
    # His surname opening a sentence is him (a capitalised first word alone is no name).
    (more,) = [d for d in drafts if d["assertion_value"] == "10"]
    assert (more["proposed_speaker"], more["attribution"]) == ("Viktor Orlov", "on-record"), drafts


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        # Pesos are the Philippines' in a report of a Philippine purchase (blind set 7).
        ("South Korea sold the Philippines 12 FA-50 jets for 18.9 billion pesos.", "PHP 18900000000"),
        ("Sweden sold Brazil 36 Gripen jets for 39 billion crowns.", "SEK 39000000000"),
        ("China sold Pakistan eight submarines for 900 billion rupees.", "PKR 900000000000"),
        # Pounds of a British sale to Egypt: either party's; the default, as before.
        ("Britain sold Egypt 24 Typhoon jets for 3 billion pounds.", "GBP 3000000000"),
        # Pesos of no party's: no amount.
        ("Russia sold Iran 29 Tor-M1 systems for 700 billion pesos.", None),
    ],
)
def test_a_currency_several_states_name_alike_is_the_partys(seed, countries, token_client, sentence, value):
    drafts = drafts_of(token_client, sentence, "2024-05-01")
    assert [d["assertion_value"] for d in drafts if d["assertion_field"] == "value"] == ([value] if value else [])


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [
        # A designation's number, written with a space, is not the quantity.
        ("Sweden agreed to sell 12 JAS 39 Gripen fighters to Thailand in 2008.", "12"),
        ("Thailand ordered six Type 209 submarines from Germany in 2010.", "6"),
        ("Germany sold Hungary 44 Leopard 2A7 tanks in 2018.", "44"),
        # A party before the figure is no designation; a qualifier opening a sentence neither.
        ("Russia sold Thailand 12 jets in 2011.", "12"),
        ("Nearly 40 tanks were sold to Thailand by Russia in 2012.", "about 40"),
    ],
)
def test_a_designations_number_is_not_the_quantity(seed, countries, token_client, sentence, quantity):
    drafts = drafts_of(token_client, sentence, "2024-05-01")
    assert [d["assertion_value"] for d in drafts if d["assertion_field"] == "quantity_ordered"] == [quantity], drafts


@pytest.mark.parametrize(
    "sentence",
    [
        "Nearly 40 tanks were delivered to Thailand by Russia in 2012.",
        "Thailand was sold 40 tanks by Russia in 2012.",
    ],
)
def test_the_party_after_by_of_a_passive_supply_is_the_supplier(seed, countries, token_client, sentence):
    drafts = drafts_of(token_client, sentence, "2024-05-01")
    assert drafts and {(d["proposed_contract"] or {}).get("supplier") for d in drafts} == {"RUS"}, drafts
    assert {(d["proposed_contract"] or {}).get("recipient") for d in drafts} == {"THA"}, drafts


def test_a_by_in_a_later_clause_is_not_the_supplier(seed, countries, token_client):
    """Blind set 7: `..., which would be built by PT PAL` names the builder of other ships, not
    the supplier of the first."""
    text = "Thailand bought two frigates from Germany in 2024. The first frigate was delivered to Thailand in 2026,"
    text += " and the second, which was refitted by Russia, followed in 2027."
    drafts = drafts_of(token_client, text, "2026-05-01")
    assert drafts and {d["proposed_contract"]["supplier"] for d in drafts} == {"DEU"}, drafts


@pytest.mark.parametrize(
    ("sentence", "pairs"),
    [
        # Blind set 7: `Turkey is building two Istif-class frigates for the Indonesian navy`.
        ("Germany is building two frigates for Thailand under a 2024 contract.", {("DEU", "THA")}),
        # Building for no one named is no sale.
        ("Thailand is building two frigates of its own.", set()),
    ],
)
def test_building_for_a_buyer_is_a_supply(seed, countries, token_client, sentence, pairs):
    drafts = drafts_of(token_client, sentence, "2026-05-01")
    assert {(d["proposed_contract"]["supplier"], d["proposed_contract"]["recipient"]) for d in drafts} == pairs, drafts


def test_it_opening_a_sentence_is_the_party_that_opened_the_one_before(seed, countries, token_client):
    """Blind set 7: `Indonesia is in the middle of ... It ordered 42 Rafale fighters from France`."""
    text = (
        "Germany sold four submarines to Egypt in 2020 and two more to Egypt in 2022.\n\n"
        "Thailand is re-equipping its navy. It ordered two frigates from Germany in 2024."
    )
    drafts = drafts_of(token_client, text, "2026-05-01")
    ordered = [d for d in drafts if d["assertion_value"] == "2024"]
    assert ordered and {d["proposed_contract"]["recipient"] for d in ordered} == {"THA"}, drafts


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A designation of letters and figures in one word does not hide the figure's noun.
        (
            "South Korea will supply 180 K2 tanks to Poland under a contract signed in 2022.",
            {("KOR", "POL", "quantity_ordered", "180"), ("KOR", "POL", "order_date", "2022")},
        ),
        # Where the first of them arrived bought them.
        (
            "The first 10 of 180 K2 tanks arrived in Poland in December 2022.",
            {
                (None, "POL", "quantity_ordered", "180"),
                (None, "POL", "quantity_delivered", "10"),
                (None, "POL", "delivery_date", "2022-12"),
            },
        ),
        # `signed for` buys.
        ("Egypt has signed for 24 more Rafale jets from France.", {("FRA", "EGY", "quantity_ordered", "24")}),
        # A state approving a sale sells.
        (
            "Washington approved a $2.2 billion sale of 108 M1A2T tanks to Taiwan.",
            {("USA", "TWN", "value", "USD 2200000000"), ("USA", "TWN", "quantity_ordered", "108")},
        ),
        ("The US cleared the sale of 24 F-16 Block 70 jets to Turkey.", {("USA", "TUR", "quantity_ordered", "24")}),
        # Not its own sale: the seller is named.
        (
            "Germany approved the sale of 14 tanks from Spain to Ukraine.",
            {("ESP", "UKR", "quantity_ordered", "14")},
        ),
        # `received a third`: a delivery, as `delivered a third` is.
        ("Kyiv has received a third Patriot battery from Germany.", {("DEU", "UKR", "status", "delivered")}),
        # `has shipped` a batch: delivered; beside the running total, both (blind set 8).
        (
            "Iran has shipped a second batch of missiles to Russia, bringing the total it has supplied to about 200.",
            {("IRN", "RUS", "quantity_delivered", "about 200"), ("IRN", "RUS", "status", "delivered")},
        ),
        # A figure of a designation no register holds yet is its quantity; a designation before
        # another noun is not the noun (blind set 8's `replacing three C-130K transports`).
        ("The Netherlands will donate 18 F-16s to Ukraine.", {("NLD", "UKR", "quantity_ordered", "18")}),
        ("Austria will receive its first aircraft in 2027, replacing three C-130K transports.", set()),
        # A cancelled order: its date is the cancellation's, not the order's (held-out set 2).
        (
            "Egypt cancelled its order for 24 Su-35 jets from Russia in 2021.",
            {("RUS", "EGY", "quantity_ordered", "24"), ("RUS", "EGY", "status", "cancelled")},
        ),
        # What is said comes first when the speaker `told The Associated Press on Sunday`.
        (
            "Egypt has cancelled its order for 24 Su-35 jets from Russia, two Egyptian officials told "
            "The Associated Press on Sunday.",
            {("RUS", "EGY", "quantity_ordered", "24"), ("RUS", "EGY", "status", "cancelled")},
        ),
        # `from` names who supplies, `to` who receives; `transferred` is a delivery.
        (
            "Two frigates were transferred from Italy to Egypt in 2021.",
            {("ITA", "EGY", "quantity_delivered", "2"), ("ITA", "EGY", "delivery_date", "2021")},
        ),
        # A delivery's completion planned is no completion, nor a delivery date; one past is both,
        # and `deliveries ... to Armenia` names the buyer.
        ("Deliveries of the howitzers to Armenia are expected to be completed by 2028.", set()),
        (
            "Deliveries of the howitzers to Armenia were completed in 2024.",
            {(None, "ARM", "delivery_date", "2024"), (None, "ARM", "status", "completed")},
        ),
        # Two parties signing together: the one the system comes from sells to the other, in
        # either order (the buyer had been taken for the only party, and the seller dropped).
        (
            "Syria and Russia signed a deal for 12 Tor-M1 systems in 2026.",
            {("RUS", "SYR", "quantity_ordered", "12"), ("RUS", "SYR", "order_date", "2026")},
        ),
        (
            "Russia and Syria have signed a contract for 12 Tor-M1 systems.",
            {("RUS", "SYR", "quantity_ordered", "12")},
        ),
    ],
)
def test_more_ways_news_writes_a_deal(seed, countries, token_client, sentence, expected):
    drafts = drafts_of(token_client, sentence, "2026-03-12")
    assert parties_and_figures(drafts) == expected, drafts


def parties_and_figures(drafts):
    """{(supplier, recipient, field, value)} of these drafts: a proposed deal's parties (None
    where it names none), or those of the seed's recorded deal, Russia's Tor-M1 to Iran."""
    found = set()
    for d in drafts:
        parties = d["proposed_contract"] or {}
        if d["subject_type"] == "contract":
            parties = {"supplier": "RUS", "recipient": "IRN"}
        supplier, recipient = parties.get("supplier") or None, parties.get("recipient") or None
        found.add((supplier, recipient, d["assertion_field"], d["assertion_value"]))
    return found


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # A buyer who signs a deal for arms buys them; `its total order` is a noun, not Greece's
        # seller buying.
        (
            "Greece signed a deal for 24 Rafale jets from France in 2021, bringing its total order to 24.",
            {("FRA", "GRC", "quantity_ordered", "24"), ("FRA", "GRC", "order_date", "2021")},
        ),
        # `we` who received are the speaker's side.
        (
            '"We have received all 29 systems," Iranian Defence Minister Mostafa Najjar told reporters.',
            {("RUS", "IRN", "quantity_delivered", "29")},
        ),
    ],
)
def test_who_buys_when_the_buyer_is_a_pronoun_or_signs_for_it(seed, countries, token_client, sentence, expected):
    drafts = drafts_of(token_client, sentence, "2026-03-12")
    assert parties_and_figures(drafts) == expected, drafts


@pytest.mark.parametrize(
    ("sentence", "speaker", "attribution", "stance"),
    [
        # Sources without a name are anonymous (blind sets 4, 5 and 6).
        ("Russia has delivered 12 Tor-M1 systems to Iran, two sources said.", "", "anonymous", "asserts"),
        ("Russia has delivered 12 Tor-M1 systems to Iran, one of the sources said.", "", "anonymous", "asserts"),
        # An agency's name is not a person's.
        (
            "Russia has approved the sale of 12 Tor-M1 systems to Iran, the Federal Military Cooperation Agency said.",
            "",
            "spokesperson",
            "asserts",
        ),
        # `dismissed reports` is a denial, spoken for its side.
        (
            'The Kremlin dismissed reports that Russia had sold 12 Tor-M1 systems to Iran as "fake news".',
            "",
            "spokesperson",
            "denies",
        ),
    ],
)
def test_who_speaks_how(seed, countries, token_client, sentence, speaker, attribution, stance):
    drafts = drafts_of(token_client, sentence, "2026-03-12")
    assert drafts and {(d["proposed_speaker"], d["attribution"], d["stance"]) for d in drafts} == {
        (speaker, attribution, stance)
    }, drafts


def test_a_generic_word_of_a_deals_title_names_no_deal(seed, countries, token_client):
    """Blind set 5: `Navy` in the title of Egypt's FREMM deal made `transferred from the U.S.
    Navy's fleet` that deal. A deal titled for `the Iranian Army` here, and a navy of another."""
    from transfers.models import Contract

    Contract.objects.filter(reference="rus-irn-2005-tor-m1").update(title="Tor-M1 systems for the Iranian Army")
    drafts = drafts_of(
        token_client, "Two frigates were transferred from the Army of Italy to Egypt in 2021.", "2026-03-12"
    )
    assert drafts and {d["subject_type"] for d in drafts} == {"proposal"}, drafts
