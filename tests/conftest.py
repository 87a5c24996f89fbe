import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from transfers.models import RateCount


SHARED_SEED = "_seed_shared_by_module"


@pytest.fixture
def seed(request):
    """The seed's records. A test in a transaction (most) shares one load with the other
    such tests of its module, in a transaction around them all that each test's own
    rolls back to (see pytest_collection_modifyitems); a test that commits loads its own."""
    request.getfixturevalue("db")
    if SHARED_SEED not in request.fixturenames:
        call_command("loaddata", "seed", verbosity=0)


@pytest.fixture(scope="module")
def _seed_shared_by_module(django_db_setup, django_db_blocker):
    # pytest-django's tests in a transaction nest in this one, as savepoints: loading the
    # seed once per module instead of once per test took a quarter off the suite.
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("loaddata", "seed", verbosity=0)
        except BaseException:
            outer.__exit__(*__import__("sys").exc_info())
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _commits(item):
    """Whether a test runs outside a transaction (its writes committed, then flushed)."""
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or (marker.args and marker.args[0])
    )
    names = set(item.fixturenames)
    return bool(transactional) or bool(names & {"transactional_db", "live_server", "django_db_reset_sequences"})


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.org", "pw-editor-123")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def one_rate_window(db, monkeypatch):
    """The API's limits are fixed windows: a test that sent its requests across a window's
    end would see its allowance renewed halfway. Its requests all fall in one window."""
    from rest_framework.throttling import SimpleRateThrottle

    RateCount.objects.all().delete()
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_800_000_030.0)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    _share_the_seed(items)
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="migrating many steps back is tested on PostgreSQL (production); "
        "each SQLite test database runs every migration forward"
    )
    for item in items:
        if item.get_closest_marker("migrates_back"):
            item.add_marker(skip)


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}"


@pytest.fixture
def latest_schema_after(transactional_db):
    """For a test that migrates the schema back: the tests after it run on the latest one
    again, whatever it asserted (the 0085 test left the schema at 0085 for the files that
    followed it, until one that migrated forward)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _share_the_seed(items):
    """A module's tests in a transaction that use the seed run last in their module, in the
    module's seeded transaction (set up before any of their own fixtures); the module's
    other tests run first, without it."""
    for item in items:
        if "seed" in item.fixturenames and not _commits(item) and hasattr(item, "fixturenames"):
            item.fixturenames = [SHARED_SEED, *(n for n in item.fixturenames if n != SHARED_SEED)]
    order = {}
    for item in items:
        order.setdefault(item.module.__name__ if hasattr(item, "module") else "", len(order))
    items.sort(key=lambda i: (order[i.module.__name__ if hasattr(i, "module") else ""], SHARED_SEED in i.fixturenames))
