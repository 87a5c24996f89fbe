"""Work on several connections at once (transfers.workers): a SIPRI import's new deals are
written by two connections, and the yearly totals are rebuilt by connections that compute
while one writes. What they write is what one connection writes, record for record; the
totals equal a recomputation; no connection is left open; a failure stops the work."""

import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import DateTimeField, ForeignKey
from rest_framework.test import APIClient

from transfers import workers
from transfers.models import (
    Actor,
    Claim,
    Contract,
    Delivery,
    Release,
    ReleaseDeal,
    Source,
    Transfer,
    WeaponSystem,
)
from transfers.sipri import importer
from transfers.totals import maintain
from transfers.totals.models import SystemTotal, YearlyTotal

from .api.test_yearly_totals import assert_totals_right, kept_rows

DATA = Path(__file__).parent / "data"
# Each a later release than the one before: the second and third update stored deals (one
# connection, in order) and add new ones (two connections).
FILES = ["sipri-release-2025-03-sample.csv", "sipri-release-2026-05-sample.csv", "sipri-by-delivery-year-sample.csv"]
MODELS = [Actor, WeaponSystem, Source, Contract, Transfer, Delivery, Claim, Release, ReleaseDeal]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: imports use one connection"),
]


# (model, id) -> natural key, for one register_state().
_NATURAL = {}


def _natural(model, pk):
    """A record's key that does not depend on the ids the sequences gave it."""
    cache = _NATURAL
    if pk is None:
        return None
    if (model, pk) not in cache:
        record = model._base_manager.get(pk=pk)
        natural = {
            Actor: lambda: record.code,
            WeaponSystem: lambda: record.slug,
            Source: lambda: record.key,
            Contract: lambda: record.reference,
            Transfer: lambda: (_natural(Contract, record.contract_id), record.line),
            Delivery: lambda: (_natural(Transfer, record.transfer_id), record.line),
            Release: lambda: record.sha256,
        }.get(model, lambda: pk)
        cache[(model, pk)] = natural()
    return cache[(model, pk)]


def register_state():
    """Every record of the import's tables and their history, by natural keys, with every
    column (a foreign key as its record's natural key); and the totals."""
    _NATURAL.clear()
    state = {}
    for model in MODELS:
        # Times of writing differ between two runs.
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and not isinstance(f, DateTimeField)]
        rows = []
        for record in model._base_manager.all():
            rows.append(
                tuple(
                    _natural(f.related_model, getattr(record, f.attname))
                    if isinstance(f, ForeignKey)
                    else str(getattr(record, f.attname))
                    for f in fields
                    # A fingerprint hashes the ids of parties and systems, which differ between runs.
                    if f.name not in ("seconds", "import_fingerprint")
                )
            )
        state[model.__name__] = sorted(rows, key=repr)
        if hasattr(model, "history"):
            changes = model.history.values_list("history_type", flat=True)
            state[f"{model.__name__} history"] = sorted(changes)
    for model in (YearlyTotal, SystemTotal):
        rows = model.objects.values()
        for row in rows:
            del row["id"]
            for column, related in (("supplier_id", Actor), ("recipient_id", Actor), ("system_id", WeaponSystem)):
                if column in row:
                    row[column] = _natural(related, row[column] or None)
        state[model.__name__] = sorted(map(repr, rows))
    return state


def import_all():
    reports = []
    for name in FILES:
        reports.append(importer.sipri_import(path=DATA / name))
    return reports


def report_counts(report):
    return (
        report.contracts,
        report.transfers,
        report.deliveries,
        report.claims_created,
        sorted(report.contract_ids),
        sorted(report.kept_references),
        report.merge.per_year if report.merge else None,
    )


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def countries():
    call_command("load_countries", verbosity=0)


@pytest.fixture
def small_batches(monkeypatch):
    # The samples hold some twenty deals: batches of two make several per connection; a
    # first import's refresh rebuilds the totals, in chunks of a few transfers.
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    monkeypatch.setattr(maintain, "NAMED_CELLS", 0)
    monkeypatch.setattr(maintain, "REBUILD_CHUNK", 5)


