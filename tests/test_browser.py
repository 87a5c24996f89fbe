"""A real browser (headless Chromium driven by Playwright) against a live server: the editor's path."""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections

from transfers.models import Contract

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not HAVE_CHROMIUM and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI=true but no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package")

# The pages are the same whatever the database: they are looked at once, on PostgreSQL
# (their HTTP tests run on both).
BROWSER = [
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium installed (Debian package chromium)"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pages are looked at in a browser on PostgreSQL"),
]
pytestmark = BROWSER


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        browser.close()


def pick(page, field_id, text, option):
    """Choose a value in a Django admin autocomplete (select2) widget, as a user does."""
    page.click(f"[aria-labelledby='select2-{field_id}-container']")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{option}')")


WINDOW = 1400


def fits_the_window(page):
    """The page's width, and that of any list inside it: nothing to scroll sideways at 1400 px."""
    return page.evaluate(
        """() => {
            const results = document.querySelector('.results');
            return {
                page: document.documentElement.scrollWidth,
                list: results ? results.scrollWidth - results.clientWidth : 0,
            };
        }"""
    )


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    return shot


def log_in(page, url, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", "browser-pass-123")
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "browser-pass-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


@pytest.mark.django_db(transaction=True)
def test_editor_adds_a_contract_in_the_admin(live_server, browser_page, django_user_model):
    page, errors = browser_page
    try:
        editor_adds_a_contract(page, errors, live_server.url, django_user_model)
    finally:
        # The ORM calls above ran under Playwright's event loop, in a context of their own:
        # close that connection here, or it keeps the test database from being dropped.
        connections.close_all()


def editor_adds_a_contract(page, errors, url, django_user_model):
    call_command("loaddata", "seed", verbosity=0)
    log_in(page, url, django_user_model)

    page.goto(f"{url}/admin/transfers/contract/add/")
    page.fill("#id_reference", "rus-irn-2010-browser-test")
    pick(page, "id_supplier", "Russ", "Russia (RUS)")
    pick(page, "id_recipient", "Ira", "Iran (IRN)")
    page.select_option("#id_status", "signed")
    # Typed at its precision: May 2010.
    page.fill("#id_order_date", "2010-05")
    page.fill("#id_value_amount", "1,250,000")
    page.fill("#id_value_currency", "usd")
    pick(page, "id_transfers-0-system", "Tor", "Tor-M1")
    page.fill("#id_transfers-0-quantity_ordered", "12")
    page.fill("#id_transfers-0-new_delivery_date", "2011")
    page.fill("#id_transfers-0-new_delivery_quantity", "4")
    # A second line, added with the inline's own button (one table row per line).
    page.click("#transfers-group .add-row a")
    pick(page, "id_transfers-1-system", "S-3", "S-300")
    page.check("#id_transfers-1-quantity_ordered_is_estimate")
    assert fits_the_window(page)["page"] <= WINDOW
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert "rus-irn-2010-browser-test" in page.content()

    # Visible in the trade register over the API.
    page.goto(f"{url}/api/transfers/?contract=rus-irn-2010-browser-test&format=json")
    rows = sorted(json.loads(page.inner_text("body"))["results"], key=lambda row: row["line"])
    assert len(rows) == 2
    assert rows[0]["quantity_ordered"] == 12 and rows[0]["delivery_years"] == [2011]
    assert rows[0]["quantity_delivered"] == 4 and rows[0]["contract"]["order_date"] == "2010-05"
    assert rows[1]["system"]["slug"] == "s-300" and rows[1]["quantity_ordered"] is None
    contract = Contract.objects.get(reference="rus-irn-2010-browser-test")
    assert contract.value_amount == 1_250_000 and contract.value_currency == "USD"
    assert contract.transfers.get(line=2).quantity_ordered_is_estimate

    # And in its history, with who made it.
    page.goto(f"{url}/admin/transfers/contract/{contract.pk}/history/")
    history = page.inner_text("#content")
    assert "editor" in history and "Created" in history
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_the_admin_fits_a_1400_px_window(live_server, browser_page, django_user_model):
    page, errors = browser_page
    try:
        admin_at_1400_px(page, errors, live_server.url, django_user_model)
    finally:
        connections.close_all()


def admin_at_1400_px(page, errors, url, django_user_model):
    """The seed's deal as an editor sees it at 1400 px: every figure readable, nothing off to the side."""
    call_command("loaddata", "seed", verbosity=0)
    log_in(page, url, django_user_model)
    assert page.viewport_size["width"] == WINDOW

    tor = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    page.goto(f"{url}/admin/transfers/contract/{tor.pk}/change/")
    page.wait_for_selector("#contract_form")
    shoot(page, "tor-m1-contract-admin.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WINDOW, f"the Tor-M1 contract page is {width} px wide"
    assert page.input_value("#id_order_date") == "2005-12"
    assert page.input_value("#id_value_currency") == "USD"
    assert page.input_value("#id_value_amount") == "700,000,000"
    line = page.locator("#transfers-0")
    assert "unknown" in line.locator("td.field-delivered").inner_text()
    assert "None" not in line.inner_text()
    # The claims: a compact table, each linked to its page, and a link to add one.
    claims = page.locator("#deal-claims tr.deal-claim")
    assert claims.count() == 9
    assert page.locator("#deal-claims").bounding_box()["height"] < 2000
    first = claims.first.inner_text()
    assert "Sergei Ivanov" in first and "confirms" in first and "2007-01-16" in first
    page.click("#deal-claims a.addlink")
    page.wait_for_selector("#claim_form")
    assert "rus-irn-2005-tor-m1" in page.inner_text("#select2-id_contract-container")
    page.go_back()
    page.locator("#deal-claims tr.deal-claim").nth(1).locator("a.inlinechangelink").click()
    page.wait_for_selector("#claim_form")
    assert "/admin/transfers/claim/" in page.url

    # Every list and the other pages of the deal fit too, with screenshots of the main ones.
    pages = {
        "/admin/": "admin-index.png",
        "/admin/transfers/claim/": "claims-list.png",
        f"/admin/transfers/transfer/{tor.transfers.get().pk}/change/": "tor-m1-transfer-admin.png",
        "/admin/transfers/transfer/": "transfers-list.png",
        "/admin/transfers/contract/": None,
        "/admin/transfers/delivery/": None,
        "/admin/transfers/source/": None,
        "/admin/transfers/actor/": None,
        "/admin/transfers/person/": None,
        "/admin/transfers/weaponsystem/": None,
        "/admin/transfers/claim/add/": None,
        "/admin/transfers/contract/add/": None,
    }
    for path, name in pages.items():
        page.goto(f"{url}{path}")
        page.wait_for_selector("#content")
        if name:
            shoot(page, name)
        widths = fits_the_window(page)
        assert widths["page"] <= WINDOW and widths["list"] <= 0, (path, widths)

    # The menu in the order of the work; the lockout tables folded away at its end.
    page.goto(f"{url}/admin/")
    models = page.locator("#content-main .app-transfers th[scope=row] a").all_inner_texts()
    assert models == [
        "Contracts",
        "Transfers",
        "Deliveries",
        "Sources",
        "Articles",
        "Claims",
        "Actors",
        "People",
        "Weapon systems",
        "Releases",
    ]
    assert not page.locator("#content-main .app-axes").is_visible()
    page.click("#content-main details.collapsed-app summary")
    assert page.locator("#content-main .app-axes").is_visible()
    assert page.get_attribute("#user-tools a:has-text('View site')", "href") == "/"
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_a_disputed_deal_and_its_evidence_fit_1400_px(live_server, browser_page, django_user_model):
    """The seed with the three other reports of the Tor-M1 deal: the deal page shows its
    evidence per field, the disputed fields highlighted, and a claim's typed assertion is
    typed in the claim form, all at 1400 px."""
    page, errors = browser_page
    try:
        call_command("loaddata", "seed", "tor-m1-reports", verbosity=0)
        log_in(page, live_server.url, django_user_model)
        tor = Contract.objects.get(reference="rus-irn-2005-tor-m1")
        page.goto(f"{live_server.url}/admin/transfers/contract/{tor.pk}/change/")
        page.wait_for_selector("#deal-evidence")
        page.locator("#deal-evidence").scroll_into_view_if_needed()
        shoot(page, "tor-m1-evidence-admin.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW
        disputed = page.locator("#deal-evidence tr.evidence-field.disputed")
        assert disputed.count() == 2
        value, status = disputed.nth(0).inner_text(), disputed.nth(1).inner_text()
        assert "USD 700,000,000" in value and "USD 1,000,000,000" in value and "Reuters" in value
        assert "not completed" in status and "completed" in status and "head of Rosoboronexport" in status
        # Highlighted: a background of its own, unlike an undisputed row.
        background = "el => getComputedStyle(el.querySelector('td')).backgroundColor"
        plain = page.locator("#deal-evidence tr.evidence-field:not(.disputed)").first
        assert disputed.first.evaluate(background) != plain.evaluate(background)
        assert page.locator("#deal-evidence").bounding_box()["height"] < 1200

        page.goto(f"{live_server.url}/admin/transfers/claim/add/")
        page.wait_for_selector("#claim_form")
        shoot(page, "claim-add-admin.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= WINDOW
        assert not errors, errors
    finally:
        connections.close_all()
