"""Migration 0021 reads the old free-text assertions into typed values, and lists (never
drops) those it cannot read."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("transfers", "0013_transfer_published_inconsistency")]
AFTER = [("transfers", "0022_claim_assertion_rules")]


@pytest.mark.migrates_back
@pytest.mark.django_db(transaction=True)
def test_old_assertions_are_read_and_unreadable_ones_listed(capsys, latest_schema_after):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Actor, Contract, Source, Claim = (
        old.get_model("transfers", name) for name in ("Actor", "Contract", "Source", "Claim")
    )
    russia = Actor.objects.create(code="RUS", name="Russia")
    iran = Actor.objects.create(code="IRN", name="Iran")
    deal = Contract.objects.create(reference="tor", supplier=russia, recipient=iran, status="delivering")
    calm = Contract.objects.create(reference="calm", supplier=russia, recipient=iran, status="signed")
    ap = Source.objects.create(key="ap", title="AP", published_date=datetime.date(2007, 1, 16))
    reuters = Source.objects.create(key="reuters", title="Reuters", published_date=datetime.date(2007, 1, 17))
    rows = {
        "value-ap": (ap, deal, "value", "700000000 USD"),
        "value-reuters": (reuters, deal, "value", "$1 billion"),
        "quantity": (ap, deal, "quantity_ordered", "29"),
        "about": (reuters, deal, "quantity_ordered", "about 30"),
        "date": (ap, deal, "order_date", "2005-12"),
        "nearly": (reuters, deal, "status", "nearly done"),
        "either": (reuters, calm, "quantity_ordered", "29 or 30"),
        "xyz": (reuters, calm, "value", "1000000000 XYZ"),
        "other": (ap, calm, "other", "anything"),
        "none": (ap, calm, "", ""),
    }
    for key, (source, contract, field, value) in rows.items():
        Claim.objects.create(
            key=key, source=source, contract=contract, summary=key, assertion_field=field, assertion_value=value
        )
    capsys.readouterr()

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    printed = capsys.readouterr().out
    new = executor.loader.project_state(AFTER).apps
    Claim, Contract = new.get_model("transfers", "Claim"), new.get_model("transfers", "Contract")
    claims = {claim.key: claim for claim in Claim.objects.all()}
    assert (claims["value-ap"].assertion_amount, claims["value-ap"].assertion_currency) == (700000000, "USD")
    assert claims["value-reuters"].assertion_amount == 1000000000
    assert claims["value-reuters"].assertion_value == "$1 billion"  # the text as written is kept
    assert (claims["quantity"].assertion_quantity, claims["quantity"].assertion_qualifier) == (29, "exact")
    assert (claims["about"].assertion_quantity, claims["about"].assertion_qualifier) == (30, "about")
    assert (claims["date"].assertion_date, claims["date"].assertion_date_precision) == (
        datetime.date(2005, 12, 1),
        "month",
    )
    # Unreadable: kept, as 'other' with the old field and text, listed, with a history entry.
    for key, text in [("nearly", "status = nearly done"), ("either", "quantity_ordered = 29 or 30")]:
        assert (claims[key].assertion_field, claims[key].assertion_value) == ("other", text)
        assert f"claim {key} " in printed and text in printed
    assert "XYZ is not an ISO 4217 currency code" in printed
    assert "3 claim(s) whose assertion could not be read" in printed
    history = new.get_model("transfers", "HistoricalClaim").objects.filter(id=claims["nearly"].pk)
    assert history.get().history_change_reason.startswith("migration 0021")
    assert (claims["other"].assertion_field, claims["none"].assertion_field) == ("other", "")
    # USD 700m and $1bn disagree: the deal is disputed; the other one is not.
    assert Contract.objects.get(reference="tor").disputed
    assert not Contract.objects.get(reference="calm").disputed

    # And back: the typed values written as text where there was none.
    Claim.objects.filter(key="quantity").update(assertion_value="")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    assert old.get_model("transfers", "Claim").objects.get(key="quantity").assertion_value == "29"
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes("transfers"))