@pytest.fixture
def threads_seen(monkeypatch):
    """The threads that wrote import batches and computed totals chunks."""
    seen = {"batches": set(), "totals": set()}
    write_batch, compute_parts = importer._write_batch, maintain.compute_parts

    def spied_batch(*args, **kwargs):
        seen["batches"].add(threading.current_thread().name)
        return write_batch(*args, **kwargs)

    def spied_parts(*args, **kwargs):
        seen["totals"].add(threading.current_thread().name)
        return compute_parts(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_batch", spied_batch)
    monkeypatch.setattr(maintain, "compute_parts", spied_parts)
    return seen


def test_an_import_on_two_connections_writes_what_one_writes(countries, small_batches, threads_seen, monkeypatch):
    parallel = import_all()
    assert any(name.startswith("tracker-worker") for name in threads_seen["batches"]), threads_seen
    assert "MainThread" in threads_seen["batches"]  # the updates of stored deals
    assert any(name.startswith("tracker-worker") for name in threads_seen["totals"]), threads_seen
    written = register_state()

    call_command("flush", "--noinput", verbosity=0)
    call_command("load_countries", verbosity=0)
    threads_seen["batches"].clear()
    threads_seen["totals"].clear()
    monkeypatch.setattr(workers, "WORKERS", 1)
    serial = import_all()
    assert threads_seen["batches"] == {"MainThread"}
    assert threads_seen["totals"] == {"MainThread"}

    assert [report_counts(r) for r in parallel] == [report_counts(r) for r in serial]
    assert parallel[0].contracts["created"] > 2 * importer.BATCH_SIZE
    assert parallel[1].contracts["updated"] and parallel[1].contracts["created"]
    one_connection = register_state()
    for name in written:
        assert written[name] == one_connection[name], name


def test_the_totals_after_a_parallel_import_and_rebuild_equal_a_recomputation(
    countries, small_batches, threads_seen, api, monkeypatch
):
    import_all()
    assert_totals_right(api, monkeypatch, "after the imports")
    before = kept_rows(), kept_rows(SystemTotal)
    threads_seen["totals"].clear()
    maintain.rebuild()  # outside a transaction: computed by the workers
    assert any(name.startswith("tracker-worker") for name in threads_seen["totals"])
    assert (kept_rows(), kept_rows(SystemTotal)) == before
    assert YearlyTotal.objects.filter(grain=maintain.FULL).exists()


def _backends(settled_at=None):
    """The server's connections to this database; with settled_at, once at that number (a
    closed connection's server process leaves a moment after), or after 5 s."""
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            found = cursor.fetchone()[0]
        if settled_at is None or found == settled_at:
            break
        time.sleep(0.1)
    return found


def test_workers_answer_in_order_and_close_their_connections():
    before = _backends()

    def backend(n):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), %s", [n])
            return cursor.fetchone()

    answers = list(workers.in_threads(backend, range(12)))
    assert [n for _, n in answers] == list(range(12))
    mine = backend(-1)[0]
    assert mine not in {pid for pid, _ in answers}  # connections of their own
    assert _backends(settled_at=before) == before


def test_a_failure_stops_the_work_and_is_raised():
    started = []

    def work(n):
        started.append(n)
        if n == 1:
            raise ValueError("item 1 is bad")
        return n

    items = iter(range(1000))
    with pytest.raises(ValueError, match="item 1 is bad"):
        list(workers.in_threads(work, items))
    # At most a few ahead were begun; the rest were never started.
    assert len(started) <= 2 * workers.WORKERS + 1
    assert next(items) < 2 * workers.WORKERS + 2


def test_work_ahead_of_its_reader_is_bounded():
    pulled = []

    def items():
        for n in range(100):
            pulled.append(n)
            yield n

    answers = workers.in_threads(lambda n: n, items())
    assert next(answers) == 0
    assert len(pulled) <= 2 * workers.WORKERS
    answers.close()


def test_a_refresh_alongside_raises_its_error_and_the_blocks_error_wins(monkeypatch):
    def broken(using="default"):
        raise RuntimeError("refresh failed")

    monkeypatch.setattr(maintain, "refresh", broken)
    with pytest.raises(RuntimeError, match="refresh failed"):
        with maintain.refresh_alongside():
            pass
    with pytest.raises(KeyError):
        with maintain.refresh_alongside():
            raise KeyError("the block's")


def test_inside_a_transaction_everything_stays_on_one_connection(countries, small_batches, threads_seen):
    # Another connection would not see this transaction's rows.
    with transaction.atomic():
        assert not workers.possible()
        importer.sipri_import(path=DATA / FILES[0])
        maintain.rebuild()
        assert threads_seen["batches"] == {"MainThread"}
        assert threads_seen["totals"] == {"MainThread"}
    assert Contract.objects.exists()
