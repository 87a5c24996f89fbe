"""Typed assertions are validated the same way on every channel besides the API (tested in
tests/api/test_evidence.py): fixtures, imports (bulk rows), the admin and the database."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from transfers.bulk import bulk_insert, new_row
from transfers.models import Claim, Contract, Source

from .forms import form_data

TOR = "rus-irn-2005-tor-m1"


def fixture_claim(tmp_path, **fields):
    record = {
        "model": "transfers.claim",
        "fields": {
            "key": "from-a-fixture",
            "source": ["ap-2007-01-16-russia-iran-tor-m1"],
            "contract": [TOR],
            "summary": "From a fixture.",
            **fields,
        },
    }
    path = tmp_path / "claim.json"
    path.write_text(json.dumps([record]))
    return str(path)


@pytest.mark.django_db
def test_a_fixture_with_a_malformed_assertion_loads_nothing(seed, tmp_path):
    cases = [
        ({"assertion_field": "value", "assertion_value": "1000000000 XYZ"}, "XYZ is not an ISO 4217 currency code"),
        ({"assertion_field": "status", "assertion_value": "nearly done"}, "is not a status"),
        ({"assertion_field": "value", "assertion_amount": "5", "assertion_currency": "ABC"}, "assertion_currency"),
        ({"assertion_field": "status", "assertion_status": "completed", "assertion_quantity": 3}, "takes no quantity"),
    ]
    for fields, words in cases:
        with pytest.raises(CommandError, match=words):
            call_command("loaddata", fixture_claim(tmp_path, **fields), verbosity=0)
        assert not Claim.objects.filter(key="from-a-fixture").exists()


@pytest.mark.django_db
def test_a_fixture_may_give_the_value_as_written(seed, tmp_path):
    call_command(
        "loaddata",
        fixture_claim(tmp_path, assertion_field="value", assertion_value="about $1bn"),
        verbosity=0,
    )
    claim = Claim.objects.get(key="from-a-fixture")
    assert (claim.assertion_amount, claim.assertion_currency, claim.assertion_qualifier) == (10**9, "USD", "about")
    assert Contract.objects.get(reference=TOR).disputed  # about $1bn against USD 700m


@pytest.mark.django_db
def test_the_reports_load_after_the_seed_twice_and_not_over_edits(db):
    call_command("loaddata", "seed", "tor-m1-reports", verbosity=0)
    counts = (Claim.objects.count(), Claim.history.count(), Source.objects.count())
    call_command("loaddata", "seed", "tor-m1-reports", verbosity=0)
    assert (Claim.objects.count(), Claim.history.count(), Source.objects.count()) == counts
    assert Contract.objects.get(reference=TOR).disputed
    # make run's seed step: both in one call, into an empty database only.
    Claim.objects.filter(key="reuters-tor-m1-value-1bn").update(summary="edited")
    call_command("loaddata", "seed", "tor-m1-reports", if_empty=True, verbosity=0)
    assert Claim.objects.get(key="reuters-tor-m1-value-1bn").summary == "edited"


@pytest.mark.django_db
def test_imports_write_claims_by_the_same_rules(seed):
    # An importer writes plain rows (transfers.bulk): values given as text are read and
    # checked, and the deal's flag follows.
    tor = Contract.objects.get(reference=TOR)
    source = Source.objects.get()
    row = new_row(
        Claim,
        key="imported",
        source_id=source.pk,
        contract_id=tor.pk,
        summary="A register's figure.",
        assertion_field="quantity_ordered",
        assertion_value="31",
    )
    bulk_insert(Claim, [row], reason="test import")
    claim = Claim.objects.get(key="imported")
    assert (claim.assertion_quantity, claim.assertion_qualifier) == (31, "exact")
    tor.refresh_from_db()
    assert tor.disputed  # 31 against 29
    bad = new_row(Claim, key="bad", source_id=source.pk, contract_id=tor.pk, summary="x")
    bad.assertion_field, bad.assertion_value = "value", "lots"
    with pytest.raises(ValueError, match="is not a value"):
        bulk_insert(Claim, [bad], reason="test import")


@pytest.mark.django_db
def test_the_database_refuses_an_assertion_of_the_wrong_shape(seed):
    # Paths that skip validation (an update, raw SQL) are held by named constraints.
    claim = Claim.objects.get(key="russian-media-tor-m1-value")
    for changes, name in [
        ({"assertion_currency": ""}, "claim_assertion_value"),
        ({"assertion_quantity": 3}, "claim_assertion_quantity"),
        ({"assertion_amount_max": 5}, "claim_assertion_range"),
        ({"assertion_qualifier": ""}, "claim_assertion_qualifier"),
        ({"assertion_negated": True}, "claim_assertion_status"),
        ({"assertion_field": ""}, "claim_assertion_has_field"),
        ({"cites": claim.source}, "claim_cites_another_source"),
    ]:
        with pytest.raises(IntegrityError, match=name), transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(**changes)


@pytest.mark.django_db
def test_the_admin_takes_typed_values_or_the_value_as_written(admin_client, seed):
    url = reverse("admin:transfers_claim_add")
    data = form_data(admin_client.get(url).content.decode(), "claim_form")
    data.update(
        source=str(Source.objects.get().pk),
        contract=str(Contract.objects.get(reference=TOR).pk),
        summary="Worth a billion.",
        assertion_field="value",
        assertion_value="USD 1 trillion-ish",
    )
    page = admin_client.post(url, data)
    assert page.status_code == 200 and "is not a value" in page.content.decode()
    data.update(assertion_value="", assertion_amount="1,000,000,000", assertion_currency="xyz")
    page = admin_client.post(url, data)
    assert "xyz is not an iso 4217 currency code" in page.content.decode().lower()
    data.update(assertion_currency="usd")
    assert admin_client.post(url, data).status_code == 302
    claim = Claim.objects.get(summary="Worth a billion.")
    assert (claim.assertion_amount, claim.assertion_currency, claim.assertion_qualifier) == (10**9, "USD", "exact")
    # Its page shows the value typed, amounts with separators.
    form = form_data(
        admin_client.get(reverse("admin:transfers_claim_change", args=[claim.pk])).content.decode(), "claim_form"
    )
    assert (form["assertion_amount"], form["assertion_currency"]) == ("1,000,000,000", "USD")
    # The deal's page: its evidence, the value disputed (USD 700m against USD 1bn) and highlighted.
    tor = Contract.objects.get(reference=TOR)
    page = admin_client.get(reverse("admin:transfers_contract_change", args=[tor.pk])).content.decode()
    table = page.split('id="deal-evidence"')[1].split("</fieldset>")[0]
    assert table.count('class="evidence-field disputed"') == 1 and "disputed-tag" in table
    row = table.split('class="evidence-field disputed"')[1].split("</tr>")[0]
    assert "Value" in row and "USD 700,000,000" in row and "USD 1,000,000,000" in row
    assert "<input" not in table
    listing = admin_client.get(reverse("admin:transfers_contract_changelist"), {"disputed__exact": "1"})
    assert [c.reference for c in listing.context["cl"].result_list] == [TOR]
