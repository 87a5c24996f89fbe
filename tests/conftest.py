import copy
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from transfers.models import RateCount

# Records many tests start from, and what loads them. A module's tests in a transaction
# (most) that use one of them share one load, in a transaction around them all that each
# test's own rolls back to (see _share_data); a test that commits loads its own. Loading
# the seed once per module instead of once per test took a fifth off those files.
SHARED_DATA = {}


def _shared_name(name):
    return f"_{name}_shared_by_module"


def shared_data_fixtures(name, load, doc):
    """The fixture `name` (what `load()` returns, a copy of it when shared: a test may change
    the instances it is given) and the module-scoped load it shares; a conftest binds both."""
    SHARED_DATA[name] = load

    def data(request):
        request.getfixturevalue("db")
        if _shared_name(name) in request.fixturenames:
            return copy.deepcopy(request.getfixturevalue(_shared_name(name)))
        return load()

    data.__doc__ = doc
    data.shares = name  # before pytest wraps it: _is_shared_fixture reads it
    data = pytest.fixture(name=name)(data)

    @pytest.fixture(name=_shared_name(name), scope="module")
    def shared(django_db_setup, django_db_blocker):
        # pytest-django's tests in a transaction nest in this one, as savepoints.
        from django.db import transaction

        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                loaded = load()
            except BaseException:
                outer.__exit__(*sys.exc_info())
                raise
        yield loaded
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)

    return data, shared


seed, _seed_shared_by_module = shared_data_fixtures(
    "seed", lambda: call_command("loaddata", "seed", verbosity=0), "The records of fixtures/seed.json."
)
countries, _countries_shared_by_module = shared_data_fixtures(
    "countries", lambda: call_command("load_countries", verbosity=0), "Every ISO country as an actor."
)


# After each test that commits, pytest-django empties every table (Django's flush): on
# PostgreSQL one TRUNCATE of them all, which makes new files for each of some 300 tables
# and indexes, 0.25 s a test. What such a test leaves is a few rows in a few tables:
# deleting them (the triggers off, since every table is emptied) takes a hundredth of
# that. A table of thousands of rows, or a role that may not turn triggers off: TRUNCATE.
_FLUSH_BY_DELETE = """
DO $flush$
DECLARE
  name text;
  found int;
  filled text[] := '{}';
BEGIN
  IF current_setting('is_superuser') <> 'on' THEN
    EXECUTE %(truncate)s;
    RETURN;
  END IF;
  FOREACH name IN ARRAY %(tables)s LOOP
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %%I LIMIT 5000) t', name) INTO found;
    IF found >= 5000 THEN
      EXECUTE %(truncate)s;
      RETURN;
    ELSIF found > 0 THEN
      filled := filled || name;
    END IF;
  END LOOP;
  PERFORM set_config('session_replication_role', 'replica', true);
  FOREACH name IN ARRAY filled LOOP
    EXECUTE format('DELETE FROM %%I', name);
  END LOOP;
  PERFORM set_config('session_replication_role', 'origin', true);
END
$flush$;
"""


def _fast_flush():
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if reset_sequences or not tables:
            return statements

        def literal(text):
            return "'" + text.replace("'", "''") + "'"

        array = "ARRAY[" + ", ".join(literal(table) for table in tables) + "]::text[]"
        return [_FLUSH_BY_DELETE % {"truncate": literal(statements[0]), "tables": array}]

    DatabaseOperations.sql_flush = sql_flush


_fast_flush()


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

    _share_data(items)
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


def _share_data(items):
    """A module's tests in a transaction that use some of SHARED_DATA share their loads: each
    load runs once, in a transaction around the module's tests that use it (set up before any
    of their own fixtures), which each test's own rolls back to. The sets of loads a module's
    tests use are taken in a chain, each holding the one before (the seed; then the seed and
    the countries): a test runs after those of smaller sets, once the loads it needs and no
    other are in place. The module's other tests (a set off the chain, or a test that commits)
    run first, without any. A module whose own fixture of that name is not the shared one
    (another `register`) is left as it is."""
    wanted = {}
    for item in items:
        used = tuple(name for name in SHARED_DATA if name in getattr(item, "fixturenames", ()))
        if used and not _commits(item) and all(_is_shared_fixture(item, name) for name in used):
            wanted[item] = used
    chains = {}
    for item, used in wanted.items():
        chains.setdefault(getattr(item, "module", None), set()).add(used)
    for key, sets in chains.items():
        chain = []
        for used in sorted(sets, key=lambda names: (len(names), [list(SHARED_DATA).index(n) for n in names])):
            if not chain or set(chain[-1]) < set(used):
                chain.append(used)
        chains[key] = chain
    place = {}
    for item, used in wanted.items():
        chain = chains[getattr(item, "module", None)]
        if used in chain:
            place[item] = chain.index(used) + 1
            # In the order the chain loads them: each test asks for every load of its set.
            loads = [name for step in chain[: place[item]] for name in step if name in used]
            item.fixturenames = [_shared_name(name) for name in dict.fromkeys(loads)] + list(item.fixturenames)
    order = {}
    for item in items:
        order.setdefault(getattr(item, "module", None), len(order))
    items.sort(key=lambda i: (order[getattr(i, "module", None)], place.get(i, 0)))


def _is_shared_fixture(item, name):
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get(name)
    return bool(definitions) and getattr(definitions[-1].func, "shares", None) == name
