"""Every rule rejects bad data with its message: in validation (admin, API) and in the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from transfers.models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem


@pytest.fixture
def world(db):
    rus = Actor.objects.create(code="RUS", name="Russia")
    irn = Actor.objects.create(code="IRN", name="Iran")
    system = WeaponSystem.objects.create(designation="Tor-M1", slug="tor-m1", category="air-defence")
    contract = Contract.objects.create(reference="c1", supplier=rus, recipient=irn)
    transfer = Transfer.objects.create(contract=contract, system=system, quantity_ordered=10)
    source = Source.objects.create(title="A report")
    return {"rus": rus, "irn": irn, "system": system, "contract": contract, "transfer": transfer, "source": source}


def assert_rejected(instance, message, db_too=True):
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    assert message in " ".join(excinfo.value.messages)
    if db_too:
        with pytest.raises(IntegrityError), transaction.atomic():
            instance.save()


def test_supplier_differs_from_recipient(world):
    bad = Contract(reference="c2", supplier=world["rus"], recipient=world["rus"])
    assert_rejected(bad, "The supplier and the recipient must be different actors.")


def test_value_not_negative(world):
    bad = Contract(reference="c2", supplier=world["rus"], recipient=world["irn"], value_amount=-1, value_currency="USD")
    assert_rejected(bad, "greater than or equal to 0")


def test_value_has_currency(world):
    bad = Contract(reference="c2", supplier=world["rus"], recipient=world["irn"], value_amount=Decimal(5))
    assert_rejected(bad, "A value needs a currency")


def test_currency_is_iso_4217(world):
    bad = Contract(reference="c2", supplier=world["rus"], recipient=world["irn"], value_amount=5, value_currency="XYZ")
    assert_rejected(bad, "not an ISO 4217 currency code", db_too=False)


def test_quantity_not_negative(world):
    bad = Transfer(contract=world["contract"], line=2, system=world["system"], quantity_ordered=-3)
    assert_rejected(bad, "greater than or equal to 0")
    delivery = Delivery(transfer=world["transfer"], line=9, date=datetime.date(2006, 1, 1), quantity=-1)
    assert_rejected(delivery, "greater than or equal to 0")


def test_tiv_not_negative(world):
    bad = Transfer(contract=world["contract"], line=2, system=world["system"], tiv_per_unit=Decimal("-1"))
    assert_rejected(bad, "greater than or equal to 0")


def test_delivered_not_above_ordered(world):
    transfer = world["transfer"]
    Delivery.objects.create(transfer=transfer, date=datetime.date(2006, 1, 1), quantity=6)
    bad = Delivery(transfer=transfer, date=datetime.date(2007, 1, 1), quantity=5)
    with pytest.raises(ValidationError, match="Delivered total 11 would exceed the 10 ordered"):
        bad.full_clean()
    transfer.quantity_ordered = 5
    with pytest.raises(ValidationError, match="6 are already recorded as delivered"):
        transfer.full_clean()


@pytest.mark.parametrize("year", [1899, datetime.date.today().year + 12])
def test_years_in_a_sane_range(world, year):
    bad = Contract(reference="c2", supplier=world["rus"], recipient=world["irn"], order_date=datetime.date(year, 1, 1))
    with pytest.raises(ValidationError, match="outside the sane range"):
        bad.full_clean()
    if year < 1900:
        with pytest.raises(IntegrityError), transaction.atomic():
            bad.save()


def test_unique_codes_slugs_references(world):
    assert_rejected(Actor(code="rus", name="Russia again"), "already exists")
    assert_rejected(WeaponSystem(designation="x", slug="tor-m1", category="other"), "already exists")
    assert_rejected(Contract(reference="c1", supplier=world["rus"], recipient=world["irn"]), "already exists")
    Source.objects.create(title="one", url="https://example.org/a")
    assert_rejected(Source(title="two", url="https://example.org/a"), "already exists")
    # Empty URLs are not duplicates of each other.
    Source.objects.create(title="three", url="")


@pytest.mark.parametrize("subjects", [[], ["contract", "system"]])
def test_claim_is_about_exactly_one_record(world, subjects):
    values = {"contract": world["contract"], "system": world["system"]}
    bad = Claim(source=world["source"], summary="s", **{name: values[name] for name in subjects})
    assert_rejected(bad, "A claim is about exactly one record")


def test_claim_rules(world):
    base = {"source": world["source"], "summary": "s", "contract": world["contract"]}
    assert_rejected(Claim(**base, rank="deprecated"), "A deprecated claim needs a reason.")
    assert_rejected(Claim(**base, assertion_field="quantity_ordered"), "Give a quantity")
    Claim(**base, rank="deprecated", deprecation_reason="superseded", key="ok").full_clean()


def test_referenced_records_are_protected(world):
    Claim.objects.create(source=world["source"], summary="s", contract=world["contract"])
    for instance in [world["rus"], world["system"], world["source"], world["contract"]]:
        with pytest.raises(ProtectedError), transaction.atomic():
            instance.delete()
    assert Actor.objects.filter(code="RUS").exists()


@pytest.mark.parametrize(
    "name,build",
    [
        ("contract_value_not_negative", lambda w: Contract(supplier=w["rus"], recipient=w["irn"], value_amount=-1)),
        ("transfer_quantity_not_negative", lambda w: Transfer(quantity_ordered=-1)),
        ("transfer_tiv_not_negative", lambda w: Transfer(tiv_order=Decimal("-0.5"))),
        ("delivery_quantity_not_negative", lambda w: Delivery(date=datetime.date(2000, 1, 1), quantity=-2)),
        ("delivery_date_sane", lambda w: Delivery(date=datetime.date(1800, 1, 1))),
        ("source_dates_sane", lambda w: Source(published_date=datetime.date(2200, 1, 1))),
        (
            "source_accessed_after_published",
            lambda w: Source(published_date=datetime.date(2007, 2, 3), accessed_date=datetime.date(2007, 2, 2)),
        ),
        ("claim_stated_date_sane", lambda w: Claim(stated_date=datetime.date(1850, 1, 1))),
    ],
)
def test_named_constraints_carry_their_message(world, name, build):
    """Field validators usually answer first; the named constraint still has its own message."""
    instance = build(world)
    constraint = next(c for c in type(instance)._meta.constraints if c.name == name)
    with pytest.raises(ValidationError) as excinfo:
        constraint.validate(type(instance), instance)
    assert excinfo.value.messages == [constraint.violation_error_message]


def test_lines_and_deliveries_are_numbered_from_one(world):
    """A line 0 was accepted (by the API, the admin and the database): numbers start at 1."""
    assert_rejected(Transfer(contract=world["contract"], line=0, system=world["system"]), "greater than or equal to 1")
    bad = Delivery(transfer=world["transfer"], line=0, date=datetime.date(2006, 1, 1), quantity=1)
    assert_rejected(bad, "greater than or equal to 1")
    for name in ("transfer_line_from_one", "delivery_line_from_one"):
        assert any(c.name == name for m in (Transfer, Delivery) for c in m._meta.constraints)


def test_a_line_numbered_0_before_takes_its_parents_next_number(world, latest_schema_after):
    """Migration 0094 renumbers what was accepted before it, then refuses 0 for good."""
    from django.db.migrations.executor import MigrationExecutor

    delivery = Delivery.objects.create(transfer=world["transfer"], date=datetime.date(2006, 1, 1), quantity=1)
    Transfer.objects.create(contract=world["contract"], system=world["system"])  # line 2
    executor = MigrationExecutor(connection)
    executor.migrate([("transfers", "0093_names_lists")])
    Transfer.objects.filter(pk=world["transfer"].pk).update(line=0)
    Delivery.objects.filter(pk=delivery.pk).update(line=0)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Transfer.objects.get(pk=world["transfer"].pk).line == 3
    assert Delivery.objects.get(pk=delivery.pk).line == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=world["transfer"].pk).update(line=0)


@pytest.mark.parametrize(
    "published,precision,accessed,allowed",
    [
        (datetime.date(2007, 2, 3), "day", datetime.date(2007, 2, 3), True),
        (datetime.date(2007, 2, 3), "day", datetime.date(2007, 2, 2), False),
        # "February 2007" may be any day of it; "2007" any day of the year.
        (datetime.date(2007, 2, 1), "month", datetime.date(2007, 2, 1), True),
        (datetime.date(2007, 2, 20), "month", datetime.date(2007, 2, 5), True),
        (datetime.date(2007, 2, 1), "month", datetime.date(2007, 1, 31), False),
        (datetime.date(2007, 6, 30), "year", datetime.date(2007, 1, 1), True),
        (datetime.date(2007, 1, 1), "year", datetime.date(2006, 12, 31), False),
    ],
)
def test_a_source_is_not_accessed_before_it_is_published(world, published, precision, accessed, allowed):
    """Found by an adversarial pass: a source 'accessed' in 2006 and 'published' in 2007 was
    accepted by the admin, the API and the database."""
    source = Source(title="A report", published_date=published, published_date_precision=precision)
    source.accessed_date = accessed
    if allowed:
        source.full_clean()
        source.save()
    else:
        assert_rejected(source, "The accessed date is before the published date")
        # A path that skips validation (an update, a script) is refused by the database.
        with pytest.raises(IntegrityError), transaction.atomic():
            Source.objects.filter(pk=world["source"].pk).update(
                published_date=published, published_date_precision=precision, accessed_date=accessed
            )


def test_a_source_accessed_before_published_keeps_that_date_in_its_notes(world, capsys, latest_schema_after):
    """Migration 0095 moves an impossible accessed date into the notes (with a history entry)
    rather than refusing to migrate or dropping the date."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("transfers", "0094_lines_from_one")])
    Source.objects.filter(pk=world["source"].pk).update(
        key="early", published_date=datetime.date(2007, 2, 3), accessed_date=datetime.date(2007, 1, 3), notes="Wire."
    )
    fine = Source.objects.create(
        key="fine", title="B", published_date=datetime.date(2007, 2, 3), accessed_date=datetime.date(2007, 2, 4)
    )
    capsys.readouterr()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    early = Source.objects.get(pk=world["source"].pk)
    assert early.accessed_date is None
    assert early.notes == "Wire.\n\nAccessed date 2007-01-03 removed: it was before the published date."
    assert early.history.latest().history_change_reason.startswith("migration 0095")
    assert Source.objects.get(pk=fine.pk).accessed_date == datetime.date(2007, 2, 4)
    assert "source early (id" in capsys.readouterr().out


