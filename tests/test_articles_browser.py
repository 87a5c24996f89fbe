"""The editor's path from an article to claims in a real browser (headless Chromium):
paste the seed's AP report, review its drafts beside the text, accept one. The review
page's screenshot is the README's (docs/article-review.png)."""

import pytest
from django.core.management import call_command
from django.db import connections

from tests.test_browser import BROWSER, ROOT, WINDOW, log_in, shoot
from tests.test_browser import browser_page as browser_page  # noqa: F401 - the fixture
from transfers.models import Claim

pytestmark = BROWSER
SEED_TEXT = ROOT / "tests" / "data" / "articles" / "ap-2007-01-16-russia-iran-tor-m1.txt"


@pytest.mark.django_db(transaction=True)
def test_editor_pastes_an_article_reviews_and_accepts_a_draft(live_server, browser_page, django_user_model):
    page, errors = browser_page
    try:
        call_command("loaddata", "seed", verbosity=0)
        log_in(page, live_server.url, django_user_model)
        page.goto(f"{live_server.url}/admin/transfers/article/add/")
        page.fill("#id_text", SEED_TEXT.read_text(encoding="utf-8"))
        page.fill("#id_outlet", "NBC News")
        page.fill("#id_published_date", "2007-01-16")
        page.click("input[type=submit]")
        page.wait_for_selector(".review-text mark")
        assert page.locator(".draft").count() >= 16
        assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW
        shoot(page, "article-review-full.png")
        # The README's picture: the first screen, the article beside its first drafts.
        page.locator(".review").scroll_into_view_if_needed()
        page.screenshot(path=str(ROOT / "test-artifacts" / "article-review.png"))
        # On a phone the drafts come below the article, each the screen's width (side by side
        # they were 170 pixels each).
        page.set_viewport_size({"width": 375, "height": 800})
        text, first = page.locator(".review-text").bounding_box(), page.locator(".draft").first.bounding_box()
        assert first["y"] >= text["y"] + text["height"] and first["width"] > 300, (text, first)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.set_viewport_size({"width": WINDOW, "height": 900})
        claims = Claim.objects.count()
        value = page.locator(".draft", has_text="value = USD 700,000,000").first
        value.locator("button[value=accept]").click()
        page.wait_for_selector(".messagelist .success")
        assert Claim.objects.count() == claims + 1
        assert "accepted" in page.locator(".messagelist").inner_text()
    finally:
        connections.close_all()
    assert not errors, errors
