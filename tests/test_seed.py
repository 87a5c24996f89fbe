"""The seed fixture holds every fact of the article, and loads idempotently."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from transfers.models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem

MODELS = [Actor, Person, WeaponSystem, Contract, Transfer, Delivery, Source, Claim]
TOR = "rus-irn-2005-tor-m1"


def counts():
    return {m.__name__: (m.objects.count(), m.history.count()) for m in MODELS}


@pytest.mark.django_db
def test_seed_loads_twice_without_duplicates_or_new_history(seed):
    first = counts()
    call_command("loaddata", "seed", verbosity=0)
    assert counts() == first
    assert first["Claim"][0] >= 15
    assert first["Contract"][0] == 3


@pytest.mark.django_db
def test_seed_loads_after_countries_and_countries_after_seed(db):
    call_command("load_countries", verbosity=0)
    call_command("loaddata", "seed", verbosity=0)
    before = counts()
    call_command("load_countries", verbosity=0)
    assert counts() == before
    assert Actor.objects.get(code="RUS").name == "Russia"


@pytest.mark.django_db
def test_seed_load_is_recorded_in_history(seed):
    contract = Contract.objects.get(reference=TOR)
    entries = list(contract.history.all())
    assert len(entries) == 1
    assert entries[0].history_type == "+"
    assert entries[0].history_change_reason == "fixture load"


@pytest.mark.django_db
def test_seed_source(seed):
    source = Source.objects.get()
    assert source.title == "Russian official confirms sale of missiles to Iran"
    assert source.publisher == "The Associated Press"
    assert source.outlet == "NBC News"
    assert source.kind == "news-report"
    assert source.published_date == datetime.date(2007, 1, 16)
    assert source.published_date_precision == "day"


@pytest.mark.django_db
def test_seed_actors_and_people(seed):
    for code in ["RUS", "IRN", "USA", "ISR"]:
        assert Actor.objects.get(code=code).kind == "state"
    bodies = {a.name: a for a in Actor.objects.exclude(kind="state")}
    assert bodies["Russian Ministry of Defence"].parent.code == "RUS"
    assert bodies["US Department of State"].parent.code == "USA"
    assert bodies["Israeli Ministry of Foreign Affairs"].parent.code == "ISR"
    assert bodies["UN Security Council"].kind == "organisation"
    people = {p.name: p for p in Person.objects.select_related("affiliation")}
    assert people["Sergei Ivanov"].affiliation.name == "Russian Ministry of Defence"
    assert "Defence Minister" in people["Sergei Ivanov"].title
    assert people["Tom Casey"].affiliation.name == "US Department of State"
    assert people["Mark Regev"].affiliation.name == "Israeli Ministry of Foreign Affairs"


@pytest.mark.django_db
def test_seed_systems(seed):
    tor = WeaponSystem.objects.get(slug="tor-m1")
    assert tor.designation == "Tor-M1"
    assert tor.category == "air-defence"
    assert "mobile" in tor.description and "surface-to-air" in tor.description
    assert "48" in tor.capability_notes and "20,000" in tor.capability_notes
    assert tor.origin.code == "RUS"
    s300 = WeaponSystem.objects.get(slug="s-300")
    assert s300.category == "air-defence"
    assert "long-range" in s300.description


@pytest.mark.django_db
def test_seed_tor_m1_contract(seed):
    contract = Contract.objects.get(reference=TOR)
    assert (contract.supplier.code, contract.recipient.code) == ("RUS", "IRN")
    assert contract.order_date == datetime.date(2005, 12, 1)
    assert contract.order_date_precision == "month"
    assert contract.order_date_display == "2005-12"
    assert contract.status == "delivering"
    assert contract.kind == "arms"
    assert contract.value_amount == Decimal("700000000")
    assert contract.value_currency == "USD"
    transfer = contract.transfers.get()
    assert transfer.system.slug == "tor-m1"
    assert transfer.quantity_ordered == 29
    delivery = transfer.deliveries.get()
    assert delivery.quantity is None
    assert delivery.date <= datetime.date(2007, 1, 16)
    assert transfer.quantity_delivered is None
    assert transfer.quantity_remaining == 29


@pytest.mark.django_db
def test_seed_s300_and_bushehr(seed):
    s300 = Contract.objects.get(transfers__system__slug="s-300")
    assert s300.status == "reported"
    assert s300.value_amount is None
    assert s300.transfers.get().quantity_ordered is None
    stances = set(s300.claims.values_list("stance", flat=True))
    assert stances == {"asserts", "denies"}
    bushehr = Contract.objects.get(kind="non-arms")
    assert bushehr.value_amount == Decimal("1000000000")
    assert "Bushehr" in bushehr.title
    assert not bushehr.transfers.exists()


@pytest.mark.django_db
def test_seed_claims(seed):
    ivanov = Claim.objects.get(key="ivanov-confirms-tor-m1-deliveries")
    assert ivanov.speaker.name == "Sergei Ivanov"
    assert (ivanov.attribution, ivanov.stance) == ("on-record", "confirms")
    assert "in accordance with the contract" in ivanov.quote
    assert ivanov.stated_date == datetime.date(2007, 1, 16)
    assert ivanov.delivery.transfer.contract.reference == TOR

    anonymous = Claim.objects.get(attribution="anonymous")
    assert anonymous.speaker is None and anonymous.speaker_actor.name == "Russian Ministry of Defence"

    # Typed: one statement of Russian media with three facts.
    terms = {
        claim.assertion_field: claim
        for claim in Claim.objects.filter(attribution="media-report").exclude(assertion_field="")
    }
    assert {field: claim.assertion_display for field, claim in terms.items()} == {
        "quantity_ordered": "29",
        "value": "USD 700,000,000",
        "order_date": "2005-12",
    }
    assert (terms["quantity_ordered"].assertion_quantity, terms["quantity_ordered"].assertion_qualifier) == (
        29,
        "exact",
    )
    assert (terms["value"].assertion_amount, terms["value"].assertion_currency) == (Decimal("700000000"), "USD")
    assert (terms["order_date"].assertion_date, terms["order_date"].assertion_date_precision) == (
        datetime.date(2005, 12, 1),
        "month",
    )
    assert {claim.statement for claim in terms.values()} == {"russian-media-tor-m1-terms"}
    assert (anonymous.assertion_field, anonymous.assertion_status) == ("status", "delivering")
    assert (ivanov.assertion_field, ivanov.assertion_status) == ("status", "delivered")
    # The seed alone is one account of the deal: nothing in it is disputed.
    assert not Contract.objects.filter(disputed=True).exists()

    by_speaker = {c.speaker.name: c for c in Claim.objects.filter(speaker__isnull=False).exclude(pk=ivanov.pk)}
    assert by_speaker["Tom Casey"].stance == "criticises"
    assert "state sponsors of terror" in by_speaker["Tom Casey"].quote
    assert by_speaker["Mark Regev"].stance == "criticises"
    assert "more defensive weapons" in by_speaker["Sergei Ivanov"].quote

    defends = Claim.objects.get(stance="defends")
    assert defends.contract.reference == TOR and "defensive" in defends.summary
    us_call = Claim.objects.get(key="us-2006-call-stop-arms-exports")
    assert us_call.speaker_actor.code == "USA" and us_call.stated_date_display == "2006"
    # Every claim has exactly one subject and a source.
    for claim in Claim.objects.all():
        assert claim.subject is not None
        assert claim.source_id is not None
