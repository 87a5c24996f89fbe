"""New deals' totals added to the kept ones (transfers.totals.maintain.delta_add): what an
import's batch of new deals does on PostgreSQL instead of leaving its cells to the refresh.
The totals then equal a full recomputation, with figures missing on either side; the batch
leaves no marks of its own; concurrent edits and their refreshes neither fail nor count a
deal twice; inside another transaction nothing is added and the marks stay."""

import datetime
import logging
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from rest_framework.test import APIClient

from transfers import selectors
from transfers.models import Actor, Contract, Delivery, Transfer, WeaponSystem
from transfers.sipri import importer
from transfers.totals import maintain
from transfers.totals.models import SystemTotal, SystemTotalDirty, TotalsDirty, YearlyTotal

from .api.conftest import build_register
from .api.test_yearly_totals import assert_totals_right

DATA = Path(__file__).parent / "data"
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the totals are added on PostgreSQL only")


@pytest.fixture
def api():
    return APIClient()


def _deal(reference, *, supplier, recipient, system, ordered, quantity, deliveries=(), value=None):
    """A new deal of one line (and its deliveries: (date, quantity)), written with the ORM."""
    contract = Contract.objects.create(
        reference=reference,
        supplier=supplier,
        recipient=recipient,
        status="delivering",
        order_date=ordered,
        order_date_precision="year",
        value_amount=value,
        value_currency="USD" if value is not None else "",
    )
    transfer = Transfer.objects.create(contract=contract, system=system, quantity_ordered=quantity)
    for date, delivered in deliveries:
        Delivery.objects.create(transfer=transfer, date=date, quantity=delivered)
    return contract


def _own_marks():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM transfers_totalsdirty WHERE xact = txid_current()), "
            "(SELECT count(*) FROM transfers_systemtotaldirty WHERE xact = txid_current())"
        )
        return cursor.fetchone()


@postgresql
@pytest.mark.django_db(transaction=True)
def test_new_deals_added_to_the_kept_totals_equal_a_recomputation(api, monkeypatch):
    build_register()
    rus, irn, usa, isr = (Actor.objects.get(code=code) for code in ("RUS", "IRN", "USA", "ISR"))
    tor, missiles, f16 = (WeaponSystem.objects.get(slug=slug) for slug in ("tor-m1", "9m338", "f-16c"))
    # Kept first: a line with no quantity and no deliveries, in the cell the new deals join.
    _deal("kept-unknown", supplier=rus, recipient=irn, system=tor, ordered=datetime.date(2005, 3, 1), quantity=None)
    assert not TotalsDirty.objects.exists()
    before = YearlyTotal.objects.count()

    with transaction.atomic():
        new = [
            # Same cell and system as kept rows: figures added to figures and to none.
            _deal(
                "new-same-cell",
                supplier=rus,
                recipient=irn,
                system=tor,
                ordered=datetime.date(2005, 7, 1),
                quantity=4,
                deliveries=[(datetime.date(2006, 5, 1), 2), (datetime.date(2009, 1, 1), 2)],
                value=12_500_000,
            ),
            # Same cell, no figures at all: nothing added to figures kept.
            _deal(
                "new-unknown",
                supplier=rus,
                recipient=irn,
                system=missiles,
                ordered=datetime.date(2005, 1, 1),
                quantity=None,
            ),
            # A cell and a system pair of their own.
            _deal(
                "new-cell",
                supplier=usa,
                recipient=isr,
                system=f16,
                ordered=datetime.date(2011, 1, 1),
                quantity=25,
                deliveries=[(datetime.date(2013, 1, 1), 25)],
            ),
        ]
        assert all(_own_marks()), "the batch's writes were marked"
        added = maintain.delta_add(selectors.transfer_register_base().filter(contract__in=new))
        assert added
        assert _own_marks() == (0, 0)
    assert YearlyTotal.objects.count() > before
    assert_totals_right(api, monkeypatch, "after the new deals' totals were added")


