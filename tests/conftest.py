import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from transfers.models import RateCount


@pytest.fixture
def seed(db):
    call_command("loaddata", "seed", verbosity=0)


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