def test_stored_urls_are_rewritten_in_their_canonical_form_and_duplicates_listed(world, capsys, latest_schema_after):
    """Migration 0096: each source URL in the form the unique constraint now compares; one
    that is another source's URL written differently is left as it was and listed."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("transfers", "0095_source_accessed_after_published")])
    rows = {"plain": "http://example.com/a", "shouting": "HTTP://EXAMPLE.com:80/a", "alone": "HTTPS://Example.org/B"}
    for key, url in rows.items():
        Source.objects.create(key=key, title=key)
        # Written as they were stored before (the field of that state did not rewrite them).
        with connection.cursor() as cursor:
            cursor.execute("UPDATE transfers_source SET url = %s WHERE key = %s", [url, key])
    capsys.readouterr()
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    stored = dict(Source.objects.filter(key__in=rows).values_list("key", "url"))
    assert stored == {
        "plain": "http://example.com/a",
        "shouting": "HTTP://EXAMPLE.com:80/a",
        "alone": "https://example.org/B",
    }
    assert "source shouting (id" in capsys.readouterr().out
    assert Source.objects.filter(url="http://EXAMPLE.com/a").count() == 1  # looked up in its canonical form


def test_deliveries_above_the_quantity_ordered_are_refused_by_the_database(world):
    # Paths that skip clean() (an import, a script, a raw fixture load) are held too.
    transfer = world["transfer"]
    Delivery.objects.create(transfer=transfer, date=datetime.date(2007, 1, 1), quantity=9)
    with pytest.raises(IntegrityError, match="delivery_total_not_above_ordered"), transaction.atomic():
        Delivery.objects.create(transfer=transfer, date=datetime.date(2008, 1, 1), quantity=2)
    with pytest.raises(IntegrityError, match="transfer_ordered_not_below_delivered"), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(quantity_ordered=8)
    delivery = Delivery.objects.create(transfer=transfer, date=datetime.date(2008, 1, 1), quantity=1)
    with pytest.raises(IntegrityError, match="delivery_total_not_above_ordered"), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(quantity=2)
    # Unknown quantities are not counted, and an unknown order caps nothing.
    Delivery.objects.create(transfer=transfer, date=datetime.date(2009, 1, 1))
    Transfer.objects.filter(pk=transfer.pk).update(quantity_ordered=None)
    Delivery.objects.create(transfer=transfer, date=datetime.date(2010, 1, 1), quantity=50)


def test_a_statement_said_otherwise_is_refused_by_the_database(world):
    # Paths that skip clean() (an import, a script, a raw fixture load) are held too.
    other = Source.objects.create(title="Another report", key="another")
    base = {"summary": "s", "contract": world["contract"], "statement": "st-1"}
    first = Claim.objects.create(source=world["source"], quote="We will.", **base)
    Claim.objects.create(source=world["source"], **base)  # the same statement again: fine
    Claim.objects.create(source=world["source"], summary="s", contract=world["contract"])  # no statement
    for change in [
        {"source": other},
        {"stated_date": datetime.date(2007, 1, 1)},
        {"attribution": "anonymous"},
        {"quote": "We will not."},
    ]:
        with pytest.raises(IntegrityError, match="claim_statement_shared"), transaction.atomic():
            Claim.objects.create(**{"source": world["source"], **base, **change})
    with pytest.raises(IntegrityError, match="claim_statement_shared"), transaction.atomic():
        Claim.objects.filter(pk=first.pk).update(source=other)
    if connection.vendor == "postgresql":
        # Every claim of the statement moved at once is one statement still: PostgreSQL checks
        # after the statement, SQLite after each row (no path moves a statement's claims).
        Claim.objects.filter(statement="st-1").update(source=other)
        assert set(Claim.objects.filter(statement="st-1").values_list("source", flat=True)) == {other.pk}


def test_an_actor_is_never_its_own_ancestor(world, django_user_model):
    """A under B, then B under A: a cycle anything walking up the hierarchy loops on."""
    from rest_framework.test import APIClient

    ministry = Actor.objects.create(code="rus-mod", name="Ministry of Defence", parent=world["rus"])
    plant = Actor.objects.create(code="rus-plant", name="A plant", parent=ministry)
    world["rus"].parent = plant
    assert_rejected(world["rus"], "cannot be its own ancestor", db_too=False)
    with pytest.raises(IntegrityError, match="actor_parent_no_cycle"), transaction.atomic():
        Actor.objects.filter(pk=world["rus"].pk).update(parent=plant)
    with pytest.raises(IntegrityError, match="actor_parent_no_cycle"), transaction.atomic():
        Actor.objects.filter(pk=ministry.pk).update(parent=plant)
    Actor.objects.filter(pk=plant.pk).update(parent=world["irn"])  # another branch: fine
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_superuser("ed", "", "pw-12345-x"))
    response = client.patch("/api/actors/RUS/", {"parent": "rus-mod"}, format="json")
    assert response.status_code == 400 and "own ancestor" in str(response.json()["parent"]), response.content
