import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from transfers.models import Actor, Claim, Contract, Delivery, Person, Source, Transfer, WeaponSystem

from ..conftest import shared_data_fixtures


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def editor(db, django_user_model):
    user = django_user_model.objects.create_user("api-editor", password="pw-editor-123")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="transfers"))
    return user


@pytest.fixture
def editor_api(editor):
    client = APIClient()
    token = Token.objects.create(user=editor)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def reader_api(db, django_user_model):
    user = django_user_model.objects.create_user("api-reader", password="pw-reader-123")
    client = APIClient()
    token = Token.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def build_register():
    """A small register in which every filter has rows that match and rows that do not."""
    actor = {}
    for code, name, kind in [
        ("RUS", "Russia", "state"),
        ("IRN", "Iran", "state"),
        ("USA", "United States", "state"),
        ("ISR", "Israel", "state"),
        ("FRA", "France", "state"),
        ("IND", "India", "state"),
        ("hezbollah", "Hezbollah (Lebanon)", "non-state"),
    ]:
        actor[code] = Actor.objects.create(code=code, name=name, kind=kind)
    system = {}
    for slug, designation, category, description, origin in [
        ("tor-m1", "Tor-M1", "air-defence", "mobile SAM system", "RUS"),
        ("f-16c", "F-16C", "aircraft", "FGA aircraft", "USA"),
        ("rafale", "Rafale", "aircraft", "FGA aircraft", "FRA"),
        ("9m338", "9M338", "missiles", "SAM", "RUS"),
        ("bushehr-plant", "Bushehr plant", "other", "nuclear power plant", "RUS"),
    ]:
        system[slug] = WeaponSystem.objects.create(
            slug=slug, designation=designation, category=category, description=description, origin=actor[origin]
        )
    news = Source.objects.create(
        key="news-a",
        title="Report A",
        publisher="Wire A",
        kind="news-report",
        published_date=datetime.date(2007, 1, 16),
    )
    register = Source.objects.create(
        key="register-b",
        title="Register B",
        publisher="SIPRI",
        kind="register",
        published_date=datetime.date(2020, 3, 1),
    )
    ivanov = Person.objects.create(slug="ivanov", name="Sergei Ivanov", affiliation=actor["RUS"])
    Person.objects.create(slug="casey", name="Tom Casey", affiliation=actor["USA"])

    tor = Contract.objects.create(
        reference="tor",
        supplier=actor["RUS"],
        recipient=actor["IRN"],
        status="delivering",
        order_date=datetime.date(2005, 12, 1),
        order_date_precision="month",
        value_amount=Decimal("700000000"),
        value_currency="USD",
    )
    tor_line = Transfer.objects.create(
        contract=tor, system=system["tor-m1"], quantity_ordered=29, comments="incl for protection of nuclear plant"
    )
    missiles = Transfer.objects.create(
        contract=tor, system=system["9m338"], quantity_ordered=750, quantity_ordered_is_estimate=True
    )
    d2006 = Delivery.objects.create(transfer=tor_line, date=datetime.date(2006, 1, 1), quantity=15)
    Delivery.objects.create(transfer=tor_line, date=datetime.date(2007, 1, 1), quantity=14)
    Delivery.objects.create(transfer=missiles, date=datetime.date(2007, 1, 1), quantity=750)

    f16 = Contract.objects.create(
        reference="f16",
        supplier=actor["USA"],
        recipient=actor["ISR"],
        status="completed",
        order_date=datetime.date(1995, 1, 1),
        value_amount=Decimal("2000000000"),
        value_currency="USD",
        value_is_estimate=True,
    )
    f16_line = Transfer.objects.create(
        contract=f16, system=system["f-16c"], quantity_ordered=50, condition="second-hand"
    )
    Delivery.objects.create(transfer=f16_line, date=datetime.date(1998, 1, 1), quantity=50)

    rafale = Contract.objects.create(
        reference="rafale",
        supplier=actor["FRA"],
        recipient=actor["IND"],
        status="signed",
        order_date=datetime.date(2016, 9, 23),
        order_date_precision="day",
        value_amount=Decimal("7870000000"),
        value_currency="EUR",
    )
    Transfer.objects.create(
        contract=rafale,
        system=system["rafale"],
        quantity_ordered=36,
        licensed_production=True,
        comments="Produced under licence",
    )

    bushehr = Contract.objects.create(
        reference="bushehr",
        kind="non-arms",
        supplier=actor["RUS"],
        recipient=actor["IRN"],
        status="delivering",
        value_amount=Decimal("1000000000"),
        value_currency="USD",
    )
    Transfer.objects.create(contract=bushehr, system=system["bushehr-plant"], quantity_ordered=1)

    Claim.objects.create(
        key="confirm",
        source=news,
        delivery=d2006,
        speaker=ivanov,
        speaker_actor=actor["RUS"],
        attribution="on-record",
        stance="confirms",
        summary="Delivered.",
        stated_date=datetime.date(2007, 1, 16),
    )
    Claim.objects.create(
        key="anon",
        source=news,
        transfer=f16_line,
        attribution="anonymous",
        stance="asserts",
        summary="Fifty jets.",
        rank="preferred",
    )
    Claim.objects.create(
        key="register",
        source=register,
        contract=rafale,
        attribution="source",
        stance="asserts",
        summary="Ordered 36.",
        assertion_field="quantity_ordered",
        assertion_value="36",
    )
    Claim.objects.create(
        key="deny",
        source=register,
        actor=actor["hezbollah"],
        speaker_actor=actor["ISR"],
        attribution="spokesperson",
        stance="denies",
        summary="Denied.",
        rank="deprecated",
        deprecation_reason="retracted",
    )
    return {"actor": actor, "system": system, "contract": {"tor": tor, "f16": f16, "rafale": rafale}}


register, _register_shared_by_module = shared_data_fixtures(
    "register", build_register, "A small register in which every filter has rows that match and rows that do not."
)
