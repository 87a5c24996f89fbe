"""A real browser (headless Chromium driven by Playwright) against a live server: the editor's path."""

import json
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

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

pytestmark = pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium installed (Debian package chromium)")


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
    django_user_model.objects.create_superuser("editor", "editor@example.org", "browser-pass-123")

    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "browser-pass-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(f"{url}/admin/transfers/contract/add/")
    page.fill("#id_reference", "rus-irn-2010-browser-test")
    pick(page, "id_supplier", "Russ", "Russia (RUS)")
    pick(page, "id_recipient", "Ira", "Iran (IRN)")
    page.select_option("#id_status", "signed")
    page.fill("#id_order_date", "2010-05-01")
    page.select_option("#id_order_date_precision", "month")
    pick(page, "id_transfers-0-system", "Tor", "Tor-M1")
    page.fill("#id_transfers-0-quantity_ordered", "12")
    page.fill("#id_transfers-0-new_delivery_date", "2011")
    page.fill("#id_transfers-0-new_delivery_quantity", "4")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert "rus-irn-2010-browser-test" in page.content()

    # Visible in the trade register over the API.
    page.goto(f"{url}/api/transfers/?contract=rus-irn-2010-browser-test&format=json")
    rows = json.loads(page.inner_text("body"))["results"]
    assert len(rows) == 1
    assert rows[0]["quantity_ordered"] == 12 and rows[0]["delivery_years"] == [2011]
    assert rows[0]["quantity_delivered"] == 4 and rows[0]["contract"]["order_date"] == "2010-05"

    # And in its history, with who made it.
    contract = Contract.objects.get(reference="rus-irn-2010-browser-test")
    page.goto(f"{url}/admin/transfers/contract/{contract.pk}/history/")
    history = page.inner_text("#content")
    assert "editor" in history and "Created" in history

    # A picture of the seed's deal, as an editor sees it.
    tor = Contract.objects.get(reference="rus-irn-2005-tor-m1")
    page.goto(f"{url}/admin/transfers/contract/{tor.pk}/change/")
    page.wait_for_selector("#contract_form")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "tor-m1-contract-admin.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert not errors, errors