@pytest.mark.django_db(transaction=True)
def test_inside_another_transaction_nothing_is_added_and_the_marks_stay():
    build_register()
    rus, irn = Actor.objects.get(code="RUS"), Actor.objects.get(code="IRN")
    tor = WeaponSystem.objects.get(slug="tor-m1")
    kept = list(YearlyTotal.objects.order_by("pk").values())
    with transaction.atomic():
        with transaction.atomic():  # a batch's own block, inside a caller's transaction
            deal = _deal(
                "nested", supplier=rus, recipient=irn, system=tor, ordered=datetime.date(2005, 1, 1), quantity=3
            )
            assert not maintain.delta_add(selectors.transfer_register_base().filter(contract=deal))
        assert TotalsDirty.objects.exists() and SystemTotalDirty.objects.exists()
        assert list(YearlyTotal.objects.order_by("pk").values()) == kept
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_the_database_keeps_one_totals_row_per_key():
    row = {"grain": 15, "kind": YearlyTotal.Kind.UNPLACED, "supplier_id": 1, "recipient_id": 2, "order_year": 2005}
    YearlyTotal.objects.create(**row, transfers=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        YearlyTotal.objects.create(**row, transfers=2)  # no delivery year on either: the same key
    YearlyTotal.objects.create(**row, delivery_year=2006, transfers=2)
    system = {"grain": 1, "kind": YearlyTotal.Kind.LINES, "system_id": 7, "supplier_id": 1, "category": "aircraft"}
    SystemTotal.objects.create(**system, transfers=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemTotal.objects.create(**system, transfers=1)


@postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_of_new_deals_into_a_register_adds_their_totals(api, monkeypatch):
    call_command("load_countries", verbosity=0)
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)  # several batches, on two connections
    seen = []
    delta_add = maintain.delta_add

    def spied(transfers, **kwargs):
        marked = _own_marks()
        added = delta_add(transfers, **kwargs)
        seen.append((marked, added, _own_marks()))
        return added

    monkeypatch.setattr(maintain, "delta_add", spied)
    first = importer.sipri_import(path=DATA / "sipri-release-2025-03-sample.csv")
    # Into an empty register, one rebuild after the batches costs less than adding to the totals.
    assert first.contracts["created"] > 2 and seen == []
    report = importer.sipri_import(path=DATA / "sipri-release-2026-05-sample.csv")
    assert report.contracts["created"] > 2 and report.contracts["updated"]
    assert len(seen) > 1
    for marked, added, left in seen:
        assert added and marked[0] and left == (0, 0), seen
    assert_totals_right(api, monkeypatch, "after an import of new deals into a register")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_new_deals_added_while_their_cells_are_edited_and_refreshed(api, monkeypatch, caplog):
    """Two threads released together, again and again: one adds a new deal to a cell (a
    delivery year new to it: new rows), the other edits a line of that cell and refreshes
    (or, one round in three, rebuilds everything)."""
    build_register()
    rus, irn = Actor.objects.get(code="RUS"), Actor.objects.get(code="IRN")
    tor = WeaponSystem.objects.get(slug="tor-m1")
    edited = Transfer.objects.get(contract__reference="tor", system=tor)
    errors = []

    def add(n, barrier):
        try:
            barrier.wait()
            with transaction.atomic():
                deal = _deal(
                    f"race-{n}",
                    supplier=rus,
                    recipient=irn,
                    system=tor,
                    ordered=datetime.date(2005, 6, 1),
                    quantity=2,
                    deliveries=[(datetime.date(1960 + n, 1, 1), 1)],
                )
                assert maintain.delta_add(selectors.transfer_register_base().filter(contract=deal))
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    def edit(n, barrier):
        try:
            barrier.wait()
            # Started a little later each round (the other's batch takes some 50 ms), so that
            # the refresh meets the batch at every step of it.
            time.sleep(n % 10 * 0.008)
            Transfer.objects.filter(pk=edited.pk).update(quantity_ordered=F("quantity_ordered") + 1)
            if n % 3 == 2:
                maintain.rebuild()  # the repair of everything, which the batch must not meet either
            else:
                maintain.refresh()
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    caplog.set_level(logging.ERROR)
    for n in range(45):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=work, args=(n, barrier)) for work in (add, edit)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, (n, errors)
    assert not [record for record in caplog.records if "refresh" in record.getMessage()]
    maintain.refresh()  # what the last commits asked for, if a thread's own was still running
    assert_totals_right(api, monkeypatch, "after new deals were added beside edits")


@pytest.mark.django_db(transaction=True)
def test_migration_0087_goes_both_ways_over_kept_totals(latest_schema_after):
    from django.db.migrations.executor import MigrationExecutor

    build_register()
    kept = sorted(YearlyTotal.objects.values_list("grain", "kind", "supplier_id", "transfers"))
    assert kept

    def columns(table):
        with connection.cursor() as cursor:
            return {column.name for column in connection.introspection.get_table_description(cursor, table)}

    MigrationExecutor(connection).migrate([("transfers", "0086_lean_indexes")])
    assert "xact" not in columns("transfers_totalsdirty")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate(latest)
    # The keys are made over the rows kept, which they hold one per key already.
    assert sorted(YearlyTotal.objects.values_list("grain", "kind", "supplier_id", "transfers")) == kept
    if connection.vendor == "postgresql":
        assert "xact" in columns("transfers_totalsdirty") and "xact" in columns("transfers_systemtotaldirty")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_outside_a_transaction_vacuums_the_totals():
    build_register()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        started = cursor.fetchone()[0]
    call_command("refresh_totals", "--rebuild", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        # By time, not by count: the yearly totals' table is a new one after a rebuild
        # (transfers.bulk.table_refilled), whose counts start again.
        cursor.execute(
            "SELECT relname, last_vacuum FROM pg_stat_user_tables "
            "WHERE relname IN ('transfers_yearlytotal', 'transfers_systemtotal')"
        )
        vacuumed = dict(cursor.fetchall())
    assert len(vacuumed) == 2 and all(when and when >= started for when in vacuumed.values()), (started, vacuumed)
